// Whole query strings: reserved keys, scoped (embed) keys, percent-decoding, mounts,
// bounds and hostile input, as tables of [query, expected | error code].
import { describe, expect, it } from 'vitest';
import type { FilterLeaf, Operation, QueryRequest } from '../ast.ts';
import { DEFAULT_PARSE_LIMITS } from '../ast.ts';
import { QueryError } from '../errors.ts';
import type { ParseOptions } from './options.ts';
import { parseQueryString } from './query-string.ts';

const FLUX: ParseOptions = { mount: 'fluxbase', aggregatesEnabled: true };
const PGRST: ParseOptions = { mount: 'postgrest', aggregatesEnabled: true };
const base = (): QueryRequest => ({ select: [{ kind: 'star' }], filters: [], order: [], ranges: [] });
const leaf = (column: string, operation: Operation, negated = false, path: FilterLeaf['field']['path'] = []): FilterLeaf =>
  ({ kind: 'filter', field: { column, path }, negated, operation });
const req = (extra: Partial<QueryRequest>): QueryRequest => ({ ...base(), ...extra });

const cases: [string, QueryRequest][] = [
  ['', base()],
  ['&&', base()],
  ['select=id', req({ select: [{ kind: 'field', field: { column: 'id', path: [] } }] })],
  ['select=', req({ select: [] })],
  ['id=eq.5', req({ filters: [{ path: [], node: leaf('id', { op: 'eq', value: '5' }) }] })],
  ['id=eq.5&id=lt.9', req({ filters: [{ path: [], node: leaf('id', { op: 'eq', value: '5' }) }, { path: [], node: leaf('id', { op: 'lt', value: '9' }) }] })],
  ['name=eq.a+b%20c%2Bd', req({ filters: [{ path: [], node: leaf('name', { op: 'eq', value: 'a b c+d' }) }] })],
  ['name=eq.caf%C3%A9', req({ filters: [{ path: [], node: leaf('name', { op: 'eq', value: 'café' }) }] })],
  ['name=eq.café', req({ filters: [{ path: [], node: leaf('name', { op: 'eq', value: 'café' }) }] })],
  ['%22my%20col%22=eq.1', req({ filters: [{ path: [], node: leaf('my col', { op: 'eq', value: '1' }) }] })],
  ['%22order%22=eq.1', req({ filters: [{ path: [], node: leaf('order', { op: 'eq', value: '1' }) }] })],
  ['data->>a=eq.x', req({ filters: [{ path: [], node: leaf('data', { op: 'eq', value: 'x' }, false, [{ op: '->>', key: 'a' }]) }] })],
  ['data-%3E0-%3E%3Eb=is.null', req({ filters: [{ path: [], node: leaf('data', { op: 'is', value: 'null' }, false, [{ op: '->', key: '0' }, { op: '->>', key: 'b' }]) }] })],
  ['author.name=eq.x', req({ filters: [{ path: ['author'], node: leaf('name', { op: 'eq', value: 'x' }) }] })],
  ['a.b.c=gt.1', req({ filters: [{ path: ['a', 'b'], node: leaf('c', { op: 'gt', value: '1' }) }] })],
  ['author=not.is.null', req({ filters: [{ path: [], node: leaf('author', { op: 'is', value: 'null' }, true) }] })],
  ['or=(a.eq.1,b.eq.2)&or=(c.eq.3)', req({ filters: [
    { path: [], node: { kind: 'or', negated: false, children: [leaf('a', { op: 'eq', value: '1' }), leaf('b', { op: 'eq', value: '2' })] } },
    { path: [], node: { kind: 'or', negated: false, children: [leaf('c', { op: 'eq', value: '3' })] } }] })],
  ['not.and=(a.eq.1)', req({ filters: [{ path: [], node: { kind: 'and', negated: true, children: [leaf('a', { op: 'eq', value: '1' })] } }] })],
  ['rel.or=(a.eq.1)', req({ filters: [{ path: ['rel'], node: { kind: 'or', negated: false, children: [leaf('a', { op: 'eq', value: '1' })] } }] })],
  ['rel.not.or=(a.eq.1)', req({ filters: [{ path: ['rel'], node: { kind: 'or', negated: true, children: [leaf('a', { op: 'eq', value: '1' })] } }] })],
  ['order=a.desc&rel.order=b', req({ order: [{ path: [], terms: [{ field: { column: 'a', path: [] }, direction: 'desc' }] }, { path: ['rel'], terms: [{ field: { column: 'b', path: [] }, direction: 'asc' }] }] })],
  ['order=a&order=b', req({ order: [{ path: [], terms: [{ field: { column: 'a', path: [] }, direction: 'asc' }, { field: { column: 'b', path: [] }, direction: 'asc' }] }] })],
  ['limit=10&offset=0&rel.limit=2&rel.offset=1', req({ ranges: [{ path: [], limit: 10, offset: 0 }, { path: ['rel'], limit: 2, offset: 1 }] })],
  ['limit=2147483647', req({ ranges: [{ path: [], limit: 2147483647 }] })],
  ['count=exact', req({ count: 'exact' })],
  ['count=planned', req({ count: 'planned' })],
  ['count=estimated', req({ count: 'estimated' })],
  ['cursor=abc&cursor_column=created_at', req({ cursor: 'abc', cursorColumn: 'created_at' })],
  ['on_conflict=a,b&columns=x,%22y%20z%22', req({ onConflict: ['a', 'b'], columns: ['x', 'y z'] })],
  ['group_by=a,b&truncate=100', req({ groupBy: ['a', 'b'], truncate: 100 })],
  ['emb=vec_cos.(0.1,0.2)&order=emb.vec_cos.[0.1,0.2].asc', req({ order: [{ path: [], terms: [{ field: { column: 'emb', path: [] }, direction: 'asc', vector: { op: 'vec_cos', value: [0.1, 0.2] } }] }] })],
  ['id=eq.1%27%3B%20drop%20table%20users%3B--', req({ filters: [{ path: [], node: leaf('id', { op: 'eq', value: "1'; drop table users;--" }) }] })],
];

