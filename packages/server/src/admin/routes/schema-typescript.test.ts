// The body of POST /schema/typescript: defaults, and INVALID_REQUEST_BODY naming the field.
import { describe, expect, it } from 'vitest';
import { failure } from '../../http/errors/failure-fixture.ts';
import { typescriptBody } from './schema-typescript.ts';


describe('typescriptBody', () => {
  it('defaults everything when there is no body (or a JSON null)', () => {
    expect(typescriptBody(undefined)).toEqual({ schemas: undefined, includeFunctions: true, includeViews: true });
    expect(typescriptBody(null)).toEqual({ schemas: undefined, includeFunctions: true, includeViews: true });
  });
  it('reads the fields; format is accepted and ignored', () => {
    expect(typescriptBody({ schemas: ['api'], include_functions: false, include_views: true, format: 'full' })).toEqual({ schemas: ['api'], includeFunctions: false, includeViews: true });
  });
  it.each([['an array body', [1]], ['a string body', 'x']])('refuses %s', (_n, body) => {
    expect(failure(() => typescriptBody(body))).toMatchObject({ code: 'INVALID_REQUEST_BODY', status: 400, message: 'The body must be a JSON object' });
  });
  const bad: [string, unknown, string][] = [
    ['schemas not an array', { schemas: 'public' }, 'schemas'],
    ['schemas empty', { schemas: [] }, 'schemas'],
    ['schemas with a number', { schemas: ['public', 1] }, 'schemas[1]'],
    ['schemas with an empty name', { schemas: [''] }, 'schemas[0]'],
    ['include_functions a string', { include_functions: 'true' }, 'include_functions'],
    ['include_views a number', { include_views: 1 }, 'include_views'],
    ['include_views null', { include_views: null }, 'include_views'],
    ['an unknown field', { include_function: true }, 'include_function'],
    ['a bad format', { format: 'zod' }, 'format'],
  ];
  it.each(bad)('refuses %s with INVALID_REQUEST_BODY', (_n, body, field) => {
    expect(failure(() => typescriptBody(body))).toMatchObject({ code: 'INVALID_REQUEST_BODY', status: 400, details: { field } });
  });
  it('says what is expected', () => {
    expect(failure(() => typescriptBody({ schemas: [] })).message).toBe('schemas must be a non-empty array of schema names');
    expect(failure(() => typescriptBody({ include_function: true })).message)
      .toBe('Unknown field "include_function" in body; expected schemas, include_functions, include_views, format');
  });
});
