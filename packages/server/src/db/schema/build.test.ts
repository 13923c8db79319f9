// Snapshot building from hand-made catalog rows: relation kinds and updatability, keys,
// column maps, enum labels, view keys from lineage, and function signatures.
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build.ts';
import type { CatalogRows, ColumnRow, FunctionArgRow, FunctionRow, IndexRow, RelationRow } from './catalog-rows.ts';

const rel = (oid: number, name: string, relkind: string, extra: Partial<RelationRow> = {}): RelationRow => ({
  oid, schema: 'public', name, relkind, rls: false, reltuples: -1, comment: null, updatableMask: 0, viewDefinition: null, indexes: [], ...extra,
});
const col = (relid: number, attnum: number, name: string, extra: Partial<ColumnRow> = {}): ColumnRow => ({
  relid, attnum, name, type: 'integer', udtName: 'int4', udtSchema: 'pg_catalog', category: 'N', elementType: null, nullable: true,
  default: null, generated: false, identity: '', maxLength: null, enumOid: null, comment: null, ...extra,
});
const ix = (name: string, columns: string[], extra: Partial<IndexRow> = {}): IndexRow => ({
  name, columns, unique: true, primary: false, partial: false, expressions: false, valid: true, ...extra,
});
const fn = (name: string, args: FunctionArgRow[], extra: Partial<FunctionRow> = {}): FunctionRow => ({
  oid: 1, schema: 'public', name, volatility: 'v', returnsSet: false, nargDefaults: 0, returnType: 'integer', returnTypeName: 'int4',
  returnTypeSchema: 'pg_catalog', returnTyptype: 'b', returnRelSchema: null, returnRelName: null, args, compositeColumns: null, comment: null, ...extra,
});
const arg = (name: string, mode: string, type = 'integer'): FunctionArgRow => ({ name, mode, type, udt: type === 'integer' ? 'int4' : type });

const rows = (r: Partial<CatalogRows>): CatalogRows => ({ schemas: [{ name: 'public' }], relations: [], columns: [], foreignKeys: [], functions: [], enums: [], ...r });
const build = (r: Partial<CatalogRows>) => buildSnapshot(rows(r), { exposedSchemas: ['public'], version: 3 });

describe('buildSnapshot: relations', () => {
  it('maps relkinds and derives INSERT/UPDATE/DELETE from the kind and the view bitmask', () => {
    const s = build({
      relations: [
        rel(1, 't', 'r'), rel(2, 'p', 'p'), rel(3, 'v_all', 'v', { updatableMask: 28 }), rel(4, 'v_upd', 'v', { updatableMask: 4 }),
        rel(5, 'v_none', 'v'), rel(6, 'mv', 'm', { updatableMask: 28 }), rel(7, 'ft', 'f', { updatableMask: 8 }),
      ],
    });
    const flags = (n: string) => {
      const t = s.tables.get(`public.${n}`)!;
      return [t.kind, t.insertable, t.updatable, t.deletable];
    };
    expect(flags('t')).toEqual(['table', true, true, true]);
    expect(flags('p')).toEqual(['partitioned_table', true, true, true]);
    expect(flags('v_all')).toEqual(['view', true, true, true]);
    expect(flags('v_upd')).toEqual(['view', false, true, false]);
    expect(flags('v_none')).toEqual(['view', false, false, false]);
    expect(flags('mv')).toEqual(['materialized_view', false, false, false]);
    expect(flags('ft')).toEqual(['foreign_table', true, false, false]);
    expect(s.version).toBe(3);
    expect(s.exposedSchemas).toEqual(['public']);
  });

  it('orders columns by attnum with 1-based positions among live columns, in a Map', () => {
    const s = build({ relations: [rel(1, 't', 'r')], columns: [col(1, 4, 'c'), col(1, 1, 'a'), col(1, 3, 'b')] });
    const t = s.tables.get('public.t')!;
    expect(t.columns.map((c) => [c.name, c.position])).toEqual([['a', 1], ['b', 2], ['c', 3]]);
    expect(t.columnMap).toBeInstanceOf(Map);
    expect(t.columnMap.get('b')).toBe(t.columns[1]);
    expect(t.columnMap.get('nope')).toBeUndefined();
  });

  it('takes unique keys from valid unique indexes without predicates or expressions, once each', () => {
    const s = build({
      relations: [rel(1, 't', 'r', {
        indexes: [
          ix('t_pkey', ['id'], { primary: true }), ix('t_email_key', ['email']), ix('t_email_idx', ['email']),
          ix('t_partial', ['code'], { partial: true }), ix('t_lower', ['lower(name)'], { expressions: true }),
          ix('t_invalid', ['slug'], { valid: false }), ix('t_plain', ['created_at'], { unique: false }), ix('t_pair', ['b', 'a']),
        ],
      })],
    });
    const t = s.tables.get('public.t')!;
    expect(t.primaryKey).toEqual(['id']);
    expect(t.uniqueKeys).toEqual([['id'], ['email'], ['b', 'a']]);
    expect(t.indexes).toHaveLength(8);
    expect(t.indexes[0]).toEqual({ name: 't_pkey', columns: ['id'], unique: true, primary: true });
  });

  it('resolves enum labels for enum, enum-array and domain columns and maps identity', () => {
    const s = build({
      relations: [rel(1, 't', 'r')],
      columns: [col(1, 1, 'id', { identity: 'a' }), col(1, 2, 'mood', { enumOid: 900 }), col(1, 3, 'moods', { enumOid: 900, category: 'A' }), col(1, 4, 'n', { identity: 'd' })],
      enums: [{ oid: 900, schema: 'public', name: 'mood', labels: ['sad', 'happy'] }],
    });
    const t = s.tables.get('public.t')!;
    expect(t.columns.map((c) => [c.name, c.identity, c.enumValues])).toEqual([
      ['id', 'always', null], ['mood', null, ['sad', 'happy']], ['moods', null, ['sad', 'happy']], ['n', 'by_default', null],
    ]);
    expect(s.enums.get('public.mood')).toEqual({ schema: 'public', name: 'mood', values: ['sad', 'happy'] });
  });

  it('infers a view primary key from the table whose whole key it shows', () => {
    const def = '({QUERY :rtable <> :targetList ({TARGETENTRY :expr <> :resno 1 :resname pid :resorigtbl 1 :resorigcol 1 :resjunk false} {TARGETENTRY :expr <> :resno 2 :resname x :resorigtbl 0 :resorigcol 0 :resjunk false}) :override 0})';
    const s = build({
      relations: [rel(1, 't', 'r', { indexes: [ix('t_pkey', ['id'], { primary: true })] }), rel(2, 'v', 'v', { viewDefinition: def }), rel(3, 'w', 'v', { viewDefinition: def.replace(':resorigtbl 1 :resorigcol 1', ':resorigtbl 0 :resorigcol 0') })],
      columns: [col(1, 1, 'id'), col(2, 1, 'pid'), col(2, 2, 'x'), col(3, 1, 'pid'), col(3, 2, 'x')],
    });
    expect(s.tables.get('public.v')!.primaryKey).toEqual(['pid']);
    expect(s.tables.get('public.v')!.uniqueKeys).toEqual([['pid']]);
    expect(s.tables.get('public.w')!.primaryKey).toEqual([]);
  });

  it('lists each table its own foreign keys and skips FKs to unknown relations', () => {
    const s = build({
      relations: [rel(1, 'users', 'r'), rel(2, 'posts', 'r')],
      foreignKeys: [{ name: 'posts_user_fkey', relid: 2, refRelid: 1, columns: ['user_id'], refColumns: ['id'] }, { name: 'gone', relid: 2, refRelid: 99, columns: ['x'], refColumns: ['id'] }],
    });
    expect(s.tables.get('public.posts')!.foreignKeys).toEqual([{ constraint: 'posts_user_fkey', schema: 'public', table: 'posts', columns: ['user_id'], refSchema: 'public', refTable: 'users', refColumns: ['id'] }]);
    expect(s.tables.get('public.users')!.foreignKeys).toEqual([]);
  });
});

