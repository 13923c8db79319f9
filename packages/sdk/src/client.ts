// The client object: holds the base URL, the API key and the current user's access token,
// and stamps them on every request. Feature modules (tables, auth, storage, …) are built
// on its `request`, so credentials are handled in this one place; `auth` keeps the
// signed-in user's token current (see auth/auth-fetch.ts) and hands it to `realtime`.
import { AuthClient, createAuthFetch, type AuthClientOptions } from './auth/index.ts';
import { FluxbaseError } from './errors.ts';
import { FunctionsClient } from './functions/index.ts';
import { GraphqlClient, type GraphqlClientOptions } from './graphql.ts';
import { JobsClient } from './jobs/index.ts';
import { WebhooksClient } from './webhooks/index.ts';
import { type HealthStatus, type ReadyStatus } from './health.ts';
import { QueryBuilder, tablePath } from './query/index.ts';
import {
  RealtimeClient, type RealtimeChannel, type RealtimeChannelOptions, type RealtimeClientOptions, type RealtimeSendResult,
} from './realtime/index.ts';
import { createRpcClient, type RpcClient } from './rpc.ts';
import { StorageClient } from './storage/index.ts';
import {
  createTransport, type FluxbaseResponse, type FluxbaseResult, type HttpMethod, type RequestOptions, type Transport,
} from './transport.ts';
import type { DefaultSchema, RelationName, RelationOf, SchemaName, UntypedDatabase } from './types.ts';

export interface ClientOptions {
  /** fetch implementation (a polyfill, an instrumented wrapper). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Headers added to every request; they override the credential headers. Default: none. */
  headers?: Record<string, string>;
  /** Milliseconds before a request fails with code TIMEOUT; 0 disables. Default: 30000. */
  timeoutMs?: number;
  /** Session persistence and refresh of `client.auth`. Default: persisted (localStorage or memory), auto-refreshed. */
  auth?: AuthClientOptions;
  /** The realtime WebSocket: its implementation (needed on Node 20), heartbeat, timeouts and reconnect backoff. Defaults: docs/sdk-realtime.md. */
  realtime?: RealtimeClientOptions;
  /** `client.graphql`'s subscription WebSocket (needed on Node 20), its reconnect attempts and keep-alive. Defaults: docs/sdk.md "GraphQL". */
  graphql?: GraphqlClientOptions;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Tables, views and functions of one schema: `client.schema('analytics')`. */
export class SchemaClient<Schema> {
  /** Functions of this schema (namespace = the schema name). */
  readonly rpc: RpcClient<Schema>;
  private readonly transport: Transport;
  private readonly schemaName: string;

  constructor(transport: Transport, schemaName: string) {
    this.transport = transport;
    this.schemaName = schemaName;
    this.rpc = createRpcClient<Schema>(transport, schemaName);
  }

  /** A table or view of this schema (`/api/v1/tables/<schema>/<name>`). */
  from<Name extends RelationName<Schema>>(relation: Name): QueryBuilder<RelationOf<Schema, Name>> {
    return new QueryBuilder(this.transport, tablePath(this.schemaName, relation));
  }
}

/**
 * `Database` is the type `fluxbase types generate` writes (docs/types.md); without it every
 * table, row and function is untyped (`any`).
 */
export class FluxbaseClient<Database = UntypedDatabase> {
  /** Base URL without a trailing slash. */
  readonly url: string;
  /** The API key (anon or service_role), sent as `apikey` on every request. */
  readonly key: string;
  /** Call PostgreSQL functions of the default schema; also `rpc.getStatus`, `rpc.getLogs`, `rpc.list`. */
  readonly rpc: RpcClient<DefaultSchema<Database>>;
  /** Sign-up, sign-in, sessions, the user, MFA and OAuth (`/api/v1/auth`). */
  readonly auth: AuthClient;
  /** The realtime connection shared by this client's channels: `setAuth`, `onSystem`, `onError`. */
  readonly realtime: RealtimeClient;
  /** Edge functions: `invoke`, and with an admin credential deploy, list, executions, sync, reload and `secrets`. */
  readonly functions: FunctionsClient;
  /** Webhooks: register, change, rotate secrets, test and read delivery logs (yours; all with an admin credential). */
  readonly webhooks: WebhooksClient;
  /** Background jobs: submit, follow, cancel and retry (yours; all with an admin credential), and `admin` for job functions. */
  readonly jobs: JobsClient;
  /** Buckets (`listBuckets`, …; changes need an admin credential) and `from(bucket)` for objects: upload, download, list, signed and public URLs. */
  readonly storage: StorageClient;
  /** GraphQL (`/api/v1/graphql`): `query`, `mutation`, `execute`, `introspect`, and `subscribe` over graphql-ws; `close()` ends the subscriptions' connection. */
  readonly graphql: GraphqlClient;
  /** Set by setAuth(); wins over the session's token. */
  private accessToken: string | null = null;
  /** The signed-in session's access token, kept current by `auth`. */
  private sessionToken: string | null = null;
  private readonly transport: Transport;

