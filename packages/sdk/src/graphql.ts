// `client.graphql` (API.md §13, docs/sdk.md "GraphQL"): operations over HTTP through the
// client's transport (same credentials, session refresh and timeout as tables) and
// subscriptions over one lazily opened graphql-ws connection. Every outcome is a GraphQL
// body `{data, errors}`: nothing here throws for a failed request. It must not import Node
// built-ins, nor expose graphql-ws or graphql types in its public shapes.
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws/client';
import type { ClientErrorCode, FluxbaseError } from './errors.ts';
import type { Transport } from './transport.ts';

export const GRAPHQL_PATH = '/api/v1/graphql';

// The default of the `TData` parameters, as upstream: without a type argument, data is untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Untyped = any;

export interface GraphqlError {
  message: string;
  locations?: { line: number; column: number }[];
  path?: (string | number)[];
  /** `code` is the server's (`GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, …) or, for a failure outside GraphQL, the SDK's (`NETWORK_ERROR`, `TIMEOUT`, `INVALID_RESPONSE`, …). */
  extensions?: { code?: string; [key: string]: unknown };
}

/**
 * A GraphQL response body. `data` is absent when the operation was not executed (a parse,
 * validation or limit error: HTTP 400) and `null` when it failed outside GraphQL.
 */
export interface GraphqlResponse<TData = Untyped> {
  data?: TData | null;
  errors?: GraphqlError[];
  extensions?: Record<string, unknown>;
}

export interface GraphqlRequestOptions {
  signal?: AbortSignal;
  /** Per-request headers; they win over the client's. */
  headers?: Record<string, string>;
}

export interface GraphqlSubscriptionHandlers<TData = Untyped> {
  /** One event: `{data}` (or `{errors}` for a failure while resolving it). */
  next: (value: GraphqlResponse<TData>) => void;
  /** The subscription ended with errors: refused by the server, or the connection was lost for good (then code `REALTIME_DISCONNECTED`). */
  error?: (errors: GraphqlError[]) => void;
  /** The server ended the subscription, or `graphql.close()` did. */
  complete?: () => void;
}

export interface GraphqlSubscribeOptions {
  /** Which operation of the document to run. Default: the only one. */
  operationName?: string;
}

/** A WebSocket class taking `(url, protocol)`: the DOM's, or the `ws` package's on Node 20. */
export type GraphqlWebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

export interface GraphqlClientOptions {
  /**
   * WebSocket class for `subscribe` (Node 20 has none: pass the `ws` package's). Default:
   * `realtime.WebSocket` when given, else `globalThis.WebSocket`.
   */
  webSocketImpl?: GraphqlWebSocketConstructor;
  /** Reconnect attempts after the connection drops before subscriptions fail. Default: 5. */
  retryAttempts?: number;
  /** Milliseconds between pings on an idle connection; 0 disables them. Default: 0. */
  keepAlive?: number;
}

export interface GraphqlClientSettings {
  /** The client's base URL (http or https, maybe with a path prefix). */
  url: string;
  transport: Transport;
  /** The connection_init payload, read at every (re)connect so a refreshed token is used. */
  connectionParams: () => Promise<Record<string, string>>;
  options?: GraphqlClientOptions;
}

/** What `introspect()` answers: the `__schema` of the standard introspection query. */
export interface GraphqlIntrospection {
  __schema: {
    queryType: { name: string; kind: string };
    mutationType: { name: string; kind: string } | null;
    subscriptionType: { name: string; kind: string } | null;
    types: GraphqlIntrospectionType[];
    directives: { name: string; description: string | null; locations: string[]; args: GraphqlIntrospectionInputValue[] }[];
  };
}

export interface GraphqlIntrospectionTypeRef {
  kind: string;
  name: string | null;
  ofType: GraphqlIntrospectionTypeRef | null;
}

export interface GraphqlIntrospectionInputValue {
  name: string;
  description: string | null;
  type: GraphqlIntrospectionTypeRef;
  defaultValue: string | null;
}

