// Request bodies of the DDL routes (upstream SDK shapes, API.md §7.1), checked field by
// field: `{name}` for schemas, `{schema?, name, columns: [{name, type, nullable?,
// primaryKey?, defaultValue?}]}` for tables, `{name, type, nullable?, defaultValue?}` for
// a new column. Unknown fields are refused so a typo is not silently ignored.
import type { SchemaSnapshot } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { columnDefault } from './column-default.ts';
import { columnType } from './column-type.ts';
import { identifier, userSchema } from './names.ts';
import type { ColumnDef } from './statements.ts';

const MAX_COLUMNS = 1600; // PostgreSQL's limit per table

export function objectBody(body: unknown, allowed: readonly string[], where = 'body'): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('INVALID_REQUEST_BODY', { message: `${where} must be a JSON object`, details: { field: where } });
  }
  const unknown = Object.keys(body).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new AppError('INVALID_REQUEST_BODY', { message: `Unknown field "${unknown}" in ${where}; expected ${allowed.join(', ')}`, details: { field: unknown } });
  }
  return body as Record<string, unknown>;
}

function optionalBoolean(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new AppError('INVALID_REQUEST_BODY', { message: `${field} must be a boolean`, details: { field } });
  return value;
}

export function schemaRequest(body: unknown): string {
  return userSchema(objectBody(body, ['name']).name, 'name');
}

export interface TableRequest {
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  /** Columns whose type is a serial (their sequences are granted after creation). */
  serials: string[];
}

export function tableRequest(body: unknown, snapshot: SchemaSnapshot): TableRequest {
  const b = objectBody(body, ['schema', 'name', 'columns']);
  const schema = b.schema === undefined ? 'public' : userSchema(b.schema);
  const name = identifier(b.name, 'name');
  if (!Array.isArray(b.columns) || b.columns.length === 0 || b.columns.length > MAX_COLUMNS) {
    throw new AppError('INVALID_REQUEST_BODY', { message: 'columns must be a non-empty array of column definitions', details: { field: 'columns' } });
  }
  const seen = new Set<string>();
  const columns: ColumnDef[] = [];
  const primaryKey: string[] = [];
  const serials: string[] = [];
  b.columns.forEach((raw, i) => {
    const where = `columns[${i}]`;
    const c = objectBody(raw, ['name', 'type', 'nullable', 'primaryKey', 'defaultValue'], where);
    const colName = identifier(c.name, `${where}.name`);
    if (seen.has(colName)) {
      throw new AppError('VALIDATION_FAILED', { message: `Column "${colName}" is defined twice`, details: { fields: { [`${where}.name`]: 'duplicate column name' } } });
    }
    seen.add(colName);
    const primary = optionalBoolean(c.primaryKey, `${where}.primaryKey`, false);
    const type = columnType(c.type, `${where}.type`, snapshot, schema);
    if (primary) primaryKey.push(colName);
    if (/^(small|big)?serial$/.test(type)) serials.push(colName);
    columns.push({
      name: colName,
      type,
      nullable: optionalBoolean(c.nullable, `${where}.nullable`, !primary) && !primary,
      default: columnDefault(c.defaultValue, `${where}.defaultValue`),
    });
  });
  return { schema, name, columns, primaryKey, serials };
}

export function columnRequest(body: unknown, snapshot: SchemaSnapshot, schema: string): ColumnDef & { serial: boolean } {
  const c = objectBody(body, ['name', 'type', 'nullable', 'defaultValue']);
  const type = columnType(c.type, 'type', snapshot, schema);
  return {
    name: identifier(c.name, 'name'),
    type,
    nullable: optionalBoolean(c.nullable, 'nullable', true),
    default: columnDefault(c.defaultValue, 'defaultValue'),
    serial: /^(small|big)?serial$/.test(type),
  };
}