  constructor(url: string, key: string, options: ClientOptions = {}) {
    if (!key) throw new TypeError('createClient: an API key is required');
    // A malformed URL is a programming error, reported at once rather than on the first call.
    const parsed = new URL(url);
    this.url = (parsed.origin + parsed.pathname).replace(/\/+$/, '');
    this.key = key;
    const extra = options.headers ?? {};
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new RangeError('createClient: timeoutMs must be a non-negative number');
    const fixedAuthorization = Object.keys(extra).some((k) => k.toLowerCase() === 'authorization');
    // Bound late so a fetch patched after createClient (test doubles, polyfills) is used.
    const baseFetch: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
    const authFetch = createAuthFetch({
      fetch: baseFetch,
      // Called per request, never before the constructor has finished.
      sessions: () => auth.sessionManager,
      defaultAuthorization: () => (fixedAuthorization || this.accessToken !== null ? null : `Bearer ${this.sessionToken ?? this.key}`),
      retryOnExpiredToken: options.auth?.retryOnExpiredToken ?? true,
    });
    const headers = (): Headers => {
      const h = new Headers({ apikey: this.key, Authorization: `Bearer ${this.accessToken ?? this.sessionToken ?? this.key}` });
      for (const [k, v] of Object.entries(extra)) h.set(k, v);
      return h;
    };
    this.transport = createTransport({ baseUrl: this.url, fetch: authFetch, timeoutMs, headers });
    // Invocations share the credentials and session handling but read binary bodies themselves.
    this.functions = new FunctionsClient(this.transport, { baseUrl: this.url, fetch: authFetch, timeoutMs, headers });
    this.webhooks = new WebhooksClient(this.transport);
    this.jobs = new JobsClient(this.transport);
    // Binary bodies go through storage's own send path; signed URLs get the plain fetch, without credentials.
    this.storage = new StorageClient(this.transport, { baseUrl: this.url, fetch: authFetch, plainFetch: baseFetch, timeoutMs, headers });
    this.realtime = new RealtimeClient({
      url: this.url, apiKey: key, options: options.realtime,
      refreshToken: (current, reason) => this.realtimeToken(current, reason),
    });
    const auth = new AuthClient(this.transport, this.key, options.auth ?? {}, (token) => {
      this.sessionToken = token;
      this.realtime.setAuth(this.accessToken ?? token);
    });
    this.auth = auth;
    this.rpc = createRpcClient<DefaultSchema<Database>>(this.transport);
    this.graphql = new GraphqlClient({
      url: this.url, transport: this.transport,
      options: { ...options.graphql, webSocketImpl: options.graphql?.webSocketImpl ?? options.realtime?.WebSocket },
      // Read at every (re)connect: the session's token refreshed when due, then the same headers as HTTP.
      connectionParams: async () => {
        await this.realtimeToken(this.accessToken ?? this.sessionToken, 'connect').catch(() => null);
        const h = headers();
        return { Authorization: h.get('authorization') ?? `Bearer ${this.key}`, apikey: h.get('apikey') ?? this.key };
      },
    });
  }