export interface GraphqlIntrospectionType {
  kind: string;
  name: string;
  description: string | null;
  fields: { name: string; description: string | null; args: GraphqlIntrospectionInputValue[]; type: GraphqlIntrospectionTypeRef; isDeprecated: boolean; deprecationReason: string | null }[] | null;
  inputFields: GraphqlIntrospectionInputValue[] | null;
  interfaces: GraphqlIntrospectionTypeRef[] | null;
  enumValues: { name: string; description: string | null; isDeprecated: boolean; deprecationReason: string | null }[] | null;
  possibleTypes: GraphqlIntrospectionTypeRef[] | null;
}

const TYPE_REF_DEPTH = 9;
const typeRef = (depth: number): string => (depth === 0 ? 'kind name' : `kind name ofType { ${typeRef(depth - 1)} }`);

/**
 * graphql-js's `getIntrospectionQuery()` (default options), inlined so the SDK does not
 * depend on `graphql`. It uses fragments, which the server allows by default.
 */
export const INTROSPECTION_QUERY = `query IntrospectionQuery {
  __schema {
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { ${typeRef(TYPE_REF_DEPTH - 1)} }`;

export class GraphqlClient {
  private readonly transport: Transport;
  private readonly wsUrl: string;
  private readonly connectionParams: () => Promise<Record<string, string>>;
  private readonly options: GraphqlClientOptions;
  private ws: WsClient | null = null;

  /** @internal Built by createClient (`client.graphql`). */
  constructor(settings: GraphqlClientSettings) {
    this.transport = settings.transport;
    this.wsUrl = graphqlWebSocketUrl(settings.url);
    this.connectionParams = settings.connectionParams;
    this.options = settings.options ?? {};
  }

  /** Run a query (`POST /api/v1/graphql`). */
  query<TData = Untyped, TVars = Record<string, unknown>>(query: string, variables?: TVars, options?: GraphqlRequestOptions): Promise<GraphqlResponse<TData>> {
    return this.execute<TData, TVars>(query, variables, undefined, options);
  }

  /** Run a mutation; each mutation runs as one SQL statement under your role and policies. */
  mutation<TData = Untyped, TVars = Record<string, unknown>>(query: string, variables?: TVars, options?: GraphqlRequestOptions): Promise<GraphqlResponse<TData>> {
    return this.execute<TData, TVars>(query, variables, undefined, options);
  }

  /**
   * Send `{query, variables?, operationName?}`. Resolves to the server's body, also for a
   * 400 (parse, validation or limit error); a failure outside GraphQL (network, timeout, a
   * body that is not a GraphQL response) becomes `{data: null, errors: [{message, extensions: {code}}]}`.
   */
  async execute<TData = Untyped, TVars = Record<string, unknown>>(
    query: string, variables?: TVars, operationName?: string, options: GraphqlRequestOptions = {},
  ): Promise<GraphqlResponse<TData>> {
    const body: Record<string, unknown> = { query };
    if (variables !== undefined && variables !== null) body.variables = variables;
    if (operationName !== undefined) body.operationName = operationName;
    const res = await this.transport<unknown>('POST', GRAPHQL_PATH, { body, signal: options.signal, headers: options.headers });
    if (res.error) {
      // The transport keeps a body that is not a Fluxbase error envelope in `details`: here a GraphQL error body.
      return isGraphqlBody(res.error.details) ? res.error.details as GraphqlResponse<TData> : failure(res.error);
    }
    if (isGraphqlBody(res.data)) return res.data as GraphqlResponse<TData>;
    return failure({ code: 'INVALID_RESPONSE', message: `Expected a GraphQL response body from ${GRAPHQL_PATH}`, status: res.status });
  }

  /** The schema by the standard introspection query (403-style `errors` when the server disables introspection). */
  introspect(options?: GraphqlRequestOptions): Promise<GraphqlResponse<GraphqlIntrospection>> {
    return this.execute<GraphqlIntrospection>(INTROSPECTION_QUERY, undefined, 'IntrospectionQuery', options);
  }

