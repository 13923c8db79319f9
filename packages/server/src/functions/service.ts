// The functions service (docs/functions.md): deploying (validation, annotations, the
// compiler's check, a new version per change, warm workers of the old version stopped) and
// invoking (lookup, access, per-function rate limits, the environment and context of
// API.md §11.1, the runtime, the execution log, metrics). Routes call it; SQL stays in the
// *-store.ts modules; running code stays in runtime/.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { AppError, errors, RateLimiter, signJwt, type Principal, type RateLimitStore } from '../http/index.ts';
import type { Logger, TraceSpan, Tracing } from '../observability/index.ts';
import { DEFAULT_NAMESPACE, DeployBody, type Deploy, SETTING_KEYS, type Settings, type Update, withAnnotations } from './deploy.ts';
import { insertExecution, listExecutions, type ExecutionRow } from './execution-store.ts';
import {
  deleteFunction, findFunction, findVersion, insertFunction, listFunctions, listVersions, updateFunction,
  type FunctionFields, type FunctionRecord, type VersionSummary,
} from './function-store.ts';
import type { FunctionMetrics } from './metrics.ts';
import { FunctionRuntimeError, type FunctionRuntime, type InvokeResult } from './runtime/types.ts';
import { secretsFor, type Sealer } from './secret-store.ts';

/** What parses `// @fluxbase:` annotations (functions/source). */
export type AnnotationParser = (code: string) => { fields: Record<string, unknown>; errors: string[] };
/** What checks a module before it is stored (runtime/module-check.ts). */
export type ModuleChecker = (code: string, language: 'ts' | 'js') => Promise<{ ok: true } | { ok: false; diagnostics: { message: string; line?: number; column?: number }[] }>;

/** The runtime as the service uses it: a warm pool keyed by function version. */
export interface PooledRuntime extends FunctionRuntime {
  invoke(input: Parameters<FunctionRuntime['invoke']>[0] & { key?: string }): Promise<InvokeResult & { warm?: boolean }>;
  evict?(keyPrefix: string): Promise<void>;
}

export interface FunctionsServiceDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: FunctionMetrics;
  runtime: PooledRuntime;
  sealer: Sealer;
  rateLimitStore: RateLimitStore;
  annotations: AnnotationParser;
  check: ModuleChecker;
  /** A span per invocation (docs/tracing.md "Function invocations"); absent or off: none. */
  tracing?: Tracing;
  now?: () => number;
}

/** Captured output kept in an execution row (the response to an admin carries the same). */
const MAX_STORED_LOGS = 64 * 1024;

/** Hop-by-hop and framing headers never copied between the client and the function. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host']);

export interface InvokeCall {
  namespace: string;
  name: string;
  method: string;
  /** The path and query as the client sent them (the handler's request.url is public_url + this). */
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
  /** Bytes read whole, or a stream of a large or chunked body (routes/invoke.ts). */
  body: Buffer | Readable | undefined;
  principal: Principal;
  isAdmin: () => Promise<boolean>;
  clientIp: string;
  /** Where the function reaches this server (FLUXBASE_URL). */
  internalUrl: string;
  traceparent?: string | undefined;
  /** The HTTP request's id: its span (tracing on) is the invocation span's parent. */
  requestId?: string | undefined;
  /** What started it (functions.edge_executions.trigger_type); default http. A scheduled run is `cron` (the jobs scheduler). */
  trigger?: 'http' | 'cron';
  /** Called once the function is known (its CORS settings apply to the response, errors included). */
  onCors?: (fn: FunctionRecord) => void;
}

export interface InvokeOutcome {
  executionId: string;
  status: number;
  headers: [string, string][];
  body: Buffer;
  /** A streamed body (runtime/types.ts InvokeResult.stream): sent as it comes instead of `body`. */
  stream?: Readable;
}

/**
 * Invocations read the function row and the secrets from memory for this long (a deploy or a
 * secret change on this instance clears them at once; other instances see it within this).
 */
