// Calling PostgreSQL functions: /rest/v1/rpc/:fn (PostgREST: POST JSON args, GET query
// args for stable/immutable functions, set results filterable like tables) and the SDK
// form POST /api/v1/rpc/:namespace/:fn ({params} → {execution_id, status, result, …}).
import { randomUUID } from 'node:crypto';
import { AppError } from '../http/index.ts';
import {
  compileRpc, decodeComponent, parseQueryString, planRead, resolveFunction,
  type CountMode, type QueryRequest, type ReadPlan, type RpcTarget,
} from '../query/index.ts';
import { run, type ResultRow } from './execute.ts';
import { applied } from './prefer.ts';
import { contentRange, respondRead, singleObject, totalOf } from './read.ts';
import type { RestResponse, RpcRequest } from './request.ts';
import { respond } from './respond.ts';
import type { QueuedRpcCall, RestDeps } from './deps.ts';
import type { RequestContext } from '../db/index.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Split a raw query string into the function's arguments and the rest (filters, select,
 * …). Keys and values are decoded by the same strict decoder as every query string
 * (query/parse/decode.ts): a bad escape is 400 INVALID_QUERY.
 */
export function splitArgs(raw: string, argNames: Set<string>): { args: Record<string, string>; rest: string } {
  const args: Record<string, string> = {};
  const rest: string[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    if (argNames.has(key)) args[key] = decodeComponent(eq < 0 ? '' : part.slice(eq + 1));
    else rest.push(part);
  }
  return { args, rest: rest.join('&') };
}

interface Call {
  snapshot: RpcRequest['snapshot'];
  schema: string;
  name: string;
  args: unknown;
  get: boolean;
}

function target(call: Call): RpcTarget {
  const names = isRecord(call.args) ? Object.keys(call.args) : [];
  const t = resolveFunction(call.snapshot, call.schema, call.name, names, isRecord(call.args));
  if (call.get && t.fn.volatility === 'volatile') {
    throw new AppError('METHOD_NOT_ALLOWED', {
      message: `${call.schema}.${call.name} is volatile; call it with POST`, headers: { Allow: 'POST' },
    });
  }
  return t;
}

function readPlanFor(deps: RestDeps, req: RpcRequest, t: RpcTarget, query: QueryRequest, count: CountMode | undefined): ReadPlan | null {
  if (t.result !== 'rows') {
    const extra = query.filters.length > 0 || query.order.length > 0 || query.select.some((s) => s.kind !== 'star');
    if (extra) throw new AppError('INVALID_QUERY', { message: `${t.fn.name} returns ${t.fn.returnType}; only functions returning rows can be filtered, ordered or selected from` });
    return null;
  }
  const api = deps.config.api;
  return planRead(req.snapshot, t.table!, query, {
    defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: api.aggregates_enabled,
    count, unlimited: query.ranges.length === 0,
  });
}

async function execute(deps: RestDeps, req: RpcRequest, t: RpcTarget, args: unknown, plan: ReadPlan | null, format: 'json' | 'csv' | 'none', rollback: boolean): Promise<ResultRow> {
  const stmt = compileRpc(t, args, plan, format);
  const needsExplain = plan?.count === 'planned' || plan?.count === 'estimated';
  return run(deps.db, req.context, stmt, {
    operation: 'rpc', rollback,
    after: needsExplain && plan ? (tx, r) => totalOf(deps, plan, r, tx) : undefined,
  });
}

/** /rest/v1/rpc/:fn */
export async function handlePostgrestRpc(deps: RestDeps, req: RpcRequest): Promise<RestResponse> {
  const get = req.method === 'GET' || req.method === 'HEAD';
  const head = req.method === 'HEAD';
  const { prefs, rep, timings } = req;
  let args: unknown;
  let queryRaw = req.rawQuery;
  if (get) {
    const overloads = req.snapshot.functions.get(`${req.schema}.${req.name}`) ?? [];
    const split = splitArgs(req.rawQuery, new Set(overloads.flatMap((f) => f.args.map((a) => a.name)).filter(Boolean)));
    args = split.args;
    queryRaw = split.rest;
  } else {
    args = req.body ?? {};
  }
  const query = parseQueryString(queryRaw, { mount: 'postgrest', aggregatesEnabled: deps.config.api.aggregates_enabled });
  timings.mark('parse');
  const t = target({ snapshot: req.snapshot, schema: req.schema, name: req.name, args, get });
  const plan = readPlanFor(deps, req, t, query, prefs.count);
  if (plan?.count) applied(prefs, `count=${plan.count}`);
  timings.mark('plan');
  const format = head ? 'none' : rep === 'csv' && plan ? 'csv' : 'json';
  const row = await execute(deps, req, t, args, plan, format, prefs.rollback);
  timings.mark('execute');
  if (plan) {
    if (!t.fn.returnsSet && rep !== 'csv') {
      // `returns items` (one row): an object, or null.
      const body = row.page_total === 0 ? 'null' : singleObject(row);
      return respond(req, { status: 200, body: head ? null : body, etag: get });
    }
    return respondRead(req, plan, row);
  }
  if (t.result === 'void') return respond(req, { status: 204, body: null });
  // Scalars count as one row, sets of scalars as their length (PostgREST's Content-Range).
  const n = t.result === 'scalar' ? 1 : row.page_total;
  if (prefs.count) applied(prefs, `count=${prefs.count}`);
  const headers: Record<string, string> = { 'Content-Range': contentRange(0, n, prefs.count ? n : null) };
  if (prefs.applied.length > 0) headers['Preference-Applied'] = prefs.applied.join(', ');
  if (rep === 'object' && t.result === 'scalar_set') return respond(req, { status: 200, body: singleObject(row), etag: get, headers });
  return respond(req, { status: 200, body: head ? null : row.body ?? 'null', etag: get, headers });
}