  /** A table or view of the `public` schema: `from('posts').select('id, title').eq('published', true)`. */
  from<Name extends RelationName<DefaultSchema<Database>>>(relation: Name): QueryBuilder<RelationOf<DefaultSchema<Database>, Name>> {
    return new QueryBuilder(this.transport, tablePath(undefined, relation));
  }

  /** Tables and functions of another exposed schema. */
  schema<S extends SchemaName<Database>>(name: S): SchemaClient<Database[S]> {
    return new SchemaClient<Database[S]>(this.transport, name);
  }

  /**
   * Act as a signed-in user: `Authorization` carries this access token while `apikey` keeps
   * the client's key. It wins over the `auth` session (which is then neither refreshed nor
   * retried for these requests); `null` goes back to the session's token, or the key alone.
   */
  setAuth(accessToken: string | null): void {
    this.accessToken = accessToken === '' ? null : accessToken;
    this.realtime.setAuth(this.accessToken ?? this.sessionToken);
  }

  /** A realtime channel (the existing one of this name, if any): add listeners with `on`, then `subscribe()`. */
  channel(name: string, options?: RealtimeChannelOptions): RealtimeChannel {
    return this.realtime.channel(name, options);
  }

  /** Unsubscribe and remove a channel; the WebSocket closes with the last one. */
  removeChannel(channel: RealtimeChannel): Promise<RealtimeSendResult> {
    return this.realtime.removeChannel(channel);
  }

  removeAllChannels(): Promise<RealtimeSendResult[]> {
    return this.realtime.removeAllChannels();
  }

  getChannels(): RealtimeChannel[] {
    return this.realtime.getChannels();
  }

  /** Low-level call for routes the SDK has no helper for yet. Never throws for HTTP or network errors. */
  request<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<FluxbaseResponse<T>> {
    return this.transport<T>(method, path, options);
  }

  /** Liveness of the server and its services (`GET /health`). */
  health(): Promise<FluxbaseResult<HealthStatus>> {
    return this.fetchObject<HealthStatus>('/health');
  }

  /** Readiness: database reachable and migrations current (`GET /ready`). */
  ready(): Promise<FluxbaseResult<ReadyStatus>> {
    return this.fetchObject<ReadyStatus>('/ready');
  }

  /**
   * The token realtime should connect with, or use after the server ended its
   * subscriptions for an expired token: the session's, refreshed when due (or now, when
   * expired). A token given with setAuth (here or on `realtime`) is the caller's to renew.
   */
  private async realtimeToken(current: string | null, reason: 'connect' | 'expired'): Promise<string | null> {
    const sessions = this.auth.sessionManager;
    await sessions.ready;
    const session = sessions.current();
    if (this.accessToken !== null || session === null || (current !== null && current !== session.access_token)) return current;
    const res = reason === 'expired' ? await sessions.refresh() : await sessions.fresh();
    return res.error ? current : res.data?.access_token ?? current;
  }

  private async fetchObject<T>(path: string): Promise<FluxbaseResult<T>> {
    const res = await this.request<T>('GET', path);
    if (res.error) return { data: null, error: res.error };
    if (res.data === null || typeof res.data !== 'object') {
      const requestId = res.headers.get('x-request-id') ?? undefined;
      return { data: null, error: new FluxbaseError({ status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response', message: `Expected a JSON object from ${path}`, requestId }) };
    }
    return { data: res.data, error: null };
  }
}

/** Create a client for the Fluxbase server at `url`, authenticating with `key` (anon or service_role). */
export function createClient<Database = UntypedDatabase>(url: string, key: string, options?: ClientOptions): FluxbaseClient<Database> {
  return new FluxbaseClient<Database>(url, key, options);
}
