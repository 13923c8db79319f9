// The filter SQL compiler and the in-memory evaluator agree with PostgreSQL: random filter
// trees over every operator the evaluator supports are planned with planFilter, compiled
// with compileFilter and run by PostgreSQL, and the same trees are evaluated by
// evaluateFilter on the rows as PostgreSQL renders them to JSON (`to_jsonb`); the
// selected ids must be identical.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { col } from '../src/query/column-fixture.ts';
import type { Column, Table } from '../src/db/index.ts';
import {
  assertEvaluable, compileFilter, evaluateFilter, Params, planFilter, printFilter,
  type FilterLeaf, type FilterNode, type JsonPathStep, type Operation,
} from '../src/query/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

const SEED = 20240611;


const MOODS = ['sad', 'ok', 'happy'];
const COLUMNS: Column[] = [
  col('id', 'integer', 'int4', 'N', { nullable: false }),
  col('n', 'integer', 'int4', 'N'),
  col('x', 'numeric', 'numeric', 'N'),
  col('f', 'double precision', 'float8', 'N'),
  col('t', 'text', 'text', 'S'),
  col('v', 'character varying(5)', 'varchar', 'S'),
  col('b', 'boolean', 'bool', 'B'),
  col('u', 'uuid', 'uuid', 'U'),
  col('e', 'mood', 'mood', 'E', { udtSchema: 'public', enumValues: MOODS }),
  col('ia', 'integer[]', '_int4', 'A', { elementType: 'int4' }),
  col('ta', 'text[]', '_text', 'A', { elementType: 'text' }),
  col('j', 'jsonb', 'jsonb', 'U'),
].map((c, i) => ({ ...c, position: i + 1 }));
const columnMap = new Map(COLUMNS.map((c) => [c.name, c]));
const TABLE: Table = {
  schema: 'public', name: 'ft', kind: 'table', columns: COLUMNS, columnMap, primaryKey: ['id'], uniqueKeys: [['id']], indexes: [],
  insertable: true, updatable: true, deletable: true, rlsEnabled: false, estimatedRows: -1, comment: null,
};

// ── values ──
const CHARS = ['a', 'b', 'A', 'B', 'z', 'é', 'É', 'ß', 'Ω', '😀', ' ', '%', '_', '*', ',', '"', '(', ')', '.', '{', '}', '\\'];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((a) => a.join(''));
const shortText = fc.array(fc.constantFrom(...CHARS), { maxLength: 5 }).map((a) => a.join('')).filter((s) => [...s].length <= 5);
const UUIDS = ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-4000-8000-000000000001', 'ffffffff-0000-4000-8000-00000000000f'];
const uuidInput = fc.tuple(fc.constantFrom(...UUIDS), fc.constantFrom('plain', 'upper', 'nohyphen', 'braces'))
  .map(([u, f]) => (f === 'upper' ? u.toUpperCase() : f === 'nohyphen' ? u.replaceAll('-', '') : f === 'braces' ? `{${u}}` : u));
