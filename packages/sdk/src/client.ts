// The client object: holds the base URL, the API key and the current user's access token,
// and stamps them on every request. Feature modules (tables, auth, storage, …) are built
// on its `request`, so credentials are handled in this one place.
import { FluxbaseError } from './errors.ts';
import { type HealthStatus, type ReadyStatus } from './health.ts';
import {
  createTransport, type FluxbaseResponse, type FluxbaseResult, type HttpMethod, type RequestOptions, type Transport,
} from './transport.ts';

export interface ClientOptions {
  /** fetch implementation (a polyfill, an instrumented wrapper). Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Headers added to every request; they override the credential headers. Default: none. */
  headers?: Record<string, string>;
  /** Milliseconds before a request fails with code TIMEOUT; 0 disables. Default: 30000. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class FluxbaseClient {
  /** Base URL without a trailing slash. */
  readonly url: string;
  /** The API key (anon or service_role), sent as `apikey` on every request. */
  readonly key: string;
  private accessToken: string | null = null;
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
    this.transport = createTransport({
      baseUrl: this.url,
      // Bound late so a fetch patched after createClient (test doubles, polyfills) is used.
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      timeoutMs,
      headers: () => {
        const h = new Headers({ apikey: this.key, Authorization: `Bearer ${this.accessToken ?? this.key}` });
        for (const [k, v] of Object.entries(extra)) h.set(k, v);
        return h;
      },
    });
  }

  /**
   * Act as a signed-in user: `Authorization` carries this access token while `apikey` keeps
   * the client's key. `null` goes back to the key alone.
   */
  setAuth(accessToken: string | null): void {
    this.accessToken = accessToken === '' ? null : accessToken;
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
export function createClient(url: string, key: string, options?: ClientOptions): FluxbaseClient {
  return new FluxbaseClient(url, key, options);
}