const LOOKUP_TTL_MS = 1000;
/** Execution rows are written in batches (one INSERT) at most this often, or at BATCH_ROWS rows. */
const RECORD_FLUSH_MS = 200;
const BATCH_ROWS = 500;
/** Rows waiting while the database is unreachable; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_ROWS = 10_000;

export class FunctionsService {
  private readonly now: () => number;
  private readonly limiters = new Map<string, RateLimiter[]>();
  private readonly rows = new Map<string, { row: FunctionRecord; at: number }>();
  private readonly secretValues = new Map<string, { values: Record<string, string>; at: number }>();
  private pending: ExecutionRow[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private running = 0;

  constructor(private readonly deps: FunctionsServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  get inFlight(): number {
    return this.running;
  }

  // ── deploying ─────────────────────────────────────────────────────────────

  /** Fields of a deploy merged with its annotations and the configured defaults, checked by the compiler. */
  private async prepare(input: Deploy, source: 'api' | 'filesystem'): Promise<FunctionFields> {
    const fields = this.resolve(input, source);
    await this.verify(fields);
    return fields;
  }

  /** Fields of a deploy merged with its annotations and the configured defaults (no compiler yet). */
  private resolve(input: Deploy, source: 'api' | 'filesystem'): FunctionFields {
    if (input.code.trim() === '') throw bundleError('The function code is empty', [{ message: 'the function code is empty' }]);
    const parsed = this.deps.annotations(input.code);
    if (parsed.errors.length > 0) {
      throw new AppError('VALIDATION_FAILED', {
        message: `Invalid @fluxbase annotation: ${parsed.errors[0]}`, details: { annotations: parsed.errors },
        hint: 'Fix the annotation comment or give the field in the request, which wins over annotations',
      });
    }
    const merged = DeployBody.safeParse(withAnnotations(input, parsed.fields));
    if (!merged.success) {
      const issue = merged.error.issues[0]!;
      throw new AppError('VALIDATION_FAILED', { message: `${issue.path.join('.')} ${issue.message} (from an @fluxbase annotation)`, details: { fields: { [issue.path.join('.')]: issue.message } } });
    }
    const d = merged.data;
    const fn = this.deps.config.functions;
    const timeout = d.timeout_seconds ?? Math.round(fn.default_timeout / 1000);
    if (timeout * 1000 > fn.max_timeout) {
      throw new AppError('VALIDATION_FAILED', {
        message: `timeout_seconds ${timeout} exceeds functions.max_timeout (${Math.round(fn.max_timeout / 1000)} s)`,
        details: { fields: { timeout_seconds: `must be at most ${Math.round(fn.max_timeout / 1000)}` } }, hint: 'Ask for less or raise functions.max_timeout',
      });
    }
    return {
      namespace: d.namespace ?? DEFAULT_NAMESPACE, name: d.name, code: d.code, source,
      description: d.description ?? null, is_bundled: d.is_bundled ?? false, enabled: d.enabled ?? true,
      timeout_seconds: timeout, memory_limit_mb: d.memory_limit_mb ?? fn.default_memory_limit_mb,
      allow_net: d.allow_net ?? true, allow_net_hosts: d.allow_net_hosts ?? null, allow_env: d.allow_env ?? false,
      allow_read: d.allow_read ?? false, allow_write: d.allow_write ?? false, allow_unauthenticated: d.allow_unauthenticated ?? false,
      cors_origins: d.cors_origins ?? null, cors_methods: d.cors_methods ?? null, cors_headers: d.cors_headers ?? null,
      cors_credentials: d.cors_credentials ?? null, cors_max_age: d.cors_max_age ?? null,
      rate_limit_per_minute: d.rate_limit_per_minute ?? null, rate_limit_per_hour: d.rate_limit_per_hour ?? null, rate_limit_per_day: d.rate_limit_per_day ?? null,
      cron_schedule: d.cron_schedule ?? null,
    };
  }

  /** Syntax and types; bundled code (plain JavaScript from esbuild) has syntax only. */
  private async verify(fields: FunctionFields): Promise<void> {
    const checked = await this.deps.check(fields.code, fields.is_bundled ? 'js' : 'ts');
    if (!checked.ok) {
      const first = checked.diagnostics[0];
      const where = first?.line !== undefined ? ` (line ${first.line}${first.column !== undefined ? `, column ${first.column}` : ''})` : '';
      throw bundleError(`The function does not compile: ${first?.message ?? 'unknown error'}${where}`, checked.diagnostics);
    }
  }

  async create(input: Deploy, principal: Principal, source: 'api' | 'filesystem' = 'api'): Promise<FunctionRecord> {
    const fields = await this.prepare(input, source);
    const row = await this.deps.db.pool.withConnection((sql) => insertFunction(sql, fields, actorOf(principal)));
    this.rows.clear();
    if (!row) {
      throw new AppError('ALREADY_EXISTS', {
        message: `A function named "${fields.name}" already exists in namespace "${fields.namespace}"`,
        hint: `Update it with PUT /api/v1/functions/${fields.name}, or delete it first`, details: { name: fields.name, namespace: fields.namespace },
      });
    }
    return row;
  }

  /** PUT/PATCH: the given fields over the current ones; always a new version. */
  async update(namespace: string, name: string, input: Update, principal: Principal, source?: 'api' | 'filesystem'): Promise<FunctionRecord> {
    const current = await this.find(namespace, name);
    // Stored settings, then the annotations of new code (a changed annotation takes effect), then the request's fields.
    let merged: Deploy = { ...settingsOf(current), name, namespace, code: current.code };
    if (input.code !== undefined) {
      const annotated = this.deps.annotations(input.code).fields;
      delete annotated.namespace;
      merged = { ...merged, ...annotated };
    }
    for (const [k, v] of Object.entries(input)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    return this.replace(current, merged, principal, source ?? current.source);
  }

  /** Store `next` as the function's new version and stop the old version's warm workers. */
  private async replace(current: FunctionRecord, next: Deploy, principal: Principal, source: 'api' | 'filesystem'): Promise<FunctionRecord> {
    const fields = await this.prepare(next, source);
    const row = await this.deps.db.pool.withConnection((sql) => updateFunction(sql, current.id, fields, actorOf(principal)));
    this.rows.clear();
    if (!row) throw notFound(current.namespace, current.name);
    await this.deps.runtime.evict?.(`${current.id}@`);
    return row;
  }

  async remove(namespace: string, name: string): Promise<void> {
    const gone = await this.deps.db.pool.withConnection((sql) => deleteFunction(sql, namespace, name));
    this.rows.clear();
    if (!gone) throw notFound(namespace, name);
    this.limiters.delete(gone.id);
    await this.deps.runtime.evict?.(`${gone.id}@`);
  }

  async find(namespace: string, name: string): Promise<FunctionRecord> {
    const row = await this.deps.db.pool.withConnection((sql) => findFunction(sql, namespace, name));
    if (!row) throw notFound(namespace, name);
    return row;
  }

  async executions(namespace: string, name: string, limit: number): Promise<ExecutionRow[]> {
    const fn = await this.find(namespace, name);
    return this.deps.db.pool.withConnection((sql) => listExecutions(sql, fn.id, limit));
  }

  async versions(namespace: string, name: string): Promise<VersionSummary[]> {
    const fn = await this.find(namespace, name);
    return this.deps.db.pool.withConnection((sql) => listVersions(sql, fn.id));
  }

  /** Deploy an earlier version's code and settings again, as a new version. */
  async restore(namespace: string, name: string, version: number, principal: Principal): Promise<FunctionRecord> {
    const fn = await this.find(namespace, name);
    const old = await this.deps.db.pool.withConnection((sql) => findVersion(sql, fn.id, version));
    if (!old) throw errors.notFound(`version ${version} of function "${name}"`);
    // Exactly that version's settings: one it did not have is reset, not kept from the current version.
    const next: Record<string, unknown> = { name, namespace, code: old.code };
    for (const k of SETTING_KEYS) if (old.settings[k] !== null && old.settings[k] !== undefined) next[k] = old.settings[k];
    return this.replace(fn, next as Deploy, principal, fn.source);
  }

  list(namespace: string | undefined): Promise<FunctionRecord[]> {
    return this.deps.db.pool.withConnection((sql) => listFunctions(sql, namespace));
  }

  /**
   * Deploy many at once (the admin sync route, the functions folder): create what is new,
   * update what changed, leave what is equal, optionally delete the namespace's others.
   * Each function succeeds or fails alone; nothing is written on a dry run.
   */
  async sync(namespace: string, inputs: Deploy[], options: { deleteMissing: boolean | 'filesystem'; dryRun: boolean; source: 'api' | 'filesystem' }, principal: Principal): Promise<SyncResult> {
    const result: SyncResult = { summary: { created: 0, updated: 0, deleted: 0, unchanged: 0, errors: 0 }, details: [], errors: [] };
    const existing = new Map((await this.list(namespace)).map((f) => [f.name, f]));
    const seen = new Set<string>();
    for (const raw of inputs) {
      const input = { ...raw, namespace };
      seen.add(input.name);
      const current = existing.get(input.name);
      const action = current ? 'update' : 'create';
      try {
        const fields = this.resolve(input, options.source);
        if (current && sameFunction(current, fields)) {
          result.summary.unchanged++;
          result.details.push({ function: input.name, action: 'unchanged' });
          continue;
        }
        await this.verify(fields);
        if (!options.dryRun) {
          if (current) {
            await this.deps.db.pool.withConnection((sql) => updateFunction(sql, current.id, fields, actorOf(principal)));
            await this.deps.runtime.evict?.(`${current.id}@`);
          } else {
            const row = await this.deps.db.pool.withConnection((sql) => insertFunction(sql, fields, actorOf(principal)));
            if (!row) throw new AppError('ALREADY_EXISTS', { message: `"${input.name}" was created concurrently` });
          }
        }
        result.summary[current ? 'updated' : 'created']++;
        result.details.push({ function: input.name, action: current ? 'updated' : 'created' });
      } catch (err) {
        result.summary.errors++;
        result.errors.push({ function: input.name, error: err instanceof AppError ? err.message : String((err as Error).message ?? err), action });
      }
    }
    if (options.deleteMissing) {
      for (const [name, fn] of existing) {
        if (seen.has(name) || (options.deleteMissing === 'filesystem' && fn.source !== 'filesystem')) continue;
        if (!options.dryRun) await this.remove(namespace, name).catch(() => {});
        result.summary.deleted++;
        result.details.push({ function: name, action: 'deleted' });
      }
    }
    this.rows.clear();
    return result;
  }

  // ── invoking ──────────────────────────────────────────────────────────────

  /** The function for an invocation: from memory when looked up within LOOKUP_TTL_MS. */
  private async lookup(namespace: string, name: string): Promise<FunctionRecord> {
    const key = `${namespace}/${name}`;
    const hit = this.rows.get(key);
    if (hit && this.now() - hit.at < LOOKUP_TTL_MS) return hit.row;
    const row = await this.find(namespace, name);
    if (this.rows.size > 10_000) this.rows.clear();
    this.rows.set(key, { row, at: this.now() });
    return row;
  }

  /** Forget what invocations remember (a deploy or a secret changed here). */
  forget(): void {
    this.rows.clear();
    this.secretValues.clear();
  }

  invoke(call: InvokeCall): Promise<InvokeOutcome> {
    const tracing = this.deps.tracing;
    if (tracing === undefined || !tracing.enabled) return this.execute(call, undefined);
    // A child of the request's span; execute() ends it once the outcome is final (a stream's end).
    const span = tracing.startSpan(`function ${call.namespace}/${call.name}`, {
      // Called over HTTP: only inside a sampled request span. Cron and other triggers start their own trace.
      requireParent: (call.trigger ?? 'http') === 'http',
      parentRequest: call.requestId,
      attributes: {
        'function.name': call.name, 'function.namespace': call.namespace, 'function.method': call.method,
        'function.url': call.originalUrl.split('?')[0], 'function.user_id': call.principal.userId ?? undefined,
        'function.trigger': call.trigger ?? 'http',
      },
    });
    // Passed explicitly, never made the active context (see request-tracing.ts CONTEXT_ROUTES).
    return this.execute(call, span).catch((err: unknown) => {
      span.fail(err);
      span.end();
      throw err;
    });
  }

  private async execute(call: InvokeCall, span: TraceSpan | undefined): Promise<InvokeOutcome> {
    const fn = await this.lookup(call.namespace, call.name);
    call.onCors?.(fn);
    if (!fn.enabled) {
      throw new AppError('FUNCTION_DISABLED', {
        message: `Function "${fn.name}" is disabled`, hint: 'An admin can enable it with PUT /api/v1/functions/:name {"enabled": true}', details: { name: fn.name, namespace: fn.namespace },
      });
    }
    if (call.principal.kind === 'anonymous' && !fn.allow_unauthenticated) {
      throw errors.missingAuthentication(`Function "${fn.name}" needs a credential (an API key or a user token); deploy it with allow_unauthenticated to call it without`);
    }
    await this.checkRateLimits(fn, call);

    const label = `${fn.namespace}/${fn.name}`;
    const executionId = randomUUID();
    const startedAt = new Date(this.now());
    const jwtSecret = this.deps.config.auth.jwt_secret;
    const nowSeconds = Math.floor(this.now() / 1000);
    const exp = nowSeconds + fn.timeout_seconds + 60;
    const serviceToken = signJwt({ iss: 'fluxbase', role: 'service_role', iat: nowSeconds, exp, execution_id: executionId, function: label }, jwtSecret);
    const userToken = call.principal.token ?? signJwt({ iss: 'fluxbase', role: 'anon', iat: nowSeconds, exp }, jwtSecret);

    const secrets = await this.secretsOf(fn.namespace);
    const env: Record<string, string> = {
      FLUXBASE_URL: call.internalUrl,
      FLUXBASE_USER_TOKEN: userToken,
      FLUXBASE_SERVICE_TOKEN: serviceToken,
      FLUXBASE_EXECUTION_ID: executionId,
      FLUXBASE_FUNCTION_NAME: fn.name,
      FLUXBASE_FUNCTION_NAMESPACE: fn.namespace,
    };
    // Traced: the invocation span, so the function's own calls continue this trace. Else the caller's header.
    const traceparent = span?.recording ? span.traceparent() : call.traceparent;
    if (traceparent) env.TRACEPARENT = traceparent;
    span?.setAttributes({ 'function.execution_id': executionId });
    for (const [k, v] of Object.entries(secrets)) env[`FLUXBASE_SECRET_${k.toUpperCase()}`] = v;
    if (Array.isArray(fn.allow_env)) for (const k of fn.allow_env) if (process.env[k] !== undefined && !(k in env)) env[k] = process.env[k]!;

    const net: boolean | string[] = !fn.allow_net ? false : fn.allow_net_hosts && fn.allow_net_hosts.length > 0 ? [...fn.allow_net_hosts, new URL(call.internalUrl).host] : true;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    if (span?.recording) headers.traceparent = traceparent!;
    const user = call.principal.kind === 'user' && call.principal.userId !== null
      ? { id: call.principal.userId, email: (call.principal.claims.email as string | undefined) ?? null, role: call.principal.role }
      : null;

    if (this.running >= this.deps.config.functions.max_concurrent) {
      this.deps.metrics.rejected.inc({ reason: 'busy' });
      throw errors.serviceUnavailable(`This server is running ${this.running} function invocations, its limit (functions.max_concurrent); retry in a moment`, 1, { limit: this.deps.config.functions.max_concurrent });
    }
    this.running++;
    let result: (InvokeResult & { warm?: boolean }) | undefined;
    let failure: FunctionRuntimeError | undefined;
    try {
      result = await this.deps.runtime.invoke({
        // No key: a new process for this invocation (functions.warm_pool_size 0).
        ...(this.deps.config.functions.warm_pool_size > 0 ? { key: `${fn.id}@${fn.version}` } : {}),
        code: fn.code,
        request: { method: call.method, url: new URL(call.originalUrl, this.deps.config.server.public_url).toString(), headers, ...(call.body instanceof Readable || (call.body && call.body.length > 0) ? { body: call.body } : {}) },
        env,
        permissions: { net, env: Object.keys(env), read: fn.allow_read, write: fn.allow_write },
        limits: { memoryMb: fn.memory_limit_mb, timeoutMs: fn.timeout_seconds * 1000, maxOutputBytes: this.deps.config.functions.max_output_size, maxResponseBytes: this.deps.config.functions.max_response_size },
        context: { user, secrets, execution_id: executionId, function: { name: fn.name, namespace: fn.namespace, version: fn.version } },
      });
    } catch (err) {
      if (!(err instanceof FunctionRuntimeError)) throw err;
      failure = err;
    } finally {
      // A streamed response runs until its stream ends (below).
      if (!result?.done) this.running--;
    }

    const m = this.deps.metrics;
    if (result) m.starts.inc({ kind: result.warm ? 'warm' : 'cold' });
    /** Metrics and the execution row, once the outcome is final (at once, or when a stream ends). */
    const settle = (end: { durationMs: number; stdout: string; stderr: string; truncated: { stdout: boolean; stderr: boolean } }, err: FunctionRuntimeError | undefined, statusCode: number): string => {
      m.duration.observe({ namespace: fn.namespace, name: fn.name }, end.durationMs / 1000);
      if (end.truncated.stdout) m.truncations.inc({ stream: 'stdout' });
      if (end.truncated.stderr) m.truncations.inc({ stream: 'stderr' });
      const logs = joinLogs(end.stdout, end.stderr);
      const status = err ? (err.code === 'FUNCTION_TIMEOUT' ? 'timeout' : 'error') : 'success';
      m.invocations.inc({ namespace: fn.namespace, name: fn.name, status });
      if (err) m.errors.inc({ namespace: fn.namespace, name: fn.name, reason: err.reason });
      this.record({
        id: executionId, function_id: fn.id, version: fn.version, trigger_type: call.trigger ?? 'http', status,
        status_code: err ? (err.code === 'FUNCTION_TIMEOUT' ? 504 : 500) : statusCode,
        error_message: err ? err.message : null, logs: logs === '' ? null : logs.slice(-MAX_STORED_LOGS), duration_ms: Math.round(end.durationMs),
        started_at: startedAt, completed_at: new Date(this.now()),
      });
      if (span) {
        span.setAttributes({ 'function.status_code': err ? (err.code === 'FUNCTION_TIMEOUT' ? 504 : 500) : statusCode, 'function.duration_ms': Math.round(end.durationMs), 'function.status': status });
        if (err) span.fail(err);
        span.end();
      }
      return logs;
    };

    if (failure) {
      const logs = settle({ durationMs: failure.durationMs, ...failure.logs }, failure, 0);
      const admin = await call.isAdmin().catch(() => false);
      throw new AppError(failure.code, {
        message: failure.code === 'FUNCTION_TIMEOUT' ? `Function "${fn.name}" did not respond within ${fn.timeout_seconds} s` : `Function "${fn.name}" failed: ${failure.message}`,
        hint: failure.code === 'FUNCTION_TIMEOUT' ? 'Make it faster or deploy it with a larger timeout_seconds' : `See the execution log: GET /api/v1/functions/${fn.name}/executions`,
        details: { reason: failure.reason, execution_id: executionId, ...(admin ? { logs: logs.slice(-MAX_STORED_LOGS) } : {}) },
        headers: { 'X-Fluxbase-Execution-Id': executionId },
      });
    }
    const ok = result!;
    if (ok.done) {
      void ok.done.then((end) => settle(end, end.error, ok.status), (err: unknown) => this.deps.logger.error({ err }, 'functions: a streamed response ended abnormally'))
        .finally(() => this.running--);
    } else {
      settle(ok, undefined, ok.status);
    }
    const out = ok.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()));
    return { executionId, status: ok.status, headers: out, body: ok.body, ...(ok.stream ? { stream: ok.stream } : {}) };
  }

  /** The namespace's secrets (global ones, overridden by the namespace's), decrypted; cached briefly. Jobs get them too. */
  async secretsOf(namespace: string): Promise<Record<string, string>> {
    const hit = this.secretValues.get(namespace);
    if (hit && this.now() - hit.at < LOOKUP_TTL_MS) return hit.values;
    const values = await this.openSecrets(namespace);
    this.secretValues.set(namespace, { values, at: this.now() });
    return values;
  }

  private async openSecrets(namespace: string): Promise<Record<string, string>> {
    const rows = await this.deps.db.pool.withConnection((sql) => secretsFor(sql, namespace));
    const out: Record<string, string> = {};
    for (const row of rows) {
      try {
        out[row.name] = this.deps.sealer.decrypt(row.value_enc);
      } catch (err) {
        this.deps.logger.error({ err, secret: row.name }, 'functions: a secret does not open with encryption_key; it is not passed to the function');
      }
    }
    return out;
  }

  private async checkRateLimits(fn: FunctionRecord, call: InvokeCall): Promise<void> {
    const windows: [number | null, number, string][] = [
      [fn.rate_limit_per_minute, 60_000, 'minute'], [fn.rate_limit_per_hour, 3_600_000, 'hour'], [fn.rate_limit_per_day, 86_400_000, 'day'],
    ];
    const signature = windows.map(([n]) => n ?? '-').join('/');
    let limiters = this.limiters.get(fn.id);
    if (!limiters || (limiters as RateLimiter[] & { signature?: string }).signature !== signature) {
      limiters = windows.filter(([n]) => n !== null).map(([count, windowMs, unit]) =>
        new RateLimiter(`function:${fn.namespace}/${fn.name}:${unit}`, { count: count!, windowMs }, this.deps.rateLimitStore, {
          message: `Too many calls to function "${fn.name}" (at most ${count} per ${unit})`, keyPrefix: `fn:${fn.id}:${unit}`,
        }));
      (limiters as RateLimiter[] & { signature?: string }).signature = signature;
      this.limiters.set(fn.id, limiters);
    }
    // Per caller: the user, the key, or the client address.
    const who = call.principal.userId ?? call.principal.keyId ?? (call.principal.kind === 'service_role' ? 'service_role' : `ip:${call.clientIp}`);
    for (const limiter of limiters) {
      const decision = await limiter.check(who);
      if (!decision.allowed) {
        this.deps.metrics.rejected.inc({ reason: 'rate_limited' });
        throw decision.error!;
      }
    }
  }

  /** Queue an execution row; rows are written together (RECORD_FLUSH_MS) so the log costs no round trip per call. */
  private record(row: ExecutionRow): void {
    if (this.pending.length >= MAX_PENDING_ROWS) {
      this.pending.shift();
      this.deps.logger.warn('functions: the execution log is not being written (database unreachable?); dropping the oldest rows');
    }
    this.pending.push(row);
    if (this.pending.length >= BATCH_ROWS) void this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), RECORD_FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** Write the queued execution rows now (also at shutdown); resolves when they are written or given up. */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await this.flushing;
    if (this.pending.length === 0) return;
    const rows = this.pending.splice(0, BATCH_ROWS);
    this.flushing = this.deps.db.pool.withConnection((sql) => insertExecution(sql, rows)).catch((err: unknown) => {
      this.deps.logger.warn({ err, rows: rows.length }, 'functions: could not record executions; retrying');
      this.pending.unshift(...rows.slice(0, Math.max(0, MAX_PENDING_ROWS - this.pending.length)));
    }).finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
    if (this.pending.length > 0 && !this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush(), RECORD_FLUSH_MS);
      this.flushTimer.unref();
    }
  }
}

