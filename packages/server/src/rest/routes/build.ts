// Building the typed REST request (request.ts) from a Fastify request: the only place in
// rest/ besides the route files that reads HTTP headers. Each piece is parsed here once
// (Prefer, Accept, Range, the profile schema, one schema snapshot), in the order whose
// errors a client sees first: scope, then target, then headers.
import type { FastifyRequest } from 'fastify';
import type { RequestContext, SchemaSnapshot, Table } from '../../db/index.ts';
import { AppError, requireScope } from '../../http/index.ts';

export { requireScope };
import { parseQueryString, type FilterNode, type QueryRequest } from '../../query/index.ts';
import type { RestDeps } from '../deps.ts';
import { negotiate, parseRange, stripNullsRequested, type Representation } from '../negotiate.ts';
import { parsePrefer } from '../prefer.ts';
import type { RestRequest, RpcRequest, TableRequest } from '../request.ts';
import { Timings } from '../timings.ts';
import { checkSchema, findTable, profileSchema, type Mount } from '../target.ts';

export interface Params {
  schema?: string;
  table?: string;
  id?: string;
  fn?: string;
  namespace?: string;
}

export const paramsOf = (request: FastifyRequest): Params => request.params as Params;

/** The URL's query string, as sent (decoding is the parser's job). */
export function rawQuery(request: FastifyRequest): string {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
}


/** What the request transaction runs as. Built field by field (no spread): this runs on every REST request. */
export function contextOf(request: FastifyRequest): RequestContext {
  const p = request.principal;
  return { role: p.role, claims: p.claims, sub: p.userId ?? '', claimsJson: p.claimsJson, method: request.method, path: request.url, requestId: request.id };
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/** The fields every REST request has; `rep` overrides what Accept asks for (by-id reads are objects). */
function base(request: FastifyRequest, mount: Mount, snapshot: SchemaSnapshot, timings: Timings, rep?: Representation): RestRequest {
  const accept = header(request, 'accept');
  return {
    mount,
    method: request.method,
    snapshot,
    context: contextOf(request),
    prefs: parsePrefer(request.headers.prefer),
    rep: rep ?? negotiate(accept),
    stripNulls: stripNullsRequested(accept),
    ifMatch: header(request, 'if-match'),
    ifNoneMatch: header(request, 'if-none-match'),
    acceptEncoding: header(request, 'accept-encoding'),
    body: request.body,
    timings,
  };
}

export interface TableTarget {
  mount: Mount;
  /** Statement-cache route name. */
  route: string;
  /** /api/v1: the schema from the path; /rest/v1: from Accept-Profile (reads) or Content-Profile (writes). */
  schema: string | { profile: 'accept-profile' | 'content-profile' };
  /** Where the query comes from: the URL, or the JSON body of POST …/query. */
  source: 'url' | 'body';
  /** Parse `Range` (reads). */
  range?: boolean;
  /** /api/v1/tables/:schema/:table/:id */
  id?: string;
}

function eqLeaf(column: string, value: string): FilterNode {
  return { kind: 'filter', field: { column, path: [] }, negated: false, operation: { op: 'eq', value } };
}

/**
 * The request for a table route. A by-id route's filter (`key = id`) joins the parsed
 * query's filters at parse time, and its reads ask for the object representation, so
 * nothing downstream treats it specially except for the 404 wording.
 */
export function tableRequest(deps: RestDeps, request: FastifyRequest, target: TableTarget, parse: (raw: string | unknown) => QueryRequest): TableRequest {
  const timings = new Timings();
  const snapshot = deps.schema.current();
  const schema = typeof target.schema === 'string' ? checkSchema(snapshot, target.schema) : profileSchema(snapshot, request.headers[target.schema.profile]);
  const table: Table = findTable(snapshot, schema, paramsOf(request).table!);
  let byId: TableRequest['byId'];
  if (target.id !== undefined) {
    if (table.primaryKey.length !== 1) {
      throw new AppError('INVALID_ID', { message: `${table.schema}.${table.name} has no single-column primary key; filter with the collection route instead` });
    }
    byId = { column: table.columnMap.get(table.primaryKey[0]!)!, value: target.id };
  }
  const read = request.method === 'GET' || request.method === 'HEAD';
  const fromUrl = target.source === 'url';
  const raw = fromUrl ? rawQuery(request) : '';
  let parsed: QueryRequest | undefined;
  const query = (): QueryRequest => {
    if (parsed) return parsed;
    const q = parse(fromUrl ? raw : request.body);
    parsed = byId ? { ...q, filters: [...q.filters, { path: [], node: eqLeaf(byId.column.name, byId.value) }] } : q;
    return parsed;
  };
  return Object.assign(base(request, target.mount, snapshot, timings, byId && read ? 'object' : undefined), {
    table,
    route: target.route,
    rawQuery: raw,
    fromUrl,
    query,
    range: target.range ? parseRange(header(request, 'range'), header(request, 'range-unit')) : undefined,
    byId,
  });
}

/** The query-string parser of a mount. */
export function urlParser(deps: RestDeps, mount: Mount): (raw: string | unknown) => QueryRequest {
  const options = { mount, aggregatesEnabled: deps.config.api.aggregates_enabled };
  return (raw) => parseQueryString(raw as string, options);
}

/** The request for a function call; `schema` already resolved from the path or profile. */
export function rpcRequest(deps: RestDeps, request: FastifyRequest, mount: Mount, snapshot: SchemaSnapshot, schema: string): RpcRequest {
  return Object.assign(base(request, mount, snapshot, new Timings()), { schema, name: paramsOf(request).fn!, rawQuery: rawQuery(request) });
}