const jsonScalar = fc.oneof(fc.integer({ min: -3, max: 5 }), fc.constantFrom(1.5, -0.25), fc.constantFrom('a', 'b', 'É', 'x y', ''), fc.boolean());
const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonScalar, fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('v'), { maxKeys: 3 })),
})).v;
const jsonTop = fc.oneof(jsonScalar, fc.array(jsonValue, { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', 'c'), jsonValue, { maxKeys: 3 }));
const intArray = fc.array(fc.option(fc.integer({ min: 0, max: 4 }), { freq: 6 }), { maxLength: 3 });
const textArray = fc.array(fc.option(fc.constantFrom('a', 'b', 'x,y', 'q"t', 'NULL', ' s ', ''), { freq: 6 }), { maxLength: 3 });

const rowArb = fc.record({
  n: fc.option(fc.integer({ min: -3, max: 12 }), { freq: 5 }),
  x: fc.option(fc.constantFrom(-2.5, 0, 0.1, 1, 1.5, 2, 10, 100.25, 'NaN'), { freq: 5 }),
  f: fc.option(fc.constantFrom(0.1, 1.5, -1, 1e20, 0, 'NaN', 'Infinity'), { freq: 5 }),
  t: fc.option(text, { freq: 5 }),
  v: fc.option(shortText, { freq: 5 }),
  b: fc.option(fc.boolean(), { freq: 4 }),
  u: fc.option(fc.constantFrom(...UUIDS), { freq: 4 }),
  e: fc.option(fc.constantFrom(...MOODS), { freq: 4 }),
  ia: fc.option(intArray, { freq: 5 }),
  ta: fc.option(textArray, { freq: 5 }),
  j: fc.option(jsonTop, { freq: 5 }),
});

// ── filters ──
const leaf = (column: string, operation: Operation, path: JsonPathStep[] = []): FilterLeaf => ({ kind: 'filter', field: { column, path }, negated: false, operation });
const intText = fc.oneof(fc.integer({ min: -3, max: 12 }).map(String), fc.constantFrom(' 4 ', '+3', '-0'));
const numericText = fc.constantFrom('0.1', '1.50', '2', '-2.5', '1e1', '.5', '10.0', '100.25', 'NaN', '0');
const floatText = fc.constantFrom('0.1', '1.5', '-1', '1e20', 'NaN', 'Infinity', '-Infinity', '0', '-0', 'inf');
const boolText = fc.constantFrom('true', 'false', 't', 'f', 'TRUE', 'yes', 'no', 'on', 'off', '1', '0', ' true ');
const likeToken = fc.constantFrom('a', 'A', 'b', 'é', 'É', '😀', ' ', ',', '%', '_', '*', '\\%', '\\_', '\\\\', '\\a', '1', '2', '-');
const likePattern = fc.array(likeToken, { maxLength: 4 }).map((a) => a.join(''));
const reLiteral = fc.constantFrom(...CHARS, '1', '2').map((c) => (/[A-Za-z0-9]/.test(c) ? c : `\\${c}`));
const reAtom = fc.oneof(reLiteral, fc.constantFrom('.', '[ab]', '[^a]', '[a-zA-Z]', '[ß-é]', '\\d', '\\w', '\\s', '(ab)', '(a|b)'));
const reQuant = fc.constantFrom('', '', '*', '+', '?', '{1,2}');
const reSeq = fc.array(fc.tuple(reAtom, reQuant).map(([a, q]) => (a === '(a|b)' ? a : a + q)), { minLength: 1, maxLength: 3 }).map((a) => a.join(''));
const regex = fc.tuple(fc.boolean(), fc.array(reSeq, { minLength: 1, maxLength: 2 }), fc.boolean())
  .map(([s, alts, e]) => `${s ? '^' : ''}${alts.join('|')}${e ? '$' : ''}`);

const CMP = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;

/** Every operator on a scalar field: comparisons, isdistinct, in, quantifiers, patterns, is. */
function scalarLeaf(column: string, value: fc.Arbitrary<string>, path: JsonPathStep[] = [], patterns = true): fc.Arbitrary<FilterLeaf> {
  const options: fc.Arbitrary<FilterLeaf>[] = [
    fc.tuple(fc.constantFrom(...CMP, 'isdistinct' as const), value).map(([op, v]) => leaf(column, { op, value: v }, path)),
    fc.array(value, { maxLength: 4 }).map((values) => leaf(column, { op: 'in', values }, path)),
    fc.tuple(fc.constantFrom(...CMP), fc.constantFrom('any' as const, 'all' as const), fc.array(value, { maxLength: 3 }))
      .map(([op, quantifier, values]) => leaf(column, { op, quantifier, values }, path)),
    fc.constant(leaf(column, { op: 'is', value: 'null' }, path)),
  ];
  if (patterns) {
    options.push(
      fc.tuple(fc.constantFrom('like' as const, 'ilike' as const), likePattern).map(([op, v]) => leaf(column, { op, value: v }, path)),
      fc.tuple(fc.constantFrom('match' as const, 'imatch' as const), regex).map(([op, v]) => leaf(column, { op, value: v }, path)),
      fc.tuple(fc.constantFrom('like' as const, 'ilike' as const), fc.constantFrom('any' as const, 'all' as const), fc.array(likePattern, { maxLength: 3 }))
        .map(([op, quantifier, values]) => leaf(column, { op, quantifier, values }, path)),
      fc.tuple(fc.constantFrom('match' as const, 'imatch' as const), fc.constantFrom('any' as const, 'all' as const), fc.array(regex, { maxLength: 3 }))
        .map(([op, quantifier, values]) => leaf(column, { op, quantifier, values }, path)),
    );
  }
  return fc.oneof(...options);
}

const arrayText = (item: fc.Arbitrary<string | null>): fc.Arbitrary<string> =>
  fc.tuple(fc.array(item, { maxLength: 3 }), fc.constantFrom('literal', 'paren', 'json')).map(([items, form]) => {
    if (form === 'json') return JSON.stringify(items);
    if (form === 'paren' && items.every((i) => i !== null && /^[a-z0-9]+$/.test(i))) return `(${items.join(',')})`;
    return `{${items.map((i) => (i === null ? 'NULL' : `"${i.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join(',')}}`;
  });

function arrayLeaf(column: string, item: fc.Arbitrary<string | null>): fc.Arbitrary<FilterLeaf> {
  return fc.oneof(
    fc.tuple(fc.constantFrom('eq' as const, 'neq' as const, 'cs' as const, 'cd' as const, 'ov' as const, 'isdistinct' as const), arrayText(item))
      .map(([op, v]) => leaf(column, { op, value: v })),
    fc.constant(leaf(column, { op: 'is', value: 'null' })),
  );
}

const jsonText = jsonTop.map((v) => JSON.stringify(v));
const jsonPath = fc.constantFrom<JsonPathStep[]>([{ op: '->', key: 'a' }], [{ op: '->', key: 'b' }], [{ op: '->', key: '0' }], [{ op: '->', key: '-1' }], [{ op: '->', key: 'a' }, { op: '->', key: 'b' }]);
const textPath = fc.constantFrom<JsonPathStep[]>([{ op: '->>', key: 'a' }], [{ op: '->>', key: 'b' }], [{ op: '->>', key: '0' }], [{ op: '->', key: 'a' }, { op: '->>', key: 'b' }], [{ op: '->', key: 'c' }, { op: '->>', key: '-1' }]);
const jsonLeaf: fc.Arbitrary<FilterLeaf> = fc.oneof(
  fc.tuple(fc.constantFrom('eq' as const, 'neq' as const, 'cs' as const, 'cd' as const, 'isdistinct' as const), jsonText, fc.option(jsonPath))
    .map(([op, v, p]) => leaf('j', { op, value: v }, p ?? [])),
  fc.tuple(fc.array(jsonText, { maxLength: 3 }), jsonPath).map(([values, p]) => leaf('j', { op: 'in', values }, p)),
  fc.option(jsonPath).map((p) => leaf('j', { op: 'is', value: 'null' }, p ?? [])),
  textPath.chain((p) => scalarLeaf('j', fc.oneof(text, fc.constantFrom('1', '1.5', 'true', 'a', 'b', '{"a": 1}', '[1, 2]')), p)),
);

const leafArb: fc.Arbitrary<FilterLeaf> = fc.oneof(
  scalarLeaf('n', intText),
  scalarLeaf('x', numericText, [], false),
  scalarLeaf('f', floatText, [], false),
  scalarLeaf('t', text),
  scalarLeaf('v', text),
  fc.oneof(scalarLeaf('b', boolText), fc.constantFrom('true', 'false', 'unknown', 'null').map((v) => leaf('b', { op: 'is', value: v as 'true' }))),
  scalarLeaf('u', uuidInput),
  scalarLeaf('e', fc.constantFrom(...MOODS)),
  arrayLeaf('ia', fc.option(fc.integer({ min: 0, max: 4 }).map(String), { freq: 6 })),
  arrayLeaf('ta', fc.option(fc.constantFrom('a', 'b', 'x,y', 'q"t', 'NULL', ' s ', ''), { freq: 6 })),
  jsonLeaf,
).chain((l) => fc.boolean().map((negated) => ({ ...l, negated })));

const treeArb: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), negated: fc.boolean(), children: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) })),
})).node;

