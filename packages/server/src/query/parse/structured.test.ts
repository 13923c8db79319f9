// The POST …/query body (docs/rest.md "Queries in a JSON body"), as the Fluxbase SDK sends
// it, and its bad shapes.
import { describe, expect, it } from 'vitest';
import type { FilterLeaf, Operation, QueryRequest } from '../ast.ts';
import { QueryError } from '../errors.ts';
import type { ParseOptions } from './options.ts';
import { parseQueryString } from './query-string.ts';
import { parseStructuredQuery } from './structured.ts';

const FLUX: ParseOptions = { mount: 'fluxbase', aggregatesEnabled: true };
const leaf = (column: string, operation: Operation, negated = false): FilterLeaf => ({ kind: 'filter', field: { column, path: [] }, negated, operation });
const base = (): QueryRequest => ({ select: [{ kind: 'star' }], filters: [], order: [], ranges: [] });

const filterCases: [unknown, FilterLeaf][] = [
  [{ column: 'a', operator: 'eq', value: 5 }, leaf('a', { op: 'eq', value: '5' })],
  [{ column: 'a', operator: 'eq', value: 'x,y' }, leaf('a', { op: 'eq', value: 'x,y' })],
  [{ column: 'a', operator: 'eq', value: true }, leaf('a', { op: 'eq', value: 'true' })],
  [{ column: 'a', operator: 'is', value: null }, leaf('a', { op: 'is', value: 'null' })],
  [{ column: 'a', operator: 'is', value: false }, leaf('a', { op: 'is', value: 'false' })],
  [{ column: 'a', operator: 'in', value: [1, 'b,c', null, '"q"'] }, leaf('a', { op: 'in', values: ['1', 'b,c', 'null', '"q"'] })],
  [{ column: 'a', operator: 'in', value: '(1,2)' }, leaf('a', { op: 'in', values: ['1', '2'] })],
  [{ column: 'a', operator: 'not.in', value: [] }, leaf('a', { op: 'in', values: [] }, true)],
  [{ column: 'a', operator: 'cs', value: ['x', 'y'] }, leaf('a', { op: 'cs', value: '["x","y"]' })],
  [{ column: 'a', operator: 'cs', value: { k: 1 } }, leaf('a', { op: 'cs', value: '{"k":1}' })],
  [{ column: 'a', operator: 'like(any)', value: ['x*', 'y,z'] }, leaf('a', { op: 'like', quantifier: 'any', values: ['x*', 'y,z'] })],
  [{ column: 'a', operator: 'not', value: 'eq.5' }, leaf('a', { op: 'eq', value: '5' }, true)],
  [{ column: 'a', operator: 'not', value: 'is.null' }, leaf('a', { op: 'is', value: 'null' }, true)],
  [{ column: 'a', operator: 'fts(english)', value: 'cat' }, leaf('a', { op: 'fts', language: 'english', value: 'cat' })],
  [{ column: 'a', operator: 'st_intersects', value: { type: 'Point', coordinates: [1, 2] } }, leaf('a', { op: 'st_intersects', value: '{"type":"Point","coordinates":[1,2]}' })],
];

