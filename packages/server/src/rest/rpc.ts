// Calling PostgreSQL functions: /rest/v1/rpc/:fn (PostgREST: POST JSON args, GET query
// args for stable/immutable functions, set results filterable like tables) and the SDK
// form POST /api/v1/rpc/:namespace/:fn ({params} → {execution_id, status, result, …}).
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/index.ts';
import {
  compileRpc, parseQueryString, planRead, resolveFunction,
  type QueryRequest, type ReadPlan, type RpcTarget,
} from '../query/index.ts';
import { run, type ResultRow } from './execute.ts';
import { negotiate } from './negotiate.ts';
import { applied, parsePrefer } from './prefer.ts';
import { contentRange, respondRead, singleObject, totalOf } from './read.ts';
import { sendData, type Timings } from './respond.ts';
import type { RestDeps } from './deps.ts';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Split a raw query string into the function's arguments and the rest (filters, select, …). */
export function splitArgs(raw: string, argNames: Set<string>): { args: Record<string, string>; rest: string } {
  const args: Record<string, string> = {};
  const rest: string[] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    let key: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
    } catch {
      rest.push(part); // the parser reports the bad escape
      continue;
    }
    if (argNames.has(key)) {
      try {
        args[key] = decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replaceAll('+', ' '));
      } catch {
        throw new AppError('INVALID_QUERY', { message: `The value of argument ${JSON.stringify(key.slice(0, 60))} is not valid percent-encoded UTF-8` });
      }
    } else rest.push(part);
  }
  return { args, rest: rest.join('&') };
}

interface Call {
  schema: string;
  name: string;
  args: unknown;
  query: QueryRequest;
  get: boolean;
}

function target(deps: RestDeps, call: Call): RpcTarget {
  const names = isRecord(call.args) ? Object.keys(call.args) : [];
  const t = resolveFunction(deps.schema.current(), call.schema, call.name, names, isRecord(call.args));
  if (call.get && t.fn.volatility === 'volatile') {
    throw new AppError('METHOD_NOT_ALLOWED', {
      message: `${call.schema}.${call.name} is volatile; call it with POST`, headers: { Allow: 'POST' },
    });
  }
  return t;
}

function readPlanFor(deps: RestDeps, t: RpcTarget, query: QueryRequest, count: ReturnType<typeof parsePrefer>['count']): ReadPlan | null {
  if (t.result !== 'rows') {
    const extra = query.filters.length > 0 || query.order.length > 0 || query.select.some((s) => s.kind !== 'star');
    if (extra) throw new AppError('INVALID_QUERY', { message: `${t.fn.name} returns ${t.fn.returnType}; only functions returning rows can be filtered, ordered or selected from` });
    return null;
  }
  const api = deps.config.api;
  return planRead(deps.schema.current(), t.table!, query, {
    defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: api.aggregates_enabled,
    count, unlimited: query.ranges.length === 0,
  });
}

async function execute(deps: RestDeps, request: FastifyRequest, t: RpcTarget, args: unknown, plan: ReadPlan | null, format: 'json' | 'csv' | 'none', rollback: boolean): Promise<ResultRow> {
  const stmt = compileRpc(t, args, plan, format);
  const needsExplain = plan?.count === 'planned' || plan?.count === 'estimated';
  return run(deps.db, request, stmt, {
    operation: 'rpc', rollback,
    ...(needsExplain && plan ? { after: (tx, r) => totalOf(deps, plan, r, tx) } : {}),
  });
}

