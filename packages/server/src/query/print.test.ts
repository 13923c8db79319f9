// print is the inverse of parse: property tests over random filter trees and random
// requests (names and values with commas, quotes, parens, dots, braces, backslashes and
// unicode), plus a few fixed renderings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldRef, FilterLeaf, FilterNode, JsonPathStep, Operation, OrderTerm, QueryRequest, ScopedRange, SelectItem } from './ast.ts';
import { parseFilter } from './parse/filter.ts';
import { parseLogic } from './parse/logic.ts';
import type { ParseOptions } from './parse/options.ts';
import { parseQueryString } from './parse/query-string.ts';
import { printFilter, printQueryString } from './print.ts';

const FLUX: ParseOptions = { mount: 'fluxbase', aggregatesEnabled: true };
const SEED = 424242;

const tricky = fc.constantFrom(',', '"', '\\', '(', ')', '{', '}', '[', ']', '.', ':', '!', '-', '>', ' ', '&', '=', '+', '%', '*', "'", ';', 'é', '😀', 'Ω', '\t');
const textArb = fc.array(fc.oneof(tricky, fc.constantFrom('a', 'b', 'Z', '0', '9', '_', '$')), { maxLength: 6 }).map((a) => a.join(''));
const words = fc.constantFrom('id', 'name', 'data', 'order', 'select', 'or', 'and', 'not', 'limit', 'count', 'sum', 'inner', 'left', '123', 'naïve', 'a-b', 'first name');
const name = fc.oneof(words, textArb.filter((s) => s.length > 0));
const jsonKey = fc.oneof(name, fc.integer({ min: -5, max: 30 }).map(String));
const path = fc.array(fc.record({ op: fc.constantFrom<'->' | '->>'>('->', '->>'), key: jsonKey }), { maxLength: 3 }) as fc.Arbitrary<JsonPathStep[]>;
const field: fc.Arbitrary<FieldRef> = fc.record({ column: name, path });
const value = fc.oneof(textArb, fc.constantFrom('', 'null', '1.5', '{a,b}', '[1,5)', '"q"', '(x)', ' lead', 'trail '));
const list = fc.array(value, { maxLength: 4 });
const GEO = '{"type":"Point","coordinates":[1,2]}';

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'isdistinct', 'cs', 'cd', 'ov', 'sl', 'sr', 'nxr', 'nxl', 'adj'), value }),
  fc.record({ op: fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch'), quantifier: fc.constantFrom('any', 'all'), values: list }),
  fc.record({ op: fc.constant('in'), values: list }),
  fc.record({ op: fc.constant('is'), value: fc.constantFrom('null', 'true', 'false', 'unknown') }),
  fc.record({ op: fc.constantFrom('fts', 'plfts', 'phfts', 'wfts'), value }),
  fc.record({ op: fc.constantFrom('fts', 'plfts', 'phfts', 'wfts'), language: fc.constantFrom('english', 'simple', 'pg_catalog'), value }),
  fc.record({ op: fc.constantFrom('st_intersects', 'st_contains', 'st_within', 'st_touches', 'st_crosses', 'st_overlaps'), value: fc.constant(GEO) }),
  fc.record({ op: fc.constant('st_dwithin'), value: fc.constantFrom(`10,${GEO}`, `0.5,${GEO}`) }),
) as fc.Arbitrary<Operation>;

const leaf: fc.Arbitrary<FilterLeaf> = fc.record({ kind: fc.constant('filter' as const), field, negated: fc.boolean(), operation });
const tree: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), negated: fc.boolean(), children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) })),
})).node;

/** Parse a printed [key, value] back with the same entry points the query string uses. */
function parsePrinted([key, val]: [string, string]): FilterNode {
  return parseQueryString(`${encodeURIComponent(key)}=${encodeURIComponent(val)}`, FLUX).filters[0]?.node as FilterNode;
}

const cast = fc.constantFrom('text', 'int', 'character varying', 'numeric[]', 'timestamp with time zone');
const fieldItem: fc.Arbitrary<SelectItem> = fc.record({
  kind: fc.constant('field' as const), field, alias: fc.option(name, { nil: undefined }), cast: fc.option(cast, { nil: undefined }),
  aggregate: fc.option(fc.constantFrom('count', 'sum', 'avg', 'min', 'max'), { nil: undefined }), aggregateCast: fc.option(cast, { nil: undefined }),
}, { requiredKeys: ['kind', 'field'] }).map((i) => (i.aggregate ? i : { ...i, aggregateCast: undefined }))
  .map((i) => Object.fromEntries(Object.entries(i).filter(([, v]) => v !== undefined)) as SelectItem);
const countItem: fc.Arbitrary<SelectItem> = fc.option(name, { nil: undefined }).map((alias) => ({
  kind: 'field', field: { column: '*', path: [] }, aggregate: 'count', ...(alias !== undefined ? { alias } : {}),
}));
const selectItems: fc.Arbitrary<SelectItem[]> = fc.letrec<{ items: SelectItem[] }>((tie) => ({
  items: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true },
    fc.constant<SelectItem>({ kind: 'star' }), fieldItem, countItem,
    fc.record({
      relation: name, alias: fc.option(name, { nil: undefined }), hint: fc.option(name, { nil: undefined }),
      join: fc.option(fc.constantFrom<'inner' | 'left'>('inner', 'left'), { nil: undefined }), spread: fc.boolean(), select: tie('items'),
    }).map(({ alias, hint, join, spread, ...rest }): SelectItem => ({
      kind: 'embed', ...rest, spread,
      ...(alias !== undefined && !spread ? { alias } : {}), ...(hint !== undefined ? { hint } : {}), ...(join ? { join } : {}),
    }))), { maxLength: 3 }),
})).items;