  /**
   * Start a subscription (`<table>Changes`) on the shared graphql-ws connection, opened on
   * the first subscription and closed after the last. Returns the function that ends it.
   */
  subscribe<TData = Untyped, TVars = Record<string, unknown>>(
    query: string, variables: TVars | undefined, handlers: GraphqlSubscriptionHandlers<TData>, options: GraphqlSubscribeOptions = {},
  ): () => void {
    let ws: WsClient;
    try {
      ws = this.socket();
    } catch (cause) {
      // graphql-ws throws at creation when there is no WebSocket class.
      const message = `No WebSocket implementation: pass graphql.webSocketImpl (e.g. the ws package) to createClient (${describe(cause)})`;
      const errors = [clientError('REALTIME_UNAVAILABLE', message)];
      queueMicrotask(() => listen(() => handlers.error?.(errors)));
      return () => {};
    }
    const payload = {
      query,
      ...(variables === undefined || variables === null ? {} : { variables: variables as Record<string, unknown> }),
      ...(options.operationName === undefined ? {} : { operationName: options.operationName }),
    };
    return ws.subscribe(payload, {
      next: (value) => listen(() => handlers.next(value as GraphqlResponse<TData>)),
      error: (err) => listen(() => handlers.error?.(subscriptionErrors(err))),
      complete: () => listen(() => handlers.complete?.()),
    });
  }

  /** Close the subscription connection: active subscriptions complete. A later `subscribe` opens a new one. */
  async close(): Promise<void> {
    const ws = this.ws;
    this.ws = null;
    if (ws !== null) await ws.dispose();
  }

  private socket(): WsClient {
    this.ws ??= createWsClient({
      url: this.wsUrl,
      webSocketImpl: this.options.webSocketImpl,
      connectionParams: () => this.connectionParams(),
      lazy: true,
      retryAttempts: this.options.retryAttempts ?? 5,
      keepAlive: this.options.keepAlive ?? 0,
    });
    return this.ws;
  }
}

/** ws(s)://<host>[/prefix]/api/v1/graphql for the client's http(s) base URL. */
export function graphqlWebSocketUrl(baseUrl: string): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${GRAPHQL_PATH}`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function isGraphqlBody(value: unknown): value is GraphqlResponse {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return 'data' in v || Array.isArray(v.errors);
}

function clientError(code: ClientErrorCode | string, message: string, extra: Record<string, unknown> = {}): GraphqlError {
  return { message, extensions: { code, ...extra } };
}

function failure(error: Pick<FluxbaseError, 'code' | 'message' | 'status'>): GraphqlResponse<never> {
  return { data: null, errors: [clientError(error.code, error.message, error.status > 0 ? { status: error.status } : {})] };
}

/** graphql-ws reports an `error` message's payload (GraphQL errors), a close event or an Error. */
function subscriptionErrors(err: unknown): GraphqlError[] {
  if (Array.isArray(err)) return err as GraphqlError[];
  if (err !== null && typeof err === 'object' && typeof (err as { code?: unknown }).code === 'number') {
    const { code, reason } = err as { code: number; reason?: unknown };
    const why = typeof reason === 'string' && reason !== '' ? `: ${reason}` : '';
    return [clientError('REALTIME_DISCONNECTED', `The GraphQL WebSocket closed (${code}${why})`, { closeCode: code })];
  }
  return [clientError('REALTIME_DISCONNECTED', `The GraphQL WebSocket failed: ${describe(err)}`)];
}

function describe(cause: unknown): string {
  // A WebSocket `error` event is not an Error, but `ws`'s carries a message.
  const message = (cause as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message !== '' ? message : String(cause);
}

/** A handler that throws must not break the shared connection. */
function listen(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    console.error('@fluxbase/sdk: a GraphQL subscription handler threw', error);
  }
}
