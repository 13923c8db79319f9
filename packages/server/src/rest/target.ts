// Which table a request means: the schema from the path (/api/v1) or from
// Accept-Profile / Content-Profile (/rest/v1), checked against api.exposed_schemas
// (internal schemas are never reachable), then the table from the schema cache.
import { isInternalSchema, type SchemaSnapshot, type Table } from '../db/index.ts';
import { AppError } from '../http/index.ts';
import { closestName, quoteInput } from '../query/index.ts';

export type Mount = 'fluxbase' | 'postgrest';

export function exposedSchemas(snapshot: SchemaSnapshot): string[] {
  return snapshot.exposedSchemas.filter((s) => !isInternalSchema(s));
}

export function checkSchema(snapshot: SchemaSnapshot, schema: string): string {
  const exposed = exposedSchemas(snapshot);
  if (!exposed.includes(schema)) {
    throw new AppError('SCHEMA_NOT_EXPOSED', {
      message: `The schema ${quoteInput(schema)} is not exposed`,
      details: { schema },
      hint: `Exposed schemas: ${exposed.join(', ')}${schema === '' ? '' : '. On /api/v1/tables two path segments always mean schema/table'}`,
    });
  }
  return schema;
}

/** Schema of a /rest/v1 request: Accept-Profile for reads, Content-Profile for writes. */
export function profileSchema(snapshot: SchemaSnapshot, header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') {
    const first = exposedSchemas(snapshot)[0];
    if (first === undefined) throw new AppError('SCHEMA_NOT_EXPOSED', { message: 'No schema is exposed (api.exposed_schemas)' });
    return first;
  }
  return checkSchema(snapshot, value);
}

export function findTable(snapshot: SchemaSnapshot, schema: string, name: string): Table {
  const table = snapshot.tables.get(`${schema}.${name}`);
  if (table) return table;
  const names = [...snapshot.tables.values()].filter((t) => t.schema === schema).map((t) => t.name);
  const closest = closestName(name, names);
  throw new AppError('TABLE_NOT_FOUND', {
    message: `Could not find the table ${quoteInput(`${schema}.${name}`)} in the schema cache`,
    details: { schema, table: name },
    hint: closest ? `Perhaps you meant the table ${quoteInput(`${schema}.${closest}`)}` : 'Check the name, or refresh the schema cache after DDL',
  });
}