const errors: [string, string, ParseOptions?][] = [
  ['a=%C3%28', 'INVALID_QUERY'],
  ['a=eq.%E0%A4', 'INVALID_QUERY'],
  ['a=eq.%ZZ', 'INVALID_QUERY'],
  ['a=eq.%4', 'INVALID_QUERY'],
  ['a=eq.%00', 'INVALID_QUERY'],
  ['a%00=eq.1', 'INVALID_QUERY'],
  ['status=active', 'INVALID_FILTER'],
  ['status', 'INVALID_FILTER'],
  ['status=', 'INVALID_FILTER'],
  ['=eq.1', 'INVALID_QUERY'],
  ['a=foo.1', 'INVALID_FILTER'],
  ['a.=eq.1', 'INVALID_FILTER'],
  ['data->=eq.1', 'INVALID_FILTER'],
  ['-%3Ea=eq.1', 'INVALID_FILTER'],
  ['a;drop=eq.1', 'INVALID_FILTER'],
  ['select=id&select=name', 'INVALID_QUERY'],
  ['select=id,', 'INVALID_QUERY'],
  ['order=', 'INVALID_QUERY'],
  ['order=a.sideways', 'INVALID_QUERY'],
  ['limit=-1', 'INVALID_QUERY'],
  ['limit=abc', 'INVALID_QUERY'],
  ['limit=1.5', 'INVALID_QUERY'],
  ['limit=2147483648', 'INVALID_QUERY'],
  ['limit=99999999999999999999', 'INVALID_QUERY'],
  ['offset=-5', 'INVALID_QUERY'],
  ['limit=1&limit=2', 'INVALID_QUERY'],
  ['count=all', 'INVALID_QUERY'],
  ['or=a.eq.1', 'INVALID_FILTER'],
  ['on_conflict=', 'INVALID_QUERY'],
  ['truncate=-1', 'INVALID_QUERY'],
  ['cursor=abc&offset=10', 'INVALID_CURSOR'],
  ['emb=vec_cos.(0.1,x)', 'INVALID_FILTER'],
  ['group_by=a', 'INVALID_FILTER', PGRST],
  ['truncate=10', 'INVALID_FILTER', PGRST],
  ['select=count()', 'INVALID_QUERY', { mount: 'postgrest', aggregatesEnabled: false }],
];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof QueryError) return err.code;
    throw err;
  }
  return undefined;
}