const orderTerm: fc.Arbitrary<OrderTerm> = fc.record({
  field, relation: fc.option(name, { nil: undefined }), direction: fc.constantFrom<'asc' | 'desc'>('asc', 'desc'),
  nulls: fc.option(fc.constantFrom<'first' | 'last'>('first', 'last'), { nil: undefined }),
  vector: fc.option(fc.record({ op: fc.constantFrom<'vec_l2' | 'vec_cos' | 'vec_ip'>('vec_l2', 'vec_cos', 'vec_ip'), value: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 4 }) }), { nil: undefined }),
}).map((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as unknown as OrderTerm);

const scopePath = fc.array(name, { maxLength: 2 });
const uniqueByPath = <T extends { path: string[] }>(arb: fc.Arbitrary<T>) => fc.uniqueArray(arb, { selector: (x) => JSON.stringify(x.path), maxLength: 3 });
const request: fc.Arbitrary<QueryRequest> = fc.record({
  select: fc.oneof(fc.constant<SelectItem[]>([{ kind: 'star' }]), selectItems),
  filters: fc.array(fc.record({ path: scopePath, node: tree }), { maxLength: 3 }),
  order: uniqueByPath(fc.record({ path: scopePath, terms: fc.array(orderTerm, { minLength: 1, maxLength: 3 }) })),
  ranges: uniqueByPath(fc.record({ path: scopePath, limit: fc.option(fc.nat(), { nil: undefined }), offset: fc.option(fc.nat(), { nil: undefined }) })
    .filter((r) => r.limit !== undefined || r.offset !== undefined)
    .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as ScopedRange)),
  count: fc.option(fc.constantFrom<'exact' | 'planned' | 'estimated'>('exact', 'planned', 'estimated'), { nil: undefined }),
  cursorColumn: fc.option(name, { nil: undefined }),
  onConflict: fc.option(fc.array(name, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  columns: fc.option(fc.array(name, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  groupBy: fc.option(fc.array(name, { minLength: 1, maxLength: 3 }), { nil: undefined }),
  truncate: fc.option(fc.nat(), { nil: undefined }),
}).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as QueryRequest);

describe('printFilter', () => {
  it('parse(print(tree)) deep-equals the tree', () => {
    fc.assert(fc.property(tree, (node) => {
      expect(parsePrinted(printFilter(node))).toEqual(node);
    }), { seed: SEED, numRuns: 2000 });
  }, 60_000);

  it('renders the PostgREST forms', () => {
    const eq: FilterLeaf = { kind: 'filter', field: { column: 'a', path: [] }, negated: false, operation: { op: 'eq', value: 'x,y' } };
    expect(printFilter(eq)).toEqual(['a', 'eq.x,y']);
    expect(printFilter({ kind: 'or', negated: true, children: [eq] })).toEqual(['not.or', '(a.eq."x,y")']);
    expect(printFilter({ ...eq, field: { column: 'order', path: [{ op: '->>', key: 'k' }] } })).toEqual(['"order"->>k', 'eq.x,y']);
    expect(printFilter({ ...eq, operation: { op: 'in', values: ['1', 'a,b', '', 'q"'] } })).toEqual(['a', 'in.(1,"a,b","",q")']);
    expect(printFilter({ ...eq, operation: { op: 'like', quantifier: 'any', values: ['a*', ' b'] } })).toEqual(['a', 'like(any).{a*," b"}']);
  });

  it('round-trips with the parsers directly', () => {
    const node = parseLogic('and', false, '(a.eq.1,or(b.in.("x,y"),c.not.like.*z*),not.and(d.is.null))');
    const [key, text] = printFilter(node);
    expect(key).toBe('and');
    expect(parseLogic('and', false, text)).toEqual(node);
    expect(parseFilter({ column: 'x', path: [] }, printFilter(parseFilter({ column: 'x', path: [] }, 'not.fts(english).a b'))[1]))
      .toEqual(parseFilter({ column: 'x', path: [] }, 'not.fts(english).a b'));
  });
});

describe('printQueryString', () => {
  it('parseQueryString(printQueryString(request)) deep-equals the request', () => {
    fc.assert(fc.property(request, (r) => {
      const expected: QueryRequest = { ...r };
      // Absent select prints nothing and parses back as `*`.
      expect(parseQueryString(printQueryString(r), FLUX)).toEqual(expected);
    }), { seed: SEED, numRuns: 300 });
  }, 60_000);

  it('prints a readable query string', () => {
    const r = parseQueryString('select=id,a:rel!inner(x)&id=gt.1&order=id.desc&limit=5&rel.limit=2', FLUX);
    expect(decodeURIComponent(printQueryString(r))).toBe('select=id,a:rel!inner(x)&id=gt.1&order=id.desc&limit=5&rel.limit=2');
  });
});
