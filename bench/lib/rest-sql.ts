// The baseline's SQL: each REST case compiled ONCE at start with Fluxbase's own parser,
// planner and compiler (the same calls rest/read.ts and rest/write.ts make per request), so
// the baseline sends the very statement text Fluxbase sends. Per request it only swaps in
// the request's values: the id of `{id}` (reads) or the JSON rows (writes).
import postgres from 'postgres';
import { createSchemaCache, type SchemaSnapshot, type Table } from '../../packages/server/src/db/index.ts';
import { compileRead, compileWrite, parseQueryString, planInsert, planRead, type Statement } from '../../packages/server/src/query/index.ts';
import type { Config } from '../../packages/server/src/config/index.ts';
import type { RestCase } from './rest-cases.ts';

export interface CompiledCase {
  text: string;
  /** The compiled values, with the request's value going to `slot`. */
  values: unknown[];
  slot: number | undefined;
  /** Writes: whether the rows parameter is JSON text (else the parsed array itself). */
  rowsAsText: boolean;
}

// An id no fixture row has; its position in the compiled values is where request ids go.
const SENTINEL_ID = '987654321987';

function findSlot(stmt: Statement, value: string, what: string): number {
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const slots = stmt.values.flatMap((v, i) => (text(v) === value ? [i] : []));
  if (slots.length !== 1) throw new Error(`baseline: expected exactly one parameter holding the ${what}, found ${slots.length} in ${JSON.stringify(stmt.values)}`);
  return slots[0]!;
}

/** The rows parameter a hand-written server would build from the parsed body. */
export function rowsParam(body: unknown, asText: boolean): unknown {
  const rows = Array.isArray(body) ? body : [body];
  return asText ? JSON.stringify(rows) : rows;
}

function compileCase(snapshot: SchemaSnapshot, api: Config['api'], c: RestCase): CompiledCase {
  const table: Table | undefined = snapshot.tables.get(`public.${c.table}`);
  if (!table) throw new Error(`baseline: table public.${c.table} is not in the schema cache`);
  const parse = { mount: 'postgrest' as const, aggregatesEnabled: api.aggregates_enabled };
  const hasId = c.query.includes('{id}');
  const query = parseQueryString(c.query.replace('{id}', SENTINEL_ID), parse);
  if (c.method === 'GET') {
    const count = c.prefer?.match(/count=(exact|planned|estimated)/)?.[1] as 'exact' | 'planned' | 'estimated' | undefined;
    const plan = planRead(snapshot, table, query, {
      defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: api.aggregates_enabled, count, range: undefined,
    });
    const stmt = compileRead(plan, { format: 'json', estimatedThreshold: api.estimated_count_threshold });
    return { text: stmt.text, values: stmt.values, slot: hasId ? findSlot(stmt, SENTINEL_ID, 'id') : undefined, rowsAsText: false };
  }
  const body = JSON.parse(c.body ?? 'null') as unknown;
  const plan = planInsert(table, {
    body, columns: query.columns, onConflict: query.onConflict, resolution: undefined, missingDefault: false,
    maxBatchSize: api.max_batch_size, returning: null,
  });
  const pk = table.primaryKey.length === 1 ? table.columnMap.get(table.primaryKey[0]!) : undefined;
  const stmt = compileWrite(plan, { format: 'none', location: Array.isArray(body) ? undefined : pk });
  const slot = findSlot(stmt, JSON.stringify(rowsParam(body, false)), 'rows');
  return { text: stmt.text, values: stmt.values, slot, rowsAsText: typeof stmt.values[slot] === 'string' };
}

/** Introspect the bench database (as its owner) and compile every case. */
export async function compileCases(databaseUrl: string, api: Config['api'], cases: RestCase[]): Promise<Map<string, CompiledCase>> {
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  const cache = createSchemaCache({ sql, exposedSchemas: ['public'] });
  try {
    await cache.start();
    const snapshot = cache.current();
    return new Map(cases.map((c) => [c.name, compileCase(snapshot, api, c)]));
  } finally {
    await cache.stop();
    await sql.end({ timeout: 5 });
  }
}
