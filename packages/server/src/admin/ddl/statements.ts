// DDL statement text for the admin DDL routes. Identifiers go through quoteIdent, column
// types through the checked grammar of column-type.ts and defaults through
// column-default.ts, so no request text reaches SQL unquoted. New schemas and tables get
// the grants public has (docs/types.md "Changing the schema from the API"): anon,
// authenticated and service_role, with Row Level Security enabled on every new table so
// nothing is readable until a policy says so.
import { qualified, quoteIdent } from '../../query/index.ts';

export interface ColumnDef {
  name: string;
  /** SQL type text from columnType(). */
  type: string;
  nullable: boolean;
  /** SQL expression text from columnDefault(). */
  default: string | undefined;
}

const API_ROLES = 'anon, authenticated, service_role';

export function createSchemaStatements(schema: string): string[] {
  const s = quoteIdent(schema);
  return [
    `create schema ${s}`,
    `grant usage on schema ${s} to ${API_ROLES}`,
    `alter default privileges in schema ${s} grant all on tables to ${API_ROLES}`,
    `alter default privileges in schema ${s} grant all on sequences to ${API_ROLES}`,
    `alter default privileges in schema ${s} grant all on routines to ${API_ROLES}`,
  ];
}

export function columnSql(c: ColumnDef): string {
  return `${quoteIdent(c.name)} ${c.type}${c.nullable ? '' : ' not null'}${c.default !== undefined ? ` default ${c.default}` : ''}`;
}

export function createTableStatements(schema: string, table: string, columns: ColumnDef[], primaryKey: string[]): string[] {
  const t = qualified(schema, table);
  const defs = columns.map(columnSql);
  if (primaryKey.length > 0) defs.push(`primary key (${primaryKey.map(quoteIdent).join(', ')})`);
  return [
    `create table ${t} (${defs.join(', ')})`,
    `alter table ${t} enable row level security`,
    `grant select, insert, update, delete on ${t} to ${API_ROLES}`,
  ];
}

export function dropTableStatement(schema: string, table: string): string {
  return `drop table ${qualified(schema, table)}`;
}

export function addColumnStatement(schema: string, table: string, column: ColumnDef): string {
  return `alter table ${qualified(schema, table)} add column ${columnSql(column)}`;
}

export function dropColumnStatement(schema: string, table: string, column: string): string {
  return `alter table ${qualified(schema, table)} drop column ${quoteIdent(column)}`;
}