// ── the comparison ──
let db: TestDatabase;
let rows: Record<string, unknown>[];

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create type public.mood as enum ('sad', 'ok', 'happy');
    create table public.ft (id int primary key, n int, x numeric, f float8, t text collate "C", v varchar(5) collate "C", b bool,
      u uuid, e public.mood, ia int[], ta text[] collate "C", j jsonb)`);
  const generated = fc.sample(rowArb, { seed: SEED, numRuns: 60 }).map((r, i) => ({ id: i + 1, ...r }));
  await db.sql.unsafe('insert into public.ft select * from jsonb_populate_recordset(null::public.ft, $1::text::jsonb)', [JSON.stringify(generated)]);
  const rendered = await db.sql.unsafe<{ r: Record<string, unknown> }[]>('select to_jsonb(r0) as r from public.ft r0 order by id');
  rows = rendered.map((x) => x.r);
});
afterAll(async () => {
  await db?.drop();
});

async function sqlIds(node: FilterNode): Promise<number[]> {
  const params = new Params();
  const where = compileFilter(planFilter(TABLE, node), 't0', params);
  const result = await db.sql.unsafe<{ id: number }[]>(`select id from public.ft t0 where ${where} order by id`, params.values as never[]);
  return result.map((r) => r.id);
}

describe('compileFilter and evaluateFilter agree with PostgreSQL', () => {
  it('has the rows it generated, NULLs included', () => {
    expect(rows).toHaveLength(60);
    for (const c of ['n', 't', 'ia', 'j']) expect(rows.some((r) => r[c] === null)).toBe(true);
  });

  it('selects the same rows for 300 random filter trees over every evaluable operator', async () => {
    let discriminating = 0;
    await fc.assert(fc.asyncProperty(treeArb, async (node) => {
      assertEvaluable(node, columnMap);
      const expected = rows.filter((r) => evaluateFilter(node, r, columnMap)).map((r) => r.id as number);
      const actual = await sqlIds(node).catch((err: Error) => {
        throw new Error(`${printFilter(node).join('=')}: ${err.message}`);
      });
      if (expected.length > 0 && expected.length < rows.length) discriminating++;
      expect({ filter: printFilter(node).join('='), ids: expected }).toEqual({ filter: printFilter(node).join('='), ids: actual });
    }), { seed: SEED, numRuns: 300 });
    // The generator must exercise real selections, not only all-or-nothing filters.
    expect(discriminating).toBeGreaterThan(100);
  });
});
