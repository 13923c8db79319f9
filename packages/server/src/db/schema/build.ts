// Catalog rows → an immutable SchemaSnapshot: tables with O(1) column maps (seed 2.4), keys,
// view primary keys inferred from the tables they show, relationships, functions and enums.
// Pure and synchronous, so it is tested with hand-made rows.
import type { CatalogRows, ColumnRow, FunctionRow, RelationRow } from './catalog-rows.ts';
import { buildRelationships, relationKey, type ViewColumnSource } from './relationships.ts';
import type { Column, DbFunction, EnumType, ForeignKey, FunctionArg, Index, RelationKind, SchemaSnapshot, Table } from './types.ts';
import { parseViewTargets, resolveViewLineage, type ColumnOrigin, type ViewTarget } from './view-lineage.ts';

const KINDS: Record<string, RelationKind> = {
  r: 'table', p: 'partitioned_table', v: 'view', m: 'materialized_view', f: 'foreign_table',
};

// pg_relation_is_updatable bits: 1 << CMD_UPDATE, 1 << CMD_INSERT, 1 << CMD_DELETE.
const CAN_UPDATE = 4;
const CAN_INSERT = 8;
const CAN_DELETE = 16;

const IDENTITY: Record<string, Column['identity']> = { a: 'always', d: 'by_default' };
const VOLATILITY: Record<string, DbFunction['volatility']> = { i: 'immutable', s: 'stable', v: 'volatile' };

function toColumn(row: ColumnRow, position: number, enumLabels: ReadonlyMap<number, string[]>): Column {
  return {
    name: row.name,
    position,
    type: row.type,
    udtName: row.udtName,
    udtSchema: row.udtSchema,
    category: row.category,
    elementType: row.elementType,
    nullable: row.nullable,
    default: row.default,
    generated: row.generated,
    identity: IDENTITY[row.identity] ?? null,
    maxLength: row.maxLength,
    enumValues: row.enumOid === null ? null : [...(enumLabels.get(row.enumOid) ?? [])],
    comment: row.comment,
  };
}

function uniqueKeysOf(rel: RelationRow): string[][] {
  const keys: string[][] = [];
  for (const ix of rel.indexes) {
    if (!ix.unique || ix.partial || ix.expressions || !ix.valid) continue;
    if (keys.some((k) => k.length === ix.columns.length && k.every((c) => ix.columns.includes(c)))) continue;
    keys.push(ix.columns);
  }
  return keys;
}

function toTable(rel: RelationRow, columnRows: readonly ColumnRow[], enumLabels: ReadonlyMap<number, string[]>): Table {
  const kind = KINDS[rel.relkind] ?? 'table';
  const columns = columnRows.map((c, i) => toColumn(c, i + 1, enumLabels));
  const isTable = kind === 'table' || kind === 'partitioned_table';
  const mask = isTable ? CAN_INSERT | CAN_UPDATE | CAN_DELETE : kind === 'materialized_view' ? 0 : rel.updatableMask;
  const indexes: Index[] = rel.indexes.map((ix) => ({ name: ix.name, columns: ix.columns, unique: ix.unique, primary: ix.primary }));
  return {
    schema: rel.schema,
    name: rel.name,
    kind,
    columns,
    columnMap: new Map(columns.map((c) => [c.name, c])),
    primaryKey: rel.indexes.find((ix) => ix.primary)?.columns ?? [],
    uniqueKeys: uniqueKeysOf(rel),
    indexes,
    insertable: (mask & CAN_INSERT) !== 0,
    updatable: (mask & CAN_UPDATE) !== 0,
    deletable: (mask & CAN_DELETE) !== 0,
    rlsEnabled: rel.rls,
    estimatedRows: rel.reltuples,
    comment: rel.comment,
    foreignKeys: [],
  };
}

interface RelationInfo {
  table: Table;
  /** attnum → column name. */
  attnames: Map<number, string>;
}

/** Each view column that shows a base-table column, by name. */
function viewColumnSources(byOid: ReadonlyMap<number, RelationInfo>, lineage: ReadonlyMap<number, Map<number, ColumnOrigin>>): ViewColumnSource[] {
  const out: ViewColumnSource[] = [];
  for (const [viewOid, cols] of lineage) {
    const view = byOid.get(viewOid);
    if (!view) continue;
    for (const [resno, origin] of cols) {
      const base = byOid.get(origin.relid);
      const column = view.attnames.get(resno);
      const sourceColumn = base?.attnames.get(origin.attnum);
      if (!base || column === undefined || sourceColumn === undefined) continue;
      out.push({ viewSchema: view.table.schema, view: view.table.name, column, schema: base.table.schema, table: base.table.name, sourceColumn });
    }
  }
  return out;
}

/**
 * A view's primary key: the view columns showing the primary keys of every table whose whole
 * key the view shows (first reference of each key column), as PostgREST infers it.
 */