describe('parseQueryString', () => {
  it.each(cases)('%s', (raw, expected) => {
    expect(parseQueryString(raw, FLUX)).toEqual(expected);
  });

  it.each(errors)('%s → %s', (raw, code, options = FLUX) => {
    expect(codeOf(() => parseQueryString(raw, options))).toBe(code);
  });

  it('keeps group_by and truncate as Fluxbase-only parameters', () => {
    expect(parseQueryString('group_by=a', FLUX).groupBy).toEqual(['a']);
    expect(parseQueryString('group_by=eq.a', PGRST).filters).toHaveLength(1);
  });

  it('says what to write when a filter has no operator', () => {
    try {
      parseQueryString('status=active', FLUX);
      expect.unreachable();
    } catch (err) {
      expect((err as QueryError).message).toMatch(/"active" has no operator/);
      expect((err as QueryError).hint).toMatch(/status=eq\.active/);
    }
  });

  it('bounds the query length', () => {
    const long = `a=eq.${'x'.repeat(16 * 1024)}`;
    expect(codeOf(() => parseQueryString(long, FLUX))).toBe('INVALID_QUERY');
    expect(codeOf(() => parseQueryString(long, { ...FLUX, limits: { ...DEFAULT_PARSE_LIMITS, maxQueryLength: 100_000 } }))).toBeUndefined();
  });

  it('bounds filter terms across all parameters', () => {
    const q = (n: number) => Array.from({ length: n }, (_, i) => `c${i}=eq.1`).join('&');
    expect(parseQueryString(q(200), FLUX).filters).toHaveLength(200);
    expect(codeOf(() => parseQueryString(q(150) + '&and=(' + Array.from({ length: 51 }, (_, i) => `d${i}.eq.1`).join(',') + ')', FLUX))).toBe('INVALID_FILTER');
  });

  it('bounds order terms across parameters', () => {
    const terms = Array.from({ length: 9 }, (_, i) => `c${i}`).join(',');
    expect(codeOf(() => parseQueryString(`order=${terms}&rel.order=${terms}`, FLUX))).toBe('INVALID_QUERY');
  });

  it('reads what postgrest-js sends (URLSearchParams encoding)', () => {
    const p = new URLSearchParams();
    p.append('select', 'id,name,author:users!inner(name)');
    p.append('name', 'in.("a,b","c")');
    p.append('tags', 'cs.{a,b}');
    p.append('title', 'like(any).{*x*,y*}');
    p.append('body', 'wfts(english).cat -dog');
    p.append('users.name', 'eq.Ann Lee');
    p.append('or', '(id.eq.1,id.eq.2)');
    p.append('order', 'id.desc.nullslast');
    p.append('limit', '10');
    const r = parseQueryString(p.toString(), PGRST);
    expect(r.filters.map((f) => f.node.kind === 'filter' && f.node.operation)).toEqual([
      { op: 'in', values: ['a,b', 'c'] },
      { op: 'cs', value: '{a,b}' },
      { op: 'like', quantifier: 'any', values: ['*x*', 'y*'] },
      { op: 'wfts', language: 'english', value: 'cat -dog' },
      { op: 'eq', value: 'Ann Lee' },
      false,
    ]);
    expect(r.filters[4]?.path).toEqual(['users']);
    expect(r.ranges).toEqual([{ path: [], limit: 10 }]);
  });

  it('keeps hostile names and values as inert text', () => {
    const r = parseQueryString('%22x%5C%22%3B%20drop%20table%20t%3B--%22=eq.1&select=%22a%5C%22b%22:c', FLUX);
    expect(r.filters[0]?.node).toMatchObject({ field: { column: 'x"; drop table t;--' } });
    expect(r.select).toEqual([{ kind: 'field', field: { column: 'c', path: [] }, alias: 'a"b' }]);
    // SQL-style doubled quotes are not an escape here: the name ends at the second quote.
    expect(codeOf(() => parseQueryString('%22x%22%22%3B%20drop%22=eq.1', FLUX))).toBe('INVALID_FILTER');
  });
});
