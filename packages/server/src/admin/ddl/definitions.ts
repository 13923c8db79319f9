// What the DDL bodies become once their shape is parsed: checked names (identifier,
// userSchema), column types (columnType, against the schema snapshot) and defaults
// (columnDefault), as the ColumnDefs the statements are built from.
import type { SchemaSnapshot } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { columnDefault } from './column-default.ts';
import { columnType } from './column-type.ts';
import { identifier, userSchema } from './names.ts';
import type { ColumnDef } from './statements.ts';

export interface ColumnInput {
  name?: unknown;
  type?: unknown;
  nullable?: boolean | undefined;
  primaryKey?: boolean | undefined;
  defaultValue?: unknown;
}

export interface TableInput {
  schema?: unknown;
  name?: unknown;
  columns: ColumnInput[];
}

export interface TableDefinition {
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  /** Columns whose type is a serial (their sequences are granted after creation). */
  serials: string[];
}

const isSerial = (type: string) => /^(small|big)?serial$/.test(type);

/** A table: schema defaults to public; primary-key columns are not null; names are unique. */
export function tableDefinition(input: TableInput, snapshot: SchemaSnapshot): TableDefinition {
  const schema = input.schema === undefined ? 'public' : userSchema(input.schema);
  const name = identifier(input.name, 'name');
  const seen = new Set<string>();
  const columns: ColumnDef[] = [];
  const primaryKey: string[] = [];
  const serials: string[] = [];
  input.columns.forEach((c, i) => {
    const where = `columns[${i}]`;
    const colName = identifier(c.name, `${where}.name`);
    if (seen.has(colName)) {
      throw new AppError('VALIDATION_FAILED', { message: `Column "${colName}" is defined twice`, details: { fields: { [`${where}.name`]: 'duplicate column name' } } });
    }
    seen.add(colName);
    const primary = c.primaryKey ?? false;
    const type = columnType(c.type, `${where}.type`, snapshot, schema);
    if (primary) primaryKey.push(colName);
    if (isSerial(type)) serials.push(colName);
    columns.push({ name: colName, type, nullable: (c.nullable ?? !primary) && !primary, default: columnDefault(c.defaultValue, `${where}.defaultValue`) });
  });
  return { schema, name, columns, primaryKey, serials };
}

/** A column added to an existing table in `schema`. */
export function columnDefinition(input: ColumnInput, snapshot: SchemaSnapshot, schema: string): ColumnDef & { serial: boolean } {
  const type = columnType(input.type, 'type', snapshot, schema);
  return {
    name: identifier(input.name, 'name'),
    type,
    nullable: input.nullable ?? true,
    default: columnDefault(input.defaultValue, 'defaultValue'),
    serial: isSerial(type),
  };
}