function inferViewKey(view: Table, sources: readonly ViewColumnSource[], tables: ReadonlyMap<string, Table>): string[] {
  const mine = sources.filter((s) => s.viewSchema === view.schema && s.view === view.name);
  const key: string[] = [];
  for (const baseKey of new Set(mine.map((s) => relationKey(s.schema, s.table)))) {
    const base = tables.get(baseKey);
    if (!base || base.primaryKey.length === 0) continue;
    const picked = base.primaryKey.map((pk) => mine.find((s) => relationKey(s.schema, s.table) === baseKey && s.sourceColumn === pk)?.column);
    if (picked.every((c): c is string => c !== undefined)) key.push(...picked.filter((c) => !key.includes(c)));
  }
  return key;
}

function toFunction(row: FunctionRow): DbFunction {
  const inputs = row.args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
  const outputs = row.args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
  const firstDefault = inputs.length - row.nargDefaults; // defaults apply to the last n input args
  const args: FunctionArg[] = inputs.map((a, i) => ({
    name: a.name,
    type: a.type,
    udtName: a.udt,
    mode: a.mode === 'b' ? 'inout' : a.mode === 'v' ? 'variadic' : 'in',
    hasDefault: i >= firstDefault,
  }));
  const returnColumns = outputs.length > 0
    ? outputs.map((a) => ({ name: a.name, type: a.type, udtName: a.udt }))
    : row.compositeColumns?.map((c) => ({ name: c.name, type: c.type, udtName: c.udt })) ?? null;
  return {
    schema: row.schema,
    name: row.name,
    oid: row.oid,
    args,
    returnType: row.returnType,
    returnTypeName: row.returnTypeName,
    returnTypeSchema: row.returnTypeSchema,
    returnsSet: row.returnsSet,
    returnsRelation: row.returnRelSchema !== null && row.returnRelName !== null ? { schema: row.returnRelSchema, name: row.returnRelName } : null,
    returnColumns,
    returnsScalar: returnColumns === null && !(row.returnTyptype === 'p' && row.returnTypeName === 'record'),
    volatility: VOLATILITY[row.volatility] ?? 'volatile',
    comment: row.comment,
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string | number): Map<string | number, T[]> {
  const out = new Map<string | number, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** Builds a snapshot from one load's rows. */
export function buildSnapshot(rows: CatalogRows, options: { exposedSchemas: readonly string[]; version: number; loadedAt?: Date }): SchemaSnapshot {
  const enumLabels = new Map(rows.enums.map((e) => [e.oid, e.labels]));
  const columnsByRel = groupBy(rows.columns, (c) => c.relid);

  const tables = new Map<string, Table>();
  const byOid = new Map<number, RelationInfo>();
  const viewTargets = new Map<number, ViewTarget[]>();
  for (const rel of rows.relations) {
    const cols = [...(columnsByRel.get(rel.oid) ?? [])].sort((a, b) => a.attnum - b.attnum);
    const table = toTable(rel, cols, enumLabels);
    tables.set(relationKey(rel.schema, rel.name), table);
    byOid.set(rel.oid, { table, attnames: new Map(cols.map((c) => [c.attnum, c.name])) });
    if (rel.viewDefinition) viewTargets.set(rel.oid, parseViewTargets(rel.viewDefinition));
  }

  const sources = viewColumnSources(byOid, resolveViewLineage(viewTargets));
  for (const oid of viewTargets.keys()) {
    const view = byOid.get(oid)?.table;
    if (!view) continue;
    const key = inferViewKey(view, sources, tables);
    if (key.length > 0) tables.set(relationKey(view.schema, view.name), { ...view, primaryKey: key, uniqueKeys: [key] });
  }

  const foreignKeys: ForeignKey[] = [];
  for (const fk of rows.foreignKeys) {
    const from = byOid.get(fk.relid)?.table;
    const to = byOid.get(fk.refRelid)?.table;
    if (!from || !to) continue;
    const entry = { constraint: fk.name, schema: from.schema, table: from.name, columns: fk.columns, refSchema: to.schema, refTable: to.name, refColumns: fk.refColumns };
    foreignKeys.push(entry);
    tables.get(relationKey(from.schema, from.name))?.foreignKeys?.push(entry);
  }

  const functions = new Map<string, DbFunction[]>();
  for (const row of rows.functions) {
    const key = relationKey(row.schema, row.name);
    functions.set(key, [...(functions.get(key) ?? []), toFunction(row)]);
  }

  const enums = new Map<string, EnumType>(rows.enums.map((e) => [relationKey(e.schema, e.name), { schema: e.schema, name: e.name, values: e.labels }]));

  return {
    schemas: rows.schemas.map((s) => s.name),
    exposedSchemas: [...options.exposedSchemas],
    tables,
    relationships: buildRelationships(tables, foreignKeys, sources),
    functions,
    enums,
    version: options.version,
    loadedAt: options.loadedAt ?? new Date(),
  };
}
