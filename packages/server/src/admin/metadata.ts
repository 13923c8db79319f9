// Table metadata for the admin API and the `GET /api/v1/tables` listing (docs/types.md
// "Metadata routes"), built from the schema cache alone. `data_type` follows
// information_schema: the type name for user-defined types (enums, domains, extension types
// such as `vector`), `ARRAY` for arrays, otherwise the built-in type's name without
// modifiers (`character varying(20)` → `character varying`, `numeric(10,2)` → `numeric`).
import type { Column, SchemaSnapshot, Table } from '../db/index.ts';
import { foreignKeysOf } from './foreign-keys.ts';
import { byName } from './ts-syntax.ts';

export type TableType = 'table' | 'view' | 'materialized_view';

export interface ColumnMetadata {
  name: string;
  data_type: string;
  is_nullable: boolean;
  default_value: string | null;
  is_primary_key: boolean;
  is_foreign_key: boolean;
  is_unique: boolean;
  max_length: number | null;
  position: number;
  description?: string;
}

export interface ForeignKeyMetadata {
  name: string;
  columns: string[];
  referenced_schema: string;
  referenced_table: string;
  referenced_columns: string[];
  is_one_to_one: boolean;
}

export interface IndexMetadata {
  name: string;
  columns: string[];
  is_unique: boolean;
  is_primary: boolean;
}

export interface TableMetadata {
  schema: string;
  name: string;
  type: TableType;
  columns: ColumnMetadata[];
  primary_key: string[];
  foreign_keys: ForeignKeyMetadata[];
  indexes: IndexMetadata[];
  rls_enabled: boolean;
}

/** One row of `GET /api/v1/tables`. */
export interface TableListing {
  schema: string;
  name: string;
  type: TableType;
  path: string;
  columns: ColumnMetadata[];
  primary_key: string[];
  rls_enabled: boolean;
}

/** Foreign and partitioned tables are tables to a client. */
export function tableType(table: Table): TableType {
  return table.kind === 'view' || table.kind === 'materialized_view' ? table.kind : 'table';
}

const BUILTIN_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

export function dataType(col: Column): string {
  if (col.category === 'A' || col.elementType !== null) return 'ARRAY';
  if (!BUILTIN_SCHEMAS.has(col.udtSchema) || col.enumValues !== null) return col.udtName;
  const base = col.type.replace(/\(\s*\d+(\s*,\s*-?\d+)?\s*\)/g, '').replace(/\s{2,}/g, ' ').trim();
  // `interval year to month` and friends: information_schema says `interval`.
  return base.startsWith('interval') ? 'interval' : base;
}

function columnsOf(snapshot: SchemaSnapshot, table: Table): ColumnMetadata[] {
  const pk = new Set(table.primaryKey);
  const fkColumns = new Set(foreignKeysOf(snapshot, table).flatMap((fk) => fk.columns));
  const unique = new Set(table.uniqueKeys.filter((k) => k.length === 1).map((k) => k[0]!));
  return table.columns.map((c) => {
    const out: ColumnMetadata = {
      name: c.name,
      data_type: dataType(c),
      is_nullable: c.nullable,
      default_value: c.default,
      is_primary_key: pk.has(c.name),
      is_foreign_key: fkColumns.has(c.name),
      is_unique: unique.has(c.name),
      max_length: c.maxLength,
      position: c.position,
    };
    if (c.comment !== null) out.description = c.comment;
    return out;
  });
}

export function tableMetadata(snapshot: SchemaSnapshot, table: Table): TableMetadata {
  return {
    schema: table.schema,
    name: table.name,
    type: tableType(table),
    columns: columnsOf(snapshot, table),
    primary_key: [...table.primaryKey],
    foreign_keys: foreignKeysOf(snapshot, table).map((fk) => ({
      name: fk.constraint,
      columns: fk.columns,
      referenced_schema: fk.refSchema,
      referenced_table: fk.refTable,
      referenced_columns: fk.refColumns,
      is_one_to_one: fk.oneToOne,
    })),
    indexes: [...table.indexes]
      .sort((a, b) => byName(a.name, b.name))
      .map((i) => ({ name: i.name, columns: [...i.columns], is_unique: i.unique, is_primary: i.primary })),
    rls_enabled: table.rlsEnabled,
  };
}

/** The REST path of a relation: one segment for `public`, `schema/table` otherwise. */
export function restPath(table: Table): string {
  const name = encodeURIComponent(table.name);
  return table.schema === 'public' ? `/api/v1/tables/${name}` : `/api/v1/tables/${encodeURIComponent(table.schema)}/${name}`;
}

export function tableListing(snapshot: SchemaSnapshot, table: Table): TableListing {
  return {
    schema: table.schema,
    name: table.name,
    type: tableType(table),
    path: restPath(table),
    columns: columnsOf(snapshot, table),
    primary_key: [...table.primaryKey],
    rls_enabled: table.rlsEnabled,
  };
}

/** Relations of the given schemas, sorted by schema then name. */
export function tablesIn(snapshot: SchemaSnapshot, schemas: readonly string[]): Table[] {
  const wanted = new Set(schemas);
  return [...snapshot.tables.values()]
    .filter((t) => wanted.has(t.schema))
    .sort((a, b) => byName(a.schema, b.schema) || byName(a.name, b.name));
}