/** POST /api/v1/rpc/:namespace/:fn with {params?, async?} */
export async function handleFluxbaseRpc(deps: RestDeps, req: RpcRequest): Promise<RestResponse> {
  const body = req.body ?? {};
  if (!isRecord(body)) throw new AppError('INVALID_REQUEST_BODY', { message: 'The body must be a JSON object {params?, async?}' });
  const params = body.params ?? {};
  if (body.async !== undefined && typeof body.async !== 'boolean') throw new AppError('VALIDATION_FAILED', { message: 'async must be a boolean', details: { fields: { async: 'must be a boolean' } } });
  const query: QueryRequest = { select: [], filters: [], order: [], ranges: [] };
  req.timings.mark('parse');
  const t = target({ snapshot: req.snapshot, schema: req.schema, name: req.name, args: params, get: false });
  if (body.async === true) {
    // Resolved now, so an unknown function or bad arguments answer at once, not in the record.
    if (!deps.asyncRpc) throw new AppError('NOT_IMPLEMENTED', { message: 'Asynchronous RPC runs on the job queue, which is disabled on this server (jobs.enabled); call without async' });
    const c = req.context;
    const id = await deps.asyncRpc.enqueue(
      { schema: req.schema, name: req.name, params, role: c.role, claims: c.claims, sub: c.sub },
      { userId: c.sub === '' ? null : c.sub, role: c.role, anonymous: c.role === 'anon' },
      Math.ceil(deps.config.database.statement_timeout / 1000) + 5,
      c.requestId,
    );
    return respond(req, { status: 202, body: JSON.stringify({ execution_id: id, status: 'pending' }) });
  }
  const plan = readPlanFor(deps, req, t, query, undefined);
  req.timings.mark('plan');
  const started = performance.now();
  const row = await execute(deps, req, t, params, plan, 'json', false);
  req.timings.mark('execute');
  let result = row.body ?? 'null';
  if (plan && !t.fn.returnsSet) result = row.page_total === 0 ? 'null' : singleObject(row);
  const rows = t.result === 'rows' || t.result === 'scalar_set' ? row.page_total : t.result === 'void' ? 0 : 1;
  const out = `{"execution_id":${JSON.stringify(randomUUID())},"status":"completed","result":${result},"rows_returned":${rows},"duration_ms":${Math.round(performance.now() - started)}}`;
  return respond(req, { status: 200, body: out });
}

/**
 * Runs a queued asynchronous call (API.md §6) as its caller did: same role and claims, the same
 * resolution and statement as the synchronous form. The jobs worker calls this (app.ts).
 */
export async function runQueuedRpc(deps: RestDeps, call: QueuedRpcCall, jobId: string): Promise<{ result: unknown; rows_returned: number; duration_ms: number }> {
  const snapshot = deps.schema.current();
  const context: RequestContext = { role: call.role as RequestContext['role'], claims: call.claims, sub: call.sub, method: 'POST', path: `/api/v1/rpc/${call.schema}/${call.name}`, requestId: jobId };
  const t = target({ snapshot, schema: call.schema, name: call.name, args: call.params, get: false });
  const query: QueryRequest = { select: [], filters: [], order: [], ranges: [] };
  const req = { snapshot, context } as RpcRequest;
  const plan = readPlanFor(deps, req, t, query, undefined);
  const started = performance.now();
  const row = await execute(deps, req, t, call.params, plan, 'json', false);
  let result = row.body ?? 'null';
  if (plan && !t.fn.returnsSet) result = row.page_total === 0 ? 'null' : singleObject(row);
  const rows = t.result === 'rows' || t.result === 'scalar_set' ? row.page_total : t.result === 'void' ? 0 : 1;
  return { result: JSON.parse(result) as unknown, rows_returned: rows, duration_ms: Math.round(performance.now() - started) };
}