describe('buildSnapshot: functions', () => {
  it('keeps input args in order, defaults on the last n inputs, OUT args as return columns', () => {
    const s = build({
      functions: [fn('f', [arg('a', 'i'), arg('o1', 'o'), arg('b', 'b'), arg('', 'i', 'text'), arg('rest', 'v', 'integer[]'), arg('o2', 'o', 'text')], { nargDefaults: 2, returnType: 'record', returnTypeName: 'record', returnTyptype: 'p' })],
    });
    const f = s.functions.get('public.f')![0]!;
    expect(f.args.map((a) => [a.name, a.mode, a.type, a.hasDefault])).toEqual([
      ['a', 'in', 'integer', false], ['b', 'inout', 'integer', false], ['', 'in', 'text', true], ['rest', 'variadic', 'integer[]', true],
    ]);
    expect(f.returnColumns).toEqual([{ name: 'o1', type: 'integer', udtName: 'int4' }, { name: 'b', type: 'integer', udtName: 'int4' }, { name: 'o2', type: 'text', udtName: 'text' }]);
    expect(f.returnsScalar).toBe(false);
  });

  it('classifies scalar, record, relation and composite returns and volatility', () => {
    const s = build({
      functions: [
        fn('scalar', [], { volatility: 'i' }),
        fn('nothing', [], { returnType: 'void', returnTypeName: 'void', returnTyptype: 'p', volatility: 's' }),
        fn('rec', [], { returnType: 'record', returnTypeName: 'record', returnTyptype: 'p', returnsSet: true }),
        fn('rows', [], { returnType: 'public.items', returnTypeName: 'items', returnTyptype: 'c', returnsSet: true, returnRelSchema: 'public', returnRelName: 'items', compositeColumns: [{ name: 'id', type: 'integer', udt: 'int4' }] }),
        fn('rows', [arg('n', 'i')], { oid: 2 }),
      ],
    });
    const one = (n: string) => s.functions.get(`public.${n}`)![0]!;
    expect([one('scalar').returnsScalar, one('scalar').volatility, one('scalar').returnColumns]).toEqual([true, 'immutable', null]);
    expect([one('nothing').returnsScalar, one('nothing').volatility]).toEqual([true, 'stable']);
    expect([one('rec').returnsScalar, one('rec').returnColumns, one('rec').volatility]).toEqual([false, null, 'volatile']);
    expect(one('rows')).toMatchObject({ returnsSet: true, returnsRelation: { schema: 'public', name: 'items' }, returnColumns: [{ name: 'id', type: 'integer', udtName: 'int4' }], returnsScalar: false });
    expect(s.functions.get('public.rows')).toHaveLength(2); // overloads
  });
});
