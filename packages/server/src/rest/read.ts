// Table and view reads (GET/HEAD and POST …/query): plan, compile, run, and shape the
// response — JSON array, single object, or CSV; Content-Range with the count; the next
// cursor; ETag.
import { AppError, errors } from '../http/index.ts';
import {
  compileCountEstimate, compileRead, encodeCursor, planRead, rootKeys,
  type QueryRequest, type ReadPlan, type Statement,
} from '../query/index.ts';
import { rawShape, readShape, type ReadShape } from './read-cache.ts';
import { plannedCount, run, type ResultRow } from './execute.ts';
import { applied } from './prefer.ts';
import type { RestRequest, RestResponse, TableRequest } from './request.ts';
import { respond } from './respond.ts';
import type { RestDeps } from './deps.ts';

export function contentRange(offset: number, n: number, total: number | null): string {
  const t = total === null ? '*' : String(total);
  return n === 0 ? `*/${t}` : `${offset}-${offset + n - 1}/${t}`;
}

export function csvHeader(keys: string[]): string {
  return keys.map((k) => (/[",\n\r]/.test(k) ? `"${k.replaceAll('"', '""')}"` : k)).join(',');
}

/** Strip the array brackets of a one-element JSON array (the object representation). */
export function singleObject(row: ResultRow): string {
  if (row.page_total !== 1) {
    throw new AppError('SINGLE_OBJECT_EXPECTED', {
      message: 'JSON object requested, multiple (or no) rows returned',
      details: { rows: row.page_total },
      hint: 'Filter to exactly one row, or drop the application/vnd.pgrst.object+json Accept header',
    });
  }
  const body = row.body ?? '[]';
  return body.slice(1, -1).trim();
}

export async function totalOf(deps: RestDeps, plan: ReadPlan, row: ResultRow, tx: Parameters<typeof plannedCount>[0], source?: Parameters<typeof compileCountEstimate>[1]): Promise<ResultRow> {
  const threshold = deps.config.api.estimated_count_threshold;
  if (plan.count === 'planned' || (plan.count === 'estimated' && Number(row.total) > threshold)) {
    return { ...row, total: await plannedCount(tx, compileCountEstimate(plan, source)) };
  }
  return row;
}

export async function handleRead(deps: RestDeps, req: TableRequest): Promise<RestResponse> {
  const { prefs, table, snapshot, timings } = req;
  const format = req.method === 'HEAD' ? 'none' : req.rep === 'csv' ? 'csv' : 'json';
  // Everything besides the query that changes the plan or the SQL is part of the key.
  const cache = prefs.count === 'planned' || prefs.count === 'estimated' ? undefined : deps.readCache;
  const range = req.range;
  const prefix = cache && `${req.route}|${format}|${req.stripNulls}|${prefs.count ?? ''}|${range ? `${range.offset}-${range.limit ?? ''}` : ''}`;
  const raw = prefix !== undefined && req.fromUrl ? rawShape(prefix, table, req.rawQuery, req.byId && [{ column: req.byId.column.name, value: req.byId.value }]) : undefined;
  let found = raw && cache!.lookup(snapshot, table, raw);
  let shape: ReadShape | undefined;
  let query: QueryRequest | undefined;
  if (!found) {
    query = req.query();
    shape = prefix !== undefined ? readShape(prefix, table, query) : undefined;
    found = shape && cache!.lookup(snapshot, table, shape);
    if (found && raw && shape) cache!.link(raw, shape);
  }
  cache?.count(found !== undefined);
  timings.mark('parse');
  let plan: ReadPlan;
  let stmt: Statement;
  if (found) ({ plan, stmt } = found);
  else {
    const api = deps.config.api;
    plan = planRead(snapshot, table, query!, {
      defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: api.aggregates_enabled, count: prefs.count, range,
    });
    stmt = compileRead(plan, { format, estimatedThreshold: api.estimated_count_threshold, stripNulls: req.stripNulls });
    if (shape) cache!.remember(snapshot, shape, plan, stmt, raw);
  }
  if (plan.count) applied(prefs, `count=${plan.count}`);
  timings.mark('plan');
  const needsExplain = plan.count === 'planned' || plan.count === 'estimated';
  const row = await run(deps.db, req.context, stmt, {
    operation: 'read',
    after: needsExplain ? (tx, r) => totalOf(deps, plan, r, tx) : undefined,
  });
  timings.mark('execute');
  if (req.byId && row.page_total === 0) {
    throw errors.notFound('row', `No row in ${table.schema}.${table.name} with ${req.byId.column.name} = ${req.byId.value.slice(0, 60)}`);
  }
  return respondRead(req, plan, row);
}

export async function respondRead(req: RestRequest, plan: ReadPlan, row: ResultRow): Promise<RestResponse> {
  const offset = plan.cursor ? 0 : plan.root.offset ?? 0;
  const total = row.total === null || row.total === undefined ? null : Number(row.total);
  if (total !== null && row.page_total === 0 && offset > 0 && offset >= total) {
    throw new AppError('RANGE_NOT_SATISFIABLE', {
      message: `The offset ${offset} is past the end (${total} rows)`, headers: { 'Content-Range': `*/${total}` },
    });
  }
  const headers: Record<string, string> = { 'Content-Range': contentRange(offset, row.page_total, total) };
  if (req.prefs.applied.length > 0) headers['Preference-Applied'] = req.prefs.applied.join(', ');
  if (row.next && plan.cursor) {
    const values = JSON.parse(row.next) as unknown[];
    const key = values.slice(1);
    headers['X-Next-Cursor'] = encodeCursor({ c: plan.cursor.column.name, v: values[0], d: plan.cursor.desc, k: key.length === 1 ? key[0] as never : key });
  }
  const rep = req.rep;
  const partial = total !== null && (offset > 0 || offset + row.page_total < total);
  let status = partial && rep !== 'object' ? 206 : 200;
  let body = row.body;
  let contentType = 'application/json; charset=utf-8';
  if (req.method === 'HEAD') body = null;
  else if (rep === 'object') {
    body = singleObject(row);
    contentType = 'application/vnd.pgrst.object+json; charset=utf-8';
    status = 200;
  } else if (rep === 'csv') {
    body = `${csvHeader(rootKeys(plan))}\n${row.body ?? ''}`;
    contentType = 'text/csv; charset=utf-8';
  }
  return respond(req, { status, body, contentType, headers, etag: true });
}
