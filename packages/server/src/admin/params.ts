// Input parsing for the admin schema routes: schema lists and boolean flags of the query,
// the schema check shared with the bodies, and the Accept negotiation of GET
// /schema/typescript. A malformed parameter is INVALID_FORMAT; a well-formed but unknown
// or internal schema is VALIDATION_FAILED naming it. (Bodies: zod schemas in the routes.)
import { FLUXBASE_SCHEMAS, isInternalSchema, type SchemaSnapshot } from '../db/index.ts';
import { AppError } from '../http/index.ts';

/**
 * Fluxbase's own and PostgreSQL's schemas are never listed, typed or described by these
 * routes (docs/rest.md "Exposed schemas and profiles"; db/schema/internal.ts).
 */
export { isInternalSchema };

const badParameter = (parameter: string, message: string) =>
  new AppError('INVALID_FORMAT', { message, details: { parameter } });

type QueryValue = string | string[] | undefined;

/** `a,b` → ['a', 'b']; undefined when absent. Repeated, empty or blank entries are malformed. */
export function schemaListParam(value: QueryValue, parameter: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badParameter(parameter, `Give ${parameter} once, as a comma-separated list`);
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw badParameter(parameter, `${parameter} must be a comma-separated list of schema names`);
  return names;
}

/** `true` / `false`; absent gives the default. */
export function booleanParam(value: QueryValue, parameter: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badParameter(parameter, `${parameter} must be true or false`);
}

/** Every name must be a non-internal schema the cache knows. Returns the names deduplicated. */
export function checkSchemas(snapshot: SchemaSnapshot, names: readonly string[], field = 'schemas'): string[] {
  const known = new Set(snapshot.schemas);
  for (const name of names) {
    if (isInternalSchema(name) || !known.has(name)) {
      const why = FLUXBASE_SCHEMAS.has(name) ? 'is internal to Fluxbase' : isInternalSchema(name) ? 'is a PostgreSQL system schema' : 'does not exist';
      throw new AppError('VALIDATION_FAILED', {
        message: `Schema "${name}" ${why}`,
        details: { fields: { [field]: `Schema "${name}" ${why}` } },
        hint: 'GET /api/v1/admin/schemas lists the schemas',
      });
    }
  }
  return [...new Set(names)];
}

/** When no schema is named: the exposed schemas that exist (config may name one not created yet). */
export function defaultSchemas(snapshot: SchemaSnapshot): string[] {
  const known = new Set(snapshot.schemas);
  return snapshot.exposedSchemas.filter((s) => known.has(s) && !isInternalSchema(s));
}

export interface TypescriptRequest {
  schemas: string[] | undefined;
  includeFunctions: boolean;
  includeViews: boolean;
}

/**
 * GET /schema/typescript answers text unless the client asks for JSON (as upstream: any
 * `application/json` in Accept). null: nothing acceptable was offered.
 */
export function typescriptRepresentation(accept: string | undefined): 'text' | 'json' | null {
  if (accept === undefined || accept.trim() === '') return 'text';
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q === undefined ? 1 : Number(q.slice(2)) };
  }).filter((r) => r.type !== '' && !(r.q <= 0));
  if (ranges.some((r) => r.type === 'application/json')) return 'json';
  if (ranges.some((r) => r.type === 'text/plain' || r.type === 'text/*' || r.type === '*/*')) return 'text';
  return null;
}
