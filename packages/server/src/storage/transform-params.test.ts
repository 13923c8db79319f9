import { describe, expect, it } from 'vitest';
import { isCanonicalTransformSpec, parseTransformObject, parseTransformQuery, transformKey, type TransformLimits, type TransformSpec } from './transform-params.ts';

const limits: TransformLimits = { maxWidth: 4096, maxHeight: 4096, defaultQuality: 80 };

type Row = [name: string, query: Record<string, unknown>, expected: TransformSpec | undefined | { field: string; message: RegExp }];

const queryCases: Row[] = [
  ['no transform params', { download: '', inline: 'true' }, undefined],
  ['fit alone is no transform', { fit: 'contain' }, undefined],
  ['width rounds up to 50', { width: '120' }, { width: 150, quality: 80 }],
  ['short names', { w: '1', h: '50', fmt: 'webp', q: '60' }, { width: 50, height: 50, format: 'webp', quality: 60, fit: 'cover' }],
  ['exact multiple stays', { width: '200', height: '100', fit: 'contain' }, { width: 200, height: 100, quality: 80, fit: 'contain' }],
  ['rounding is capped at the maximum', { w: '4090' }, { width: 4096, quality: 80 }],
  ['the maximum itself', { h: '4096' }, { height: 4096, quality: 80 }],
  ['fit dropped with one size', { w: '100', fit: 'fill' }, { width: 100, quality: 80 }],
  ['format alone', { format: 'PNG' }, { format: 'png', quality: 80 }],
  ['jpg is jpeg', { format: 'jpg' }, { format: 'jpeg', quality: 80 }],
  ['quality alone', { quality: '100' }, { quality: 100 }],
  ['numbers accepted', { width: 100, quality: 1 }, { width: 100, quality: 1 }],
  ['width 0', { width: '0' }, { field: 'width', message: /integer from 1 to 4096/ }],
  ['negative width', { w: '-5' }, { field: 'w', message: /integer from 1 to 4096/ }],
  ['fractional width', { w: '1.5' }, { field: 'w', message: /integer/ }],
  ['empty width', { width: '' }, { field: 'width', message: /integer/ }],
  ['width above max', { width: '4097' }, { field: 'width', message: /1 to 4096/ }],
  ['huge width', { width: '99999999999999999999' }, { field: 'width', message: /1 to 4096/ }],
  ['height not a number', { height: 'abc' }, { field: 'height', message: /integer/ }],
  ['both names', { width: '100', w: '100' }, { field: 'width', message: /width or w, not both/ }],
  ['given twice', { w: ['100', '200'] }, { field: 'w', message: /more than once/ }],
  ['bad format', { format: 'gif' }, { field: 'format', message: /webp, jpeg, png, avif/ }],
  ['bad fmt type', { fmt: 5 }, { field: 'fmt', message: /one of/ }],
  ['quality 0', { q: '0' }, { field: 'q', message: /1 to 100/ }],
  ['quality 101', { quality: '101' }, { field: 'quality', message: /1 to 100/ }],
  ['bad fit', { w: '10', fit: 'stretch' }, { field: 'fit', message: /cover, contain, fill, inside, outside/ }],
  ['bad fit alone is still refused', { fit: 'COVER' }, { field: 'fit', message: /one of/ }],
];

describe('parseTransformQuery', () => {
  it.each(queryCases)('%s', (_name, query, expected) => {
    const parsed = parseTransformQuery(query, limits);
    if (expected === undefined || !('field' in expected)) {
      expect(parsed).toEqual({ ok: true, spec: expected });
      if (expected) expect(parsed.ok && JSON.stringify(parsed.spec)).toBe(JSON.stringify(expected)); // key order too
    } else {
      expect(parsed).toMatchObject({ ok: false, field: expected.field });
      expect(!parsed.ok && parsed.message).toMatch(expected.message);
    }
  });

  it('uses the configured default quality and maxima', () => {
    expect(parseTransformQuery({ w: '10' }, { maxWidth: 30, maxHeight: 30, defaultQuality: 55 })).toEqual({ ok: true, spec: { width: 30, quality: 55 } });
    expect(parseTransformQuery({ h: '31' }, { maxWidth: 30, maxHeight: 30, defaultQuality: 55 })).toMatchObject({ ok: false, field: 'h' });
  });

  it('gives equal specs (and keys) for requests with equal outputs', () => {
    const a = parseTransformQuery({ w: '101', h: '120', fmt: 'jpg' }, limits);
    const b = parseTransformQuery({ width: '150', height: '150', format: 'jpeg', quality: '80', fit: 'cover' }, limits);
    expect(a.ok && b.ok && transformKey(a.spec!)).toBe(b.ok && transformKey(b.spec!));
  });
});

describe('parseTransformObject', () => {
  it.each([
    ['absent', undefined, { ok: true, spec: undefined }],
    ['null', null, { ok: true, spec: undefined }],
    ['object', { width: 300, format: 'avif', quality: 50 }, { ok: true, spec: { width: 300, format: 'avif', quality: 50 } }],
    ['short names', { w: 300, h: 300, fit: 'inside' }, { ok: true, spec: { width: 300, height: 300, quality: 80, fit: 'inside' } }],
    ['not an object', 'w=100', { ok: false, field: 'transform' }],
    ['array', [100], { ok: false, field: 'transform' }],
    ['unknown key', { width: 100, resize: 'cover' }, { ok: false, field: 'transform.resize' }],
    ['bad value', { width: 0 }, { ok: false, field: 'transform.width' }],
  ] as const)('%s', (_name, value, expected) => {
    expect(parseTransformObject(value, limits)).toMatchObject(expected);
  });
});

describe('isCanonicalTransformSpec', () => {
  it.each([
    [{ width: 100, quality: 80 }, true],
    [{ width: 100, height: 50, format: 'webp', quality: 80, fit: 'cover' }, true],
    [{ quality: 80, width: 100 }, false], // key order
    [{ width: 100, height: 50, quality: 80 }, false], // fit missing with both sizes
    [{ width: 100, quality: 80, fit: 'cover' }, false], // fit with one size
    [{ width: 0, quality: 80 }, false],
    [{ width: 100, quality: 0 }, false],
    [{ width: 100, quality: 80, format: 'gif' }, false],
    [{ width: 100, quality: 80, extra: 1 }, false],
    [null, false],
    ['w=100', false],
  ])('%j → %s', (value, expected) => {
    expect(isCanonicalTransformSpec(value)).toBe(expected);
  });

  it('accepts whatever the parser produces', () => {
    for (const [, query, expected] of queryCases) {
      const parsed = parseTransformQuery(query, limits);
      if (parsed.ok && parsed.spec) expect(isCanonicalTransformSpec(parsed.spec)).toBe(true);
      else expect(expected === undefined || 'field' in expected).toBe(true);
    }
  });
});
