// Hand-built schema snapshots for the admin unit tests (type generation, metadata):
// terse builders that fill every field of the schema cache's model with the values
// introspection would give, so a test states only what it is about.
import type { Column, DbFunction, EnumType, Relationship, SchemaSnapshot, Table } from '../db/index.ts';

const CATEGORY: Record<string, string> = {
  bool: 'B', int2: 'N', int4: 'N', int8: 'N', float4: 'N', float8: 'N', numeric: 'N',
  text: 'S', varchar: 'S', bpchar: 'S', name: 'S', date: 'D', timestamptz: 'D', timestamp: 'D', time: 'D',
  interval: 'T', inet: 'I', int4range: 'R', point: 'G',
};
const FORMAT: Record<string, string> = {
  bool: 'boolean', int2: 'smallint', int4: 'integer', int8: 'bigint', float4: 'real', float8: 'double precision',
  varchar: 'character varying', bpchar: 'character', timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone', time: 'time without time zone',
};

export type ColumnSpec = Partial<Column> & { name: string; udtName: string };

/** A column; arrays are written with a leading `_` (`_text`), enums pass `enumValues`. */
export function col(spec: ColumnSpec): Column {
  const isArray = spec.udtName.startsWith('_');
  const element = isArray ? spec.udtName.slice(1) : null;
  const base = element ?? spec.udtName;
  const category = isArray ? 'A' : spec.enumValues ? 'E' : (CATEGORY[base] ?? 'U');
  return {
    position: 0,
    type: `${FORMAT[base] ?? base}${isArray ? '[]' : ''}`,
    udtSchema: 'pg_catalog',
    category,
    elementType: element,
    nullable: false,
    default: null,
    generated: false,
    identity: null,
    maxLength: null,
    enumValues: null,
    comment: null,
    ...spec,
  };
}

export type TableSpec = Partial<Omit<Table, 'columns' | 'columnMap'>> & { name: string; columns: ColumnSpec[] };

export function table(spec: TableSpec): Table {
  const columns = spec.columns.map((c, i) => col({ position: i + 1, ...c }));
  const kind = spec.kind ?? 'table';
  const writable = kind === 'table' || kind === 'partitioned_table';
  return {
    schema: 'public',
    kind,
    primaryKey: [],
    uniqueKeys: spec.primaryKey && spec.primaryKey.length > 0 ? [spec.primaryKey] : [],
    indexes: [],
    insertable: writable,
    updatable: writable,
    deletable: writable,
    rlsEnabled: false,
    estimatedRows: -1,
    comment: null,
    ...spec,
    columns,
    columnMap: new Map(columns.map((c) => [c.name, c])),
  };
}

export type FunctionSpec = Partial<DbFunction> & { name: string };

export function fn(spec: FunctionSpec): DbFunction {
  return {
    schema: 'public',
    oid: 0,
    args: [],
    returnType: 'void',
    returnTypeName: 'void',
    returnTypeSchema: 'pg_catalog',
    returnsSet: false,
    returnsRelation: null,
    returnColumns: null,
    returnsScalar: true,
    volatility: 'volatile',
    comment: null,
    ...spec,
  };
}

/** A many-to-one (or one-to-one) FK from `from` to `to`, plus its reverse direction. */
export function fk(name: string, from: [string, string, string[]], to: [string, string, string[]], oneToOne = false): Relationship[] {
  const source = { schema: from[0], table: from[1], columns: from[2] };
  const target = { schema: to[0], table: to[1], columns: to[2] };
  return [
    { kind: oneToOne ? 'one_to_one' : 'many_to_one', constraint: name, source, target },
    { kind: oneToOne ? 'one_to_one' : 'one_to_many', constraint: name, source: target, target: source },
  ];
}

export interface SnapshotSpec {
  tables?: Table[];
  functions?: DbFunction[];
  enums?: EnumType[];
  relationships?: Relationship[];
  schemas?: string[];
  exposedSchemas?: string[];
}

export function snapshot(spec: SnapshotSpec = {}): SchemaSnapshot {
  const relationships = new Map<string, Relationship[]>();
  for (const r of spec.relationships ?? []) {
    const k = `${r.source.schema}.${r.source.table}`;
    relationships.set(k, [...(relationships.get(k) ?? []), r]);
  }
  const functions = new Map<string, DbFunction[]>();
  for (const f of spec.functions ?? []) {
    const k = `${f.schema}.${f.name}`;
    functions.set(k, [...(functions.get(k) ?? []), f]);
  }
  return {
    schemas: spec.schemas ?? ['public'],
    exposedSchemas: spec.exposedSchemas ?? ['public'],
    tables: new Map((spec.tables ?? []).map((t) => [`${t.schema}.${t.name}`, t])),
    relationships,
    functions,
    enums: new Map((spec.enums ?? []).map((e) => [`${e.schema}.${e.name}`, e])),
    version: 1,
    loadedAt: new Date(0),
  };
}