/** /rest/v1/rpc/:fn */
export async function handlePostgrestRpc(deps: RestDeps, request: FastifyRequest, reply: FastifyReply, schema: string, name: string, raw: string, timings: Timings): Promise<FastifyReply> {
  const get = request.method === 'GET' || request.method === 'HEAD';
  const prefs = parsePrefer(request.headers.prefer);
  const rep = negotiate(request.headers.accept);
  let args: unknown;
  let queryRaw = raw;
  if (get) {
    const overloads = deps.schema.current().functions.get(`${schema}.${name}`) ?? [];
    const split = splitArgs(raw, new Set(overloads.flatMap((f) => f.args.map((a) => a.name)).filter(Boolean)));
    args = split.args;
    queryRaw = split.rest;
  } else {
    args = request.body ?? {};
  }
  const query = parseQueryString(queryRaw, { mount: 'postgrest', aggregatesEnabled: deps.config.api.aggregates_enabled });
  timings.mark('parse');
  const t = target(deps, { schema, name, args, query, get });
  const plan = readPlanFor(deps, t, query, prefs.count);
  if (plan?.count) applied(prefs, `count=${plan.count}`);
  timings.mark('plan');
  const format = request.method === 'HEAD' ? 'none' : rep === 'csv' && plan ? 'csv' : 'json';
  const row = await execute(deps, request, t, args, plan, format, prefs.rollback);
  timings.mark('execute');
  if (plan) {
    if (!t.fn.returnsSet && rep !== 'csv') {
      // `returns items` (one row): an object, or null.
      const body = row.page_total === 0 ? 'null' : singleObject(row);
      return sendData(request, reply, { status: 200, body: request.method === 'HEAD' ? null : body, etag: get }, timings);
    }
    return respondRead(deps, request, reply, plan, row, rep, prefs.applied, timings);
  }
  if (t.result === 'void') return sendData(request, reply, { status: 204, body: null }, timings);
  // Scalars count as one row, sets of scalars as their length (PostgREST's Content-Range).
  const n = t.result === 'scalar' ? 1 : row.page_total;
  if (prefs.count) applied(prefs, `count=${prefs.count}`);
  const headers: Record<string, string> = { 'Content-Range': contentRange(0, n, prefs.count ? n : null) };
  if (prefs.applied.length > 0) headers['Preference-Applied'] = prefs.applied.join(', ');
  if (rep === 'object' && t.result === 'scalar_set') return sendData(request, reply, { status: 200, body: singleObject(row), etag: get, headers }, timings);
  return sendData(request, reply, { status: 200, body: request.method === 'HEAD' ? null : row.body ?? 'null', etag: get, headers }, timings);
}

/** POST /api/v1/rpc/:namespace/:fn with {params?, async?} */
export async function handleFluxbaseRpc(deps: RestDeps, request: FastifyRequest, reply: FastifyReply, schema: string, name: string, timings: Timings): Promise<FastifyReply> {
  const body = request.body ?? {};
  if (!isRecord(body)) throw new AppError('INVALID_REQUEST_BODY', { message: 'The body must be a JSON object {params?, async?}' });
  const params = body.params ?? {};
  if (body.async !== undefined && typeof body.async !== 'boolean') throw new AppError('VALIDATION_FAILED', { message: 'async must be a boolean', details: { fields: { async: 'must be a boolean' } } });
  if (body.async === true) {
    throw new AppError('NOT_IMPLEMENTED', { message: 'Asynchronous RPC runs on the job queue, which this server does not have yet; call without async' });
  }
  const query: QueryRequest = { select: [], filters: [], order: [], ranges: [] };
  timings.mark('parse');
  const t = target(deps, { schema, name, args: params, query, get: false });
  const plan = readPlanFor(deps, t, query, undefined);
  timings.mark('plan');
  const started = performance.now();
  const row = await execute(deps, request, t, params, plan, 'json', false);
  timings.mark('execute');
  let result = row.body ?? 'null';
  if (plan && !t.fn.returnsSet) result = row.page_total === 0 ? 'null' : singleObject(row);
  const rows = t.result === 'rows' || t.result === 'scalar_set' ? row.page_total : t.result === 'void' ? 0 : 1;
  const out = `{"execution_id":${JSON.stringify(randomUUID())},"status":"completed","result":${result},"rows_returned":${rows},"duration_ms":${Math.round(performance.now() - started)}}`;
  return sendData(request, reply, { status: 200, body: out }, timings);
}
