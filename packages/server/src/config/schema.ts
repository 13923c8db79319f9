// The one configuration schema: every key with its type, default and documentation.
// Defaults are written in the same form a user would write them (the durations, sizes and
// rates described at the top of docs/configuration.md), so the generated
// docs/configuration.md shows exactly what a user can type.
import { z } from 'zod';
import { bool, duration, int, list, num, oneOf, rate, size, str, url } from './values.ts';

export interface KeySpec {
  /** Dotted key, e.g. `server.body_limits.rest_limit`. */
  path: string;
  schema: z.ZodType;
  /** Default in user-facing form; `undefined` means "unset" (see `note`). */
  default: unknown;
  description: string;
  /** Shown instead of the default in the docs (for derived or generated values). */
  note?: string;
  secret?: boolean;
}

interface Key<P extends string, S extends z.ZodType, D> {
  path: P;
  schema: S;
  default: D;
  description: string;
  note?: string;
  secret?: boolean;
}
function k<P extends string, S extends z.ZodType, D>(
  path: P, schema: S, dflt: D, description: string, extra: { note?: string; secret?: boolean } = {},
): Key<P, S, D> {
  return { path, schema, default: dflt, description, ...extra };
}

const keys = [
  // ── top level ─────────────────────────────────────────────────────────────
  k('env', oneOf('development', 'production', 'test'), 'development',
    'Run mode. `production` refuses to start without `auth.jwt_secret` and `encryption_key`.'),
  k('data_dir', str(), './.fluxbase', 'Directory for the embedded database, generated development secrets and local storage.'),
  k('encryption_key', str(), undefined,
    'Key for encrypting secrets at rest (TOTP secrets, provider tokens, webhook secrets): 32 bytes, given as 64 hex characters, base64, or 32 raw characters.',
    { note: 'required in production; generated and kept in `data_dir` in development', secret: true }),

  // ── server ────────────────────────────────────────────────────────────────
  k('server.host', str(), undefined, 'Interface the HTTP server listens on: `0.0.0.0` for every interface. By default only this machine can connect outside production (as PocketBase does); set it to `0.0.0.0` to serve the network (containers, other machines).', { note: '`127.0.0.1` in development and test, `0.0.0.0` in production' }),
  k('server.port', int(0, 65535), 8080, 'TCP port of the HTTP server (0 picks a free port).'),
  k('server.public_url', url(), 'http://localhost:8080', 'URL clients use to reach this server; HSTS is sent when it is https.'),
  k('server.trusted_proxies', list(), [], 'Proxy addresses whose X-Forwarded-For is believed when finding the client IP.'),
  k('server.request_timeout', duration(), '60s', 'Longest time a client may take to send a whole request (headers and body); answered 408 REQUEST_TIMEOUT. 0 disables.'),
  k('server.headers_timeout', duration(), '20s', 'Longest time a client may take to send the request headers (slowloris); answered 408 REQUEST_TIMEOUT. At most `request_timeout`.'),
  k('server.handler_timeout', duration(), '40s', 'Longest time the server works on one request; answered 504 HANDLER_TIMEOUT and its database connection released. Keep it above `database.statement_timeout`. 0 disables.'),
  k('server.keep_alive_timeout', duration(), '72s', 'How long an idle keep-alive connection stays open; keep it above your load balancer\'s idle timeout.'),
  k('server.shutdown_timeout', duration(), '30s', 'On SIGTERM/SIGINT, how long in-flight requests may finish before connections are closed.'),
  k('server.body_limits.enabled', bool(), true, 'Enforce per-route body limits.'),
  k('server.body_limits.default_limit', size(), '1MB', 'Body limit for routes outside /api and /rest.'),
  k('server.body_limits.auth_limit', size(), '64KB', 'Body limit for /api/v1/auth/**.'),
  k('server.body_limits.rest_limit', size(), '1MB', 'Body limit for /api/v1/tables/**, /rest/v1/**, GraphQL and the rest of /api.'),
  k('server.body_limits.admin_limit', size(), '5MB', 'Body limit for /api/v1/admin/**.'),
  k('server.body_limits.bulk_limit', size(), '10MB', 'Body limit for RPC, function invocations and admin sync routes.'),
  k('server.body_limits.storage_limit', size(), '100MB', 'Body limit for /api/v1/storage/** (per request; per chunk for resumable uploads).'),
  k('server.body_limits.max_json_depth', int(1, 1000), 64, 'Deepest nesting accepted in a JSON body.'),

  // ── cors ──────────────────────────────────────────────────────────────────
  k('cors.allowed_origins', list(), ['*'], 'Allowed origins; `*` allows any (without credentials). An explicit list echoes the matching origin with credentials.'),
  k('cors.max_age', int(0, 86400), 300, 'Seconds browsers may cache a preflight answer.'),

  // ── migrations (the project's own) ────────────────────────────────────────
  k('migrations.dir', str(), './fluxbase/migrations', 'Folder of the project\'s SQL migrations (`NNNN_name.sql`), relative to the working directory; see docs/migrations.md.'),
  k('migrations.apply_on_start', bool(), true, 'Apply pending project migrations when the server starts (else only `fluxbase db migrate` does).'),
  k('migrations.seed_file', str(), './fluxbase/seed.sql', 'SQL run after the migrations by `fluxbase db reset` (development data), if the file exists.'),

  // ── database ──────────────────────────────────────────────────────────────
  k('database.url', str(), '', 'PostgreSQL URL of the owner role that runs migrations (`DATABASE_URL` is also read). Empty: embedded PostgreSQL in `data_dir`.', { secret: true }),
  k('database.max_connections', int(1, 10000), 50, 'Most pool connections; requests beyond wait up to `pool_wait_timeout`.'),
  k('database.min_connections', int(0, 10000), 10, 'Pool connections opened at start and kept open.'),
  k('database.statement_timeout', duration(), '30s', 'PostgreSQL statement_timeout of pool connections.'),
  k('database.connect_timeout', duration(), '10s', 'Timeout for opening one connection.'),
  k('database.pool_wait_timeout', duration(), '5s', 'How long a request waits for a free connection before 503 SERVICE_UNAVAILABLE.'),
  k('database.embedded_restart_attempts', int(0, 1000), 10, 'Embedded PostgreSQL only: attempts to restart the postmaster after it exits unexpectedly (backoff 0.5 s doubling to 10 s) before giving up. 0 disables supervision.'),

  // ── api ───────────────────────────────────────────────────────────────────
  k('api.exposed_schemas', list(), ['public'], 'Schemas reachable through REST and GraphQL.'),
  k('api.default_page_size', int(1, 1_000_000), 1000, 'Rows returned when a read gives no limit.'),
  k('api.max_page_size', int(1, 1_000_000), 1000, 'Largest limit honoured on reads.'),
  k('api.max_batch_size', int(1, 1_000_000), 1000, 'Most rows in one bulk insert.'),
  k('api.require_filter_for_mutations', bool(), true, 'Refuse PATCH and DELETE without a filter.'),
  k('api.aggregates_enabled', bool(), true, 'Allow aggregate functions in select.'),
  k('api.estimated_count_threshold', int(0), 10000, 'Above this many rows `count=estimated` uses the planner estimate.'),
  k('api.statement_cache_size', int(0, 1_000_000), 1000, 'Compiled table reads kept by request shape (values of simple filters aside); 0 turns the cache off.'),
  k('api.list_procedures_to_anon', bool(), false, 'Let anonymous callers list the functions they may execute (GET /api/v1/rpc/procedures); off: signed-in users and service keys only.'),

  // ── idempotency ───────────────────────────────────────────────────────────
  k('idempotency.enabled', bool(), true, 'Honour Idempotency-Key on writes.'),
  k('idempotency.ttl', duration(), '24h', 'How long stored responses are replayed.'),
  k('idempotency.processing_timeout', duration(), '60s', 'A key still processing after this is taken over.'),
  k('idempotency.cleanup_interval', duration(), '1h', 'How often expired keys are deleted.'),

  // ── auth ──────────────────────────────────────────────────────────────────
  k('auth.jwt_secret', str(), undefined, 'HS256 secret for access tokens and API keys (at least 32 characters).',
    { note: 'required in production; generated and kept in `data_dir` in development', secret: true }),
  k('auth.jwt_expiry', duration(), '15m', 'Lifetime of access tokens.'),
  k('auth.refresh_expiry', duration(), '168h', 'Lifetime of refresh tokens.'),
  k('auth.refresh_reuse_interval', duration(), '10s', 'Window in which a replayed parent refresh token returns the current child.'),
  k('auth.jwt_leeway', duration(), '30s', 'Clock leeway for exp, nbf and iat.'),
  k('auth.jwt_audience', str(), '', 'When set, tokens must carry this `aud`.'),
  k('auth.site_url', url(), undefined, 'Base URL of the application, used in emails and as an allowed redirect.', { note: '`server.public_url`' }),
  k('auth.redirect_allow_list', list(), [], 'Allowed redirect targets (exact, or prefix with a trailing `/**`).'),
  k('auth.signup_enabled', bool(), true, 'Allow new sign-ups.'),
  k('auth.require_email_verification', bool(), false, 'Require a verified email before sign-in.'),
  k('auth.magic_link_enabled', bool(), true, 'Allow magic-link sign-in.'),
  k('auth.anonymous_signin_enabled', bool(), false, 'Allow anonymous sign-in.'),
  k('auth.password_login_enabled', bool(), true, 'Allow email and password sign-in.'),
  k('auth.password_min_length', int(1, 1024), 8, 'Shortest accepted password.'),
  k('auth.password_max_length', int(1, 4096), 128, 'Longest accepted password (characters).'),
  k('auth.lockout_max_attempts', int(1), 5, 'Consecutive failed sign-ins that lock an email.'),
  k('auth.lockout_duration', duration(), '15m', 'How long a locked email stays locked.'),
  k('auth.require_api_key', bool(), false, 'Refuse requests without any credential outside the public routes.'),
  k('auth.totp_issuer', str(), 'Fluxbase', 'Issuer shown in authenticator apps.'),
  k('auth.totp_max_attempts', int(1), 5, 'Failed TOTP attempts within the window before lockout.'),
  k('auth.totp_attempt_window', duration(), '5m', 'Window for counting failed TOTP attempts.'),
  k('auth.totp_lockout_duration', duration(), '15m', 'TOTP lockout length.'),
  k('auth.otp_expiry', duration(), '10m', 'Lifetime of magic links and email OTP codes.'),
  k('auth.password_reset_expiry', duration(), '1h', 'Lifetime of password reset tokens.'),
  k('auth.email_verification_expiry', duration(), '24h', 'Lifetime of email verification tokens.'),
  k('auth.oauth_state_ttl', duration(), '10m', 'Lifetime of an OAuth authorization attempt.'),

  // ── email ─────────────────────────────────────────────────────────────────
  k('email.smtp_url', str(), '', 'SMTP server (`smtp://user:pass@host:port`); empty keeps mail in the development outbox.', { secret: true }),
  k('email.from', str(), 'Fluxbase <noreply@localhost>', 'Sender address.'),

  // ── redis ─────────────────────────────────────────────────────────────────
  k('redis.url', str(), '', 'Redis for shared rate-limit counters and the realtime broadcast/presence bus (one database number per deployment); empty keeps counters in memory and uses PostgreSQL NOTIFY for the bus.', { secret: true }),

  // ── rate limits ───────────────────────────────────────────────────────────
  k('rate_limit.enabled', bool(), true, 'Enforce rate limits.'),
  k('rate_limit.global', rate(), '1000/1m', 'Requests per principal (service role exempt).'),
  k('rate_limit.login', rate(), '10/1m', 'Sign-in attempts per IP.'),
  k('rate_limit.login_per_email', rate(), '100/1h', 'Sign-in attempts per email.'),
  k('rate_limit.signup', rate(), '20/1h', 'Sign-ups per IP.'),
  k('rate_limit.email_send', rate(), '30/1h', 'Emails triggered per IP.'),
  k('rate_limit.email_send_per_email', rate(), '5/1h', 'Emails sent per address.'),
  k('rate_limit.refresh', rate(), '30/1m', 'Refreshes per session family.'),
  k('rate_limit.refresh_per_ip', rate(), '150/5m', 'Refreshes per IP.'),
  k('rate_limit.totp_verify', rate(), '30/1m', 'TOTP verifications per IP.'),

  // ── realtime ──────────────────────────────────────────────────────────────
  k('realtime.enabled', bool(), true, 'Serve realtime WebSocket connections.'),
  k('realtime.max_connections', int(1), 1000, 'Connections per instance.'),
  k('realtime.max_connections_per_user', int(1), 10, 'Connections per user or service key.'),
  k('realtime.max_connections_per_ip', int(1), 20, 'Anonymous connections per IP.'),
  k('realtime.max_subscriptions_per_connection', int(1), 100, 'Subscriptions per connection.'),
  k('realtime.max_message_size', size(), '64KB', 'Largest accepted client frame.'),
  k('realtime.rls_cache_size', int(0), 100000, 'Entries in the RLS decision cache.'),
  k('realtime.rls_cache_ttl', duration(), '30s', 'Lifetime of an RLS decision.'),
  k('realtime.listener_pool_size', int(1, 64), 2, 'LISTEN connections.'),
  k('realtime.notification_workers', int(1, 256), 4, 'Workers draining the change queue.'),
  k('realtime.notification_queue_size', int(1), 1000, 'Bound of the change queue.'),
  k('realtime.client_message_queue_size', int(1), 256, 'Bound of each connection send queue.'),
  k('realtime.slow_client_threshold', int(1), 100, 'Queued messages that mark a client slow.'),
  k('realtime.slow_client_timeout', duration(), '30s', 'How long a client may stay slow before it is closed (1008).'),
  k('realtime.heartbeat_interval', duration(), '30s', 'Interval of heartbeat frames.'),
  k('realtime.ping_interval', duration(), '15s', 'Interval of WebSocket pings.'),
  k('realtime.pong_timeout', duration(), '60s', 'Close a connection silent for this long.'),

  // ── storage ───────────────────────────────────────────────────────────────
  k('storage.enabled', bool(), true, 'Serve the storage API.'),
  k('storage.backend', oneOf('local', 's3'), 'local', 'Where object bytes live.'),
  k('storage.local_path', str(), undefined, 'Directory of the local backend.', { note: '`<data_dir>/storage`' }),
  k('storage.max_file_size', size(), '5GB', 'Largest object.'),
  k('storage.s3.endpoint', str(), '', 'S3 endpoint URL.'),
  k('storage.s3.region', str(), 'us-east-1', 'S3 region.'),
  k('storage.s3.access_key_id', str(), '', 'S3 access key id.', { secret: true }),
  k('storage.s3.secret_access_key', str(), '', 'S3 secret access key.', { secret: true }),
  k('storage.s3.force_path_style', bool(), true, 'Use path-style S3 addressing.'),
  k('storage.s3.bucket', str(), 'fluxbase', 'S3 bucket holding every Fluxbase bucket (it must exist); objects are stored under `<bucket>/<key>`.'),
  k('storage.transforms.enabled', bool(), true, 'Serve image transforms.'),
  k('storage.transforms.max_width', int(1), 4096, 'Widest transform output.'),
  k('storage.transforms.max_height', int(1), 4096, 'Tallest transform output.'),
  k('storage.transforms.max_pixels', int(1), 16000000, 'Largest input in pixels.'),
  k('storage.transforms.default_quality', int(1, 100), 80, 'Default output quality.'),
  k('storage.transforms.concurrency', int(1, 64), 4, 'Transforms run at once.'),

  // ── functions ─────────────────────────────────────────────────────────────
  k('functions.enabled', bool(), true, 'Serve edge functions.'),
  k('functions.dir', str(), './functions', 'Folder of function files deployed at start (namespace `default`), relative to the working directory; see docs/functions.md.'),
  k('functions.default_timeout', duration(), '30s', 'Default wall-clock timeout.'),
  k('functions.max_timeout', duration(), '5m', 'Largest timeout a function may ask for.'),
  k('functions.default_memory_limit_mb', int(16, 65536), 128, 'Default V8 heap limit.'),
  k('functions.max_output_size', size(), '10MB', 'Captured output per stream.'),
  k('functions.max_response_size', size(), '10MB', 'Largest response body a function may return; a larger one fails with FUNCTION_ERROR (invalid_response).'),
  k('functions.max_concurrent', int(1, 10_000), 64, 'Invocations running at once on this instance (warm and cold); beyond it a call answers 503 with Retry-After.'),
  k('functions.warm_pool_size', int(0, 1024), 32, 'Warm Deno workers kept on this instance across all functions; 0 starts a new process for every invocation.'),
  k('functions.warm_workers_per_function', int(1, 64), 2, 'Warm workers per function version.'),
  k('functions.warm_idle_timeout', duration(), '60s', 'A warm worker idle this long is stopped.'),
  k('functions.warm_max_requests', int(1, 1_000_000), 10_000, 'A warm worker is replaced after serving this many requests.'),

  // ── jobs ──────────────────────────────────────────────────────────────────
  k('jobs.enabled', bool(), true, 'Run the job queue.'),
  k('jobs.dir', str(), './jobs', 'Directory scanned for job functions.'),
  k('jobs.worker_count', int(0, 256), 4, 'Workers per instance.'),
  k('jobs.concurrency_per_worker', int(1, 256), 5, 'Jobs per worker at once.'),
  k('jobs.poll_interval', duration(), '1s', 'Poll interval when no notification arrives.'),
  k('jobs.default_timeout', duration(), '300s', 'Default job timeout.'),
  k('jobs.default_max_retries', int(0, 1000), 3, 'Default retries.'),
  k('jobs.retry_backoff_base', duration(), '10s', 'First retry delay.'),
  k('jobs.retry_backoff_max', duration(), '1h', 'Longest retry delay.'),
  k('jobs.heartbeat_interval', duration(), '10s', 'Worker heartbeat interval.'),
  k('jobs.worker_timeout', duration(), '30s', 'A worker silent this long loses its jobs.'),
  k('jobs.progress_timeout', duration(), '300s', 'A job without progress this long is failed.'),
  k('jobs.graceful_shutdown_timeout', duration(), '5m', 'How long running jobs may finish on shutdown.'),
  k('jobs.requeue_interrupted', bool(), true, 'Make interrupted jobs claimable again.'),
  k('jobs.cancel_grace_period', duration(), '5s', 'After a cancel, how long a running job may go on (its isCancelled() is true) before its process is stopped.'),
  k('jobs.max_output_size', size(), '50MB', 'Captured job output.'),

  // ── webhooks ──────────────────────────────────────────────────────────────
  k('webhooks.enabled', bool(), true, 'Deliver webhooks.'),
  k('webhooks.workers', int(1, 256), 4, 'Delivery workers.'),
  k('webhooks.retry_backoff_base', duration(), '10s', 'First retry delay.'),
  k('webhooks.retry_backoff_max', duration(), '1h', 'Longest retry delay.'),
  k('webhooks.per_url_rate_limit', rate(), '60/1m', 'Deliveries per target URL.'),
  k('webhooks.allow_private_targets', bool(), false, 'Allow targets on private addresses (development and tests).'),
  k('webhooks.delivery_retention', duration(), '7d', 'How long delivery records are kept.'),

  // ── graphql ───────────────────────────────────────────────────────────────
  k('graphql.enabled', bool(), true, 'Serve GraphQL.'),
  k('graphql.max_depth', int(1, 1000), 10, 'Deepest query.'),
  k('graphql.max_complexity', int(1), 1000, 'Largest query complexity.'),
  k('graphql.max_fields_per_level', int(1), 50, 'Most fields on one level.'),
  k('graphql.introspection', bool(), true, 'Allow introspection.'),
  k('graphql.allow_fragments', bool(), true, 'Allow fragments.'),

  // ── observability ─────────────────────────────────────────────────────────
  k('metrics.enabled', bool(), true, 'Serve Prometheus metrics.'),
  k('metrics.path', z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'expected a path like /metrics'), '/metrics', 'Path of the metrics endpoint on the main port.'),
  k('metrics.bearer_token', str(), '', 'When set, /metrics requires `Authorization: Bearer <token>`.', { secret: true }),
  k('tracing.enabled', bool(), false, 'Export OpenTelemetry traces (docs/tracing.md). Off, nothing of OpenTelemetry is loaded and requests pay nothing for it.'),
  k('tracing.otlp_endpoint', url(), 'http://localhost:4318', 'OTLP/HTTP collector base URL; spans go to `<endpoint>/v1/traces` as JSON. Left at the default, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` applies.'),
  k('tracing.service_name', str(), 'fluxbase', 'Service name on spans (`service.name`). Left at the default, `OTEL_SERVICE_NAME` applies.'),
  k('tracing.sample_rate', num(0, 1), 1.0, 'Fraction of new traces sampled (a request with a `traceparent` follows its caller\'s decision). Left at the default, `OTEL_TRACES_SAMPLER_ARG` applies.'),
  k('logging.level', oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), 'info', 'Log level.'),
  k('logging.format', oneOf('json', 'pretty'), undefined, 'Log format.', { note: '`json` (`pretty` in development)' }),
] as const;

export const CONFIG_KEYS: readonly KeySpec[] = keys;

type KeyValue<E> = E extends Key<string, infer S, infer D>
  ? undefined extends D ? z.output<S> | undefined : z.output<S>
  : never;
type PathToObject<P extends string, V> = P extends `${infer H}.${infer R}`
  ? { [K in H]: PathToObject<R, V> }
  : { [K in P]: V };
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type Entry = (typeof keys)[number];
type Flat = UnionToIntersection<Entry extends infer E ? (E extends Key<infer P, z.ZodType, unknown> ? PathToObject<P, KeyValue<E>> : never) : never>;
type Expand<T> = T extends object ? (T extends readonly unknown[] ? T : { [K in keyof T]: Expand<T[K]> }) : T;

/** Derived defaults (`auth.site_url`, `storage.local_path`, `logging.format`) are filled in by the loader. */
export type ConfigValues = Expand<Flat>;

/** Environment variable of a key: `server.body_limits.rest_limit` → `FLUXBASE_SERVER_BODY_LIMITS_REST_LIMIT`. */
export function envName(path: string): string {
  return `FLUXBASE_${path.replace(/\./g, '_').toUpperCase()}`;
}
