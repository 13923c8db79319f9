// Wire shapes of the edge-function routes (API.md §11.1), with upstream's SDK names as
// aliases so code written against upstream's `@fluxbase/sdk` keeps compiling. Types only.
import type { FluxbaseResult, HttpMethod, QueryParams } from '../transport.ts';

// ---- invocation ------------------------------------------------------------------------

export interface FunctionInvokeOptions {
  /**
   * The request body. A plain object, array, number or boolean is sent as JSON
   * (`application/json`); a string as `text/plain;charset=UTF-8`; a Uint8Array (any
   * ArrayBufferView), ArrayBuffer or ReadableStream as `application/octet-stream`; a Blob
   * with its own type (`application/octet-stream` when it has none); FormData and
   * URLSearchParams as fetch encodes them. A `Content-Type` in `headers` always wins.
   * `null`/`undefined`: no body. Default: none.
   */
  body?: unknown;
  /** Per-call headers; they win over the client's, `Authorization` included. Default: none. */
  headers?: Record<string, string>;
  /** Any method reaches the function; GET and HEAD cannot carry a body. Default: 'POST'. */
  method?: HttpMethod;
  /** The function's namespace, sent as `?namespace=`. Default: the server's (`default`). */
  namespace?: string;
  /** Path after the function name (`'users/42'` → `…/invoke/users/42`); each segment is percent-encoded. Default: none. */
  path?: string;
  /** Query parameters for the function (`namespace` is set by the option of that name). Default: none. */
  query?: QueryParams;
  /** Milliseconds before the call fails with code TIMEOUT; 0 disables. Default: the client's `timeoutMs` (30000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The outcome of `functions.invoke`: `data` is the function's response body, decoded by its
 * `Content-Type`: JSON (`application/json`, `…+json`) parsed, `text/*` as a string,
 * anything else as a Blob; `null` for an empty body. A non-2xx answer is an `error`
 * (the server's FUNCTION_* codes, or HTTP_ERROR and friends for a function's own 4xx/5xx).
 */
export type FunctionInvokeResponse<T = unknown> = FluxbaseResult<T> & {
  /** HTTP status; 0 when no response arrived (network failure, timeout, abort). */
  status: number;
  statusText: string;
  headers: Headers;
  /** `X-Fluxbase-Execution-Id`: look the run up with `functions.executions`. Null when absent. */
  executionId: string | null;
};

/** `details` of FUNCTION_ERROR / FUNCTION_TIMEOUT errors. `logs` reaches admin callers only. */
export interface FunctionErrorDetails {
  reason?: 'exception' | 'exit' | 'out_of_memory' | 'invalid_response' | 'timeout' | 'spawn_failed' | (string & {});
  logs?: unknown;
  [field: string]: unknown;
}

// ---- deployment ------------------------------------------------------------------------

/** Settings shared by a deploy request and the stored function (API.md §11.1 "Deploy"). */
export interface FunctionSettings {
  /** Default: `default`. */
  namespace?: string;
  description?: string | null;
  /** Default: true. */
  enabled?: boolean;
  /** The code is already bundled; the server skips bundling. Default: false. */
  is_bundled?: boolean;
  /** Default: 30 (at most the server's `functions.max_timeout`). */
  timeout_seconds?: number;
  /** V8 heap limit. Default: 128. */
  memory_limit_mb?: number;
  /** Default: true. */
  allow_net?: boolean;
  /** Restrict network access to these `host[:port]` entries. Default: any host when `allow_net`. */
  allow_net_hosts?: string[] | null;
  /** true: every variable Fluxbase passes; a list: those names too. Default: false (only Fluxbase's variables and the secrets are readable). */
  allow_env?: boolean | string[];
  /** Default: false. */
  allow_read?: boolean;
  /** Default: false. */
  allow_write?: boolean;
  /** Invocable without any credential. Default: false. */
  allow_unauthenticated?: boolean;
  /** Per-function CORS; the server's `cors.*` settings apply when absent. */
  cors_origins?: string[] | null;
  cors_methods?: string[] | null;
  cors_headers?: string[] | null;
  cors_credentials?: boolean | null;
  cors_max_age?: number | null;
  /** Invocation limits per caller. Default: none. */
  rate_limit_per_minute?: number | null;
  rate_limit_per_hour?: number | null;
  rate_limit_per_day?: number | null;
  /** Cron expression for scheduled runs. Default: none. */
  cron_schedule?: string | null;
}

/** `POST /api/v1/functions` and each entry of a sync: the code plus its settings. */
export interface FunctionDeploy extends FunctionSettings {
  name: string;
  /** TypeScript/JavaScript module source; `// @fluxbase:<key> <value>` annotations are read, explicit fields win. */
  code: string;
}

/** `PUT /api/v1/functions/:name`: any deploy field except the name (the namespace is an option of `update`). */
export type FunctionUpdate = Partial<Omit<FunctionDeploy, 'name' | 'namespace'>>;

/** A deployed function as the admin routes return it (never its code). */
export interface EdgeFunction extends Omit<FunctionSettings, 'namespace' | 'enabled'> {
  id: string;
  name: string;
  namespace: string;
  enabled: boolean;
  /** Grows by one on every update. */
  version: number;
  created_at: string;
  updated_at: string;
  created_by: string | null;
  source: 'api' | 'filesystem';
  /** Never in lists; a single read (`get`) may include it. */
  code?: string;
}

/** Options of the routes that address one function by name. */
export interface FunctionNamespaceOptions {
  /** Default: the server's (`default`). */
  namespace?: string;
}

export interface FunctionExecutionsOptions {
  /** Newest first, at most this many. Default: the server's (50). */
  limit?: number;
  /** Default: the server's (`default`). */
  namespace?: string;
}

/** One run of a function (`GET /api/v1/functions/:name/executions`). */
export interface FunctionExecution {
  id: string;
  function_id: string;
  trigger_type: 'http' | 'cron';
  status: 'success' | 'error' | 'timeout';
  status_code: number | null;
  error_message: string | null;
  duration_ms: number | null;
  started_at: string;
  completed_at: string | null;
}

// ---- sync and reload -------------------------------------------------------------------

export interface FunctionSyncRequest {
  /** Default: `default`. */
  namespace?: string;
  /** The namespace is the request's, never per entry. */
  functions: Array<Omit<FunctionDeploy, 'namespace'>>;
  options?: {
    /** Delete functions of the namespace that are not in `functions`. Default: false. */
    delete_missing?: boolean;
    /** Report what would change without changing anything. Default: false. */
    dry_run?: boolean;
  };
}

export interface FunctionSyncError {
  function: string;
  error: string;
  action: 'create' | 'update' | 'delete' | 'bundle' | (string & {});
}

/** `POST /api/v1/admin/functions/sync`. */
export interface FunctionSyncResult {
  message: string;
  namespace: string;
  summary: { created: number; updated: number; deleted: number; unchanged: number; errors: number };
  /** Names per outcome (upstream: `{created, updated, deleted, unchanged}` arrays). */
  details: { created?: string[]; updated?: string[]; deleted?: string[]; unchanged?: string[]; [outcome: string]: unknown };
  errors: FunctionSyncError[];
  dry_run: boolean;
}

/** `POST /api/v1/admin/functions/reload`: the functions folder was rescanned. */
export interface FunctionReloadResult {
  message: string;
  loaded: number;
}

// ---- secrets ---------------------------------------------------------------------------

export type FunctionSecretScope = 'global' | 'namespace';

/** `POST /api/v1/secrets`. The value is write-only: no route ever returns it. */
export interface FunctionSecretInput {
  /** Readable by functions as `FLUXBASE_SECRET_<NAME>`. */
  name: string;
  value: string;
  /** Default: `global`. */
  scope?: FunctionSecretScope;
  /** Required with scope `namespace`. */
  namespace?: string;
  description?: string;
  /** RFC 3339; an expired secret is no longer injected. Default: never. */
  expires_at?: string;
}

/** `PUT /api/v1/secrets/by-name/:name`: only the given fields change. */
export interface FunctionSecretUpdate {
  value?: string;
  description?: string | null;
  expires_at?: string | null;
}

/** A stored secret: its metadata, never its value. */
export interface FunctionSecret {
  name: string;
  scope: FunctionSecretScope;
  namespace?: string | null;
  description?: string | null;
  expires_at?: string | null;
  id?: string;
  version?: number;
  created_at?: string;
  updated_at?: string;
  created_by?: string | null;
  updated_by?: string | null;
}

export interface FunctionSecretListOptions {
  scope?: FunctionSecretScope;
  namespace?: string;
}

// ---- upstream names --------------------------------------------------------------------

/** Upstream's name for FunctionDeploy. */
export type CreateFunctionRequest = FunctionDeploy;
/** Upstream's name for FunctionUpdate. */
export type UpdateFunctionRequest = FunctionUpdate;
/** Upstream's name for a sync entry. */
export type FunctionSpec = Omit<FunctionDeploy, 'namespace'>;
/** Upstream's name for FunctionExecution. */
export type EdgeFunctionExecution = FunctionExecution;
/** Upstream's name for FunctionSyncRequest. */
export type SyncFunctionsOptions = FunctionSyncRequest;
/** Upstream's name for FunctionSyncResult. */
export type SyncFunctionsResult = FunctionSyncResult;
/** Upstream's name for FunctionSyncError. */
export type SyncError = FunctionSyncError;
/** Upstream's name for FunctionSecret. */
export type Secret = FunctionSecret;
/** Upstream's name for FunctionSecretInput. */
export type CreateSecretRequest = FunctionSecretInput;
/** Upstream's name for FunctionSecretUpdate. */
export type UpdateSecretRequest = FunctionSecretUpdate;
