// One typed request per REST call, built once by its route (routes/build.ts) from the HTTP
// request, as PostgREST builds its ApiRequest: the mount, one schema snapshot, the
// principal's transaction context, Prefer, the Accept representation, Range, the
// conditional headers and the body. The stages after the route (read.ts, write.ts, rpc.ts,
// execute.ts, respond.ts) take this plain data and return a RestResponse, never touching
// Fastify, so other front ends (GraphQL, realtime) can drive them with requests of their own.
import type { Column, RequestContext, SchemaSnapshot, Table } from '../db/index.ts';
import type { QueryRequest } from '../query/index.ts';
import type { RangeRequest, Representation } from './negotiate.ts';
import type { Preferences } from './prefer.ts';
import type { Timings } from './timings.ts';
import type { Mount } from './target.ts';

export interface RestRequest {
  mount: Mount;
  /** GET, HEAD, POST, PATCH, PUT or DELETE. */
  method: string;
  /** The schema cache this request is resolved and planned against: one per request, so a reload mid-request never mixes two. */
  snapshot: SchemaSnapshot;
  /** Role, claims and ids the request transaction runs with. */
  context: RequestContext;
  prefs: Preferences;
  rep: Representation;
  /** `nulls=stripped` on the JSON media type. */
  stripNulls: boolean;
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
  acceptEncoding: string | undefined;
  body: unknown;
  timings: Timings;
}

/** A read or write of a table or view. */
export interface TableRequest extends RestRequest {
  table: Table;
  /** Which route form parsed the query: part of the statement-cache key (the mounts parse differently). */
  route: string;
  /** The URL's query string (used as the statement cache's raw key when `fromUrl`). */
  rawQuery: string;
  fromUrl: boolean;
  /** The parsed query, by-id filter included; parsed on first use (a raw statement-cache hit never parses). */
  query: () => QueryRequest;
  /** `Range: a-b` (reads). */
  range: RangeRequest | undefined;
  /** /api/v1/tables/:schema/:table/:id: the single key column and the id; its filter is in `query()`. */
  byId?: { column: Column; value: string } | undefined;
}

/** A call of a PostgreSQL function. */
export interface RpcRequest extends RestRequest {
  schema: string;
  name: string;
  rawQuery: string;
}

/** What a stage answers: sent as is by the route (routes/send.ts). */
export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer | null;
}