export interface SyncResult {
  summary: { created: number; updated: number; deleted: number; unchanged: number; errors: number };
  details: { function: string; action: 'created' | 'updated' | 'deleted' | 'unchanged' }[];
  errors: { function: string; error: string; action: 'create' | 'update' }[];
}

function bundleError(message: string, diagnostics: { message: string; line?: number; column?: number }[]): AppError {
  return new AppError('FUNCTION_BUNDLE_ERROR', { message, details: { diagnostics }, hint: 'Fix the code and deploy again; `deno check <file>` shows the same errors locally' });
}

function notFound(namespace: string, name: string): AppError {
  return new AppError('FUNCTION_NOT_FOUND', {
    message: `No function named "${name}" in namespace "${namespace}"`, hint: 'List the deployed functions with GET /api/v1/functions', details: { name, namespace },
  });
}

function actorOf(p: Principal): string | null {
  return p.userId ?? (p.keyId ? `key:${p.keyId}` : p.role === 'service_role' ? 'service_role' : null);
}

/** The stored settings of a function as deploy fields. */
function settingsOf(f: FunctionRecord): Settings {
  const out: Record<string, unknown> = {};
  for (const k of SETTING_KEYS) {
    const v = (f as unknown as Record<string, unknown>)[k];
    if (v !== null && v !== undefined) out[k] = v;
  }
  return out as Settings;
}

function sameFunction(current: FunctionRecord, next: FunctionFields): boolean {
  for (const k of Object.keys(next) as (keyof FunctionFields)[]) {
    if (k === 'source') continue;
    if (JSON.stringify(current[k]) !== JSON.stringify(next[k])) return false;
  }
  return true;
}

function joinLogs(stdout: string, stderr: string): string {
  if (stdout === '') return stderr;
  if (stderr === '') return stdout;
  return `${stdout}${stdout.endsWith('\n') ? '' : '\n'}${stderr}`;
}