describe('parseStructuredQuery', () => {
  it.each(filterCases)('filter %j', (filter, expected) => {
    expect(parseStructuredQuery({ filters: [filter] }, FLUX).filters).toEqual([{ path: [], node: expected }]);
  });

  it('reads the whole SDK body as the query string form would', () => {
    const body = {
      select: 'id,name,author:users(name)',
      filters: [{ column: 'status', operator: 'eq', value: 'active' }, { column: 'users.age', operator: 'gte', value: 18 }],
      orFilters: ['a.eq.1,b.eq.2'],
      andFilters: ['(c.gt.1,or(d.eq.1,d.eq.2))'],
      betweenFilters: [{ column: 'n', min: 1, max: 5 }, { column: 'm', min: 'a', max: 'z', negated: true }],
      order: [{ column: 'id', direction: 'desc', nulls: 'last' }, { column: 'emb', direction: 'asc', vectorOp: 'vec_cos', vectorValue: [0.5, 1] }],
      limit: 10, offset: 20, count: 'exact', groupBy: ['status'], cursor_column: 'id',
    };
    const fromQuery = parseQueryString(
      'select=id,name,author:users(name)&status=eq.active&users.age=gte.18&or=(a.eq.1,b.eq.2)&and=(c.gt.1,or(d.eq.1,d.eq.2))'
      + '&n=gte.1&n=lte.5&or=(m.lt.a,m.gt.z)&order=id.desc.nullslast,emb.vec_cos.[0.5,1].asc&limit=10&offset=20&count=exact&group_by=status&cursor_column=id',
      FLUX,
    );
    expect(parseStructuredQuery(body, FLUX)).toEqual(fromQuery);
  });

  it('drops the vectorSearch filter, keeping its ordering', () => {
    const r = parseStructuredQuery({ filters: [{ column: 'emb', operator: 'vec_l2', value: [1, 2] }], order: [{ column: 'emb', vectorOp: 'vec_l2', vectorValue: [1, 2] }] }, FLUX);
    expect(r.filters).toEqual([]);
    expect(r.order[0]?.terms[0]?.vector).toEqual({ op: 'vec_l2', value: [1, 2] });
  });

  it('treats null fields as absent', () => {
    expect(parseStructuredQuery({ select: null, limit: null, count: null }, FLUX)).toEqual(base());
  });

  const bad: [unknown, string][] = [
    [null, 'INVALID_REQUEST_BODY'],
    [[], 'INVALID_REQUEST_BODY'],
    ['select=*', 'INVALID_REQUEST_BODY'],
    [{ filter: [] }, 'INVALID_REQUEST_BODY'],
    [{ select: 5 }, 'INVALID_REQUEST_BODY'],
    [{ filters: {} }, 'INVALID_REQUEST_BODY'],
    [{ filters: ['a=eq.1'] }, 'INVALID_REQUEST_BODY'],
    [{ filters: [{ column: 1, operator: 'eq', value: 1 }] }, 'INVALID_REQUEST_BODY'],
    [{ filters: [{ column: 'a', operator: 'eqq', value: 1 }] }, 'INVALID_FILTER'],
    [{ filters: [{ column: 'a;drop', operator: 'eq', value: 1 }] }, 'INVALID_FILTER'],
    [{ filters: [{ column: 'a', operator: 'eq', value: 'x\u0000' }] }, 'INVALID_REQUEST_BODY'],
    [{ filters: [{ column: 'a', operator: 'eq', value: { k: 'x\u0000' } }] }, 'INVALID_REQUEST_BODY'],
    [{ filters: [{ column: 'a', operator: 'not', value: 5 }] }, 'INVALID_REQUEST_BODY'],
    [{ filters: [{ column: 'a', operator: 'in', value: Array(10_001).fill(1) }] }, 'INVALID_FILTER'],
    [{ filters: [{ column: 'a', operator: 'vec_l2', value: 'x' }] }, 'INVALID_REQUEST_BODY'],
    [{ orFilters: 'a.eq.1' }, 'INVALID_REQUEST_BODY'],
    [{ orFilters: ['a.eq.1,'] }, 'INVALID_FILTER'],
    [{ betweenFilters: [{ column: 'a', min: 1 }] }, 'INVALID_REQUEST_BODY'],
    [{ betweenFilters: [{ column: 'a', min: 1, max: 2, negated: 'yes' }] }, 'INVALID_REQUEST_BODY'],
    [{ order: [{ column: 'a', direction: 'up' }] }, 'INVALID_REQUEST_BODY'],
    [{ order: [{ column: 'a', nulls: 'middle' }] }, 'INVALID_REQUEST_BODY'],
    [{ order: [{ column: 'a.desc' }] }, 'INVALID_QUERY'],
    [{ order: [{ column: 'a', vectorOp: 'vec_xx', vectorValue: [1] }] }, 'INVALID_REQUEST_BODY'],
    [{ order: [{ column: 'a', vectorOp: 'vec_l2', vectorValue: [] }] }, 'INVALID_REQUEST_BODY'],
    [{ limit: -1 }, 'INVALID_QUERY'],
    [{ limit: 1.5 }, 'INVALID_REQUEST_BODY'],
    [{ limit: '10' }, 'INVALID_REQUEST_BODY'],
    [{ count: 'all' }, 'INVALID_QUERY'],
    [{ groupBy: 'a' }, 'INVALID_REQUEST_BODY'],
    [{ groupBy: [''] }, 'INVALID_REQUEST_BODY'],
    [{ cursor: 'x', offset: 1 }, 'INVALID_CURSOR'],
    [{ select: 'id,' }, 'INVALID_QUERY'],
  ];

  it.each(bad)('%j → %s', (body, code) => {
    let caught: unknown;
    try {
      parseStructuredQuery(body, FLUX);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QueryError);
    expect((caught as QueryError).code).toBe(code);
  });

  it('names unknown fields and lists the known ones', () => {
    try {
      parseStructuredQuery({ filter: [] }, FLUX);
      expect.unreachable();
    } catch (err) {
      expect((err as QueryError).message).toMatch(/"filter"/);
      expect((err as QueryError).hint).toMatch(/filters/);
    }
  });
});
