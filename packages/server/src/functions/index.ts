// Edge functions (docs/functions.md; docs/architecture.md). runtime/ runs user modules in
// Deno under permissions and limits (cold processes and the warm pool) and touches no
// database or HTTP server; source/ reads annotations and the functions folder; the service,
// stores and routes/ build the product on them. Jobs get a FunctionRuntime passed in by
// app.ts, never this folder's internals.
import type { FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import { ANONYMOUS, type CorsOptions, type Principal, type RateLimitStore } from '../http/index.ts';
import type { Logger, Metrics, Tracing } from '../observability/index.ts';
import type { Deploy } from './deploy.ts';
import { writeContextModule } from './context-module.ts';
import { deleteOldExecutions } from './execution-store.ts';
import { createFunctionMetrics } from './metrics.ts';
import { registerFunctionsCreate } from './routes/create.ts';
import { registerFunctionsDelete } from './routes/delete.ts';
import { registerFunctionsExecutions } from './routes/executions.ts';
import { registerFunctionsGet } from './routes/get.ts';
import { isInvokePath, registerFunctionsInvoke } from './routes/invoke.ts';
import { registerFunctionsList } from './routes/list.ts';
import { hasOwnDeadline } from './routes/own-deadline.ts';
import { registerFunctionsReload } from './routes/reload.ts';
import { registerSecretsCreate } from './routes/secrets-create.ts';
import { registerSecretsDelete } from './routes/secrets-delete.ts';
import { registerSecretsGet } from './routes/secrets-get.ts';
import { registerSecretsList } from './routes/secrets-list.ts';
import { registerSecretsUpdate } from './routes/secrets-update.ts';
import { registerFunctionsSync } from './routes/sync.ts';
import { registerFunctionsUpdate } from './routes/update.ts';
import { registerFunctionsVersionsList } from './routes/versions-list.ts';
import { registerFunctionsVersionsRestore } from './routes/versions-restore.ts';
import { bundleEntry, checkModule } from './runtime/module-check.ts';
import { scheduledFunctions } from './function-store.ts';
import { WarmPool } from './runtime/warm-pool.ts';
import { pruneCodeDir } from './runtime/deno-runtime.ts';
import type { Sealer } from './secret-store.ts';
import { SecretsService } from './secrets-service.ts';
import { FunctionsService } from './service.ts';
import { loadFunctionsFolder, parseAnnotations, type FolderFunction } from './source/index.ts';

export { DenoRuntime, type DenoRuntimeOptions } from './runtime/deno-runtime.ts';
export { resolveDenoBinary } from './runtime/deno-binary.ts';
export { WarmPool, type WarmPoolOptions } from './runtime/warm-pool.ts';
export { bundleEntry, checkModule } from './runtime/module-check.ts';
export { type RecycleReason, type WarmInvokeInput, type WarmPoolEvent, type WarmPoolStats } from './runtime/warm-pool.ts';
export { type BundleResult, type ModuleCheckResult, type ModuleDiagnostic, type ModuleToolOptions } from './runtime/module-check.ts';
export {
  type FunctionErrorCode, type FunctionErrorReason, type FunctionLimits, type FunctionPermissions, type FunctionRuntime,
  FunctionRuntimeError, type InvokeInput, type InvokeRequest, type InvokeResult,
} from './runtime/types.ts';
export { parseAnnotations, loadFunctionsFolder, JOB_ONLY_FIELDS, loadFunctionFile, hasRelativeImport, type FolderFunction } from './source/index.ts';
export { rekeySecrets, type Sealer } from './secret-store.ts';
export { hasOwnDeadline, isInvokePath };

export interface FunctionsDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  /** AES-256-GCM under encryption_key, for secrets (the auth subsystem's box, passed by app.ts). */
  sealer: Sealer;
  rateLimitStore: RateLimitStore;
  /** The server's CORS settings (functions without their own use them). */
  cors: CorsOptions;
  /** A span per invocation when tracing is on (docs/tracing.md); absent: none. */
  tracing?: Tracing | undefined;
  now?: () => number;
}

/** What the jobs subsystem takes from functions (app.ts passes it on): job code is checked, bundled and run the same way. */
export interface FunctionsForJobs {
  check(code: string): Promise<{ ok: true } | { ok: false; message: string }>;
  bundle(file: string): Promise<{ ok: true; code: string } | { ok: false; message: string }>;
  loadFolder(dir: string): Promise<{ functions: FolderFunction[]; errors: { file: string; error: string }[] }>;
  /** Runs an edge function on its schedule (as the service role, trigger `cron`); throws when it fails. */
  runFunction(namespace: string, name: string, payload: unknown): Promise<unknown>;
  scheduledFunctions(): Promise<{ namespace: string; name: string; cron_schedule: string }[]>;
  /** The secrets a function of `namespace` gets (FLUXBASE_SECRET_<NAME>); jobs get the same. */
  secretsOf(namespace: string): Promise<Record<string, string>>;
}

export interface Functions {
  service: FunctionsService;
  runtime: WarmPool;
  /** For the jobs subsystem; `internalUrl` is where functions reach this server. */
  forJobs(internalUrl: () => string): FunctionsForJobs;
  register(app: FastifyInstance): void;
  /** Deploy functions.dir (when it exists) and start the execution-log cleanup. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Execution rows are kept this many days. */
const EXECUTION_RETENTION_DAYS = 7;
const CLEANUP_INTERVAL_MS = 60 * 60_000;
const CODE_CACHE_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Boot syncs of several instances on one database take turns. */
const SYNC_LOCK = 'fluxbase_functions_folder_sync';
const SYSTEM: Principal = { ...ANONYMOUS, kind: 'service_role', role: 'service_role', claims: { role: 'service_role' } };

export function createFunctions(deps: FunctionsDeps): Functions {
  const { config, db, logger } = deps;
  const fn = config.functions;
  const holder: { service?: FunctionsService } = {};
  // Per-invocation and per-worker directories live under the data dir (removed on every path;
  // a test or an operator can check that this folder is empty when nothing runs).
  const tmpRoot = path.join(config.data_dir, 'tmp', 'functions');
  mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
  const context = writeContextModule(path.join(config.data_dir, 'deno'));
  if ('error' in context) logger.warn({ reason: context.error }, 'functions: handlers get no fluxbase clients in their context');
  // Module versions and their bootstraps, written once so Deno's caches hit; files unused for a
  // week are pruned (other processes on the same data dir may be using the rest).
  const codeDir = path.join(config.data_dir, 'deno', 'code');
  const runtime = new WarmPool({
    tmpRoot,
    codeDir,
    ...('path' in context ? { contextModule: context.path } : {}),
    denoDir: path.join(config.data_dir, 'deno'),
    maxWorkersTotal: Math.max(1, fn.warm_pool_size),
    maxWorkersPerKey: fn.warm_workers_per_function,
    idleTimeoutMs: fn.warm_idle_timeout,
    maxRequestsPerWorker: fn.warm_max_requests,
    onEvent: (e) => {
      if (e.type === 'recycle') metrics.recycles.inc({ reason: e.reason ?? 'closed' });
    },
  });
  const metrics = createFunctionMetrics(deps.metrics.registry, {
    workers: () => runtime.stats().workers, busy: () => runtime.stats().busy, running: () => holder.service?.inFlight ?? 0,
  });
  const service = new FunctionsService({
    config, db, logger, metrics, runtime, sealer: deps.sealer, rateLimitStore: deps.rateLimitStore, ...(deps.tracing ? { tracing: deps.tracing } : {}),
    annotations: parseAnnotations, check: (code, language) => checkModule(code, { language, tmpRoot }), ...(deps.now ? { now: deps.now } : {}),
  });
  holder.service = service;
  const secrets = new SecretsService(db.pool, deps.sealer, () => {
    service.forget();
    return runtime.evict('');
  });

  /** Deploy what functions.dir holds (namespace "default"); folder functions no longer there are deleted. */
  async function loadFolder(principal: Principal): Promise<{ loaded: number; errors: { file: string; error: string }[] }> {
    const dir = path.resolve(fn.dir);
    const folder = await loadFunctionsFolder(dir);
    const errors = [...folder.errors];
    const inputs: Deploy[] = [];
    for (const f of folder.functions) {
      let code = f.code;
      if (f.hasLocalImports) {
        const bundled = await bundleEntry(f.file);
        if (!bundled.ok) {
          errors.push({ file: f.file, error: `could not bundle: ${bundled.diagnostics[0]?.message ?? 'unknown error'}` });
          continue;
        }
        code = bundled.code;
      }
      const { namespace: _ns, max_retries: _r, progress_timeout_seconds: _p, require_roles: _q, ...fields } = f.fields;
      inputs.push({ ...fields, name: f.name, code, ...(f.hasLocalImports ? { is_bundled: true } : {}) } as Deploy);
    }
    const result = await db.pool.withConnection(async (lock) => {
      await lock`select pg_advisory_lock(hashtext(${SYNC_LOCK}))`;
      try {
        return await service.sync('default', inputs, { deleteMissing: 'filesystem', dryRun: false, source: 'filesystem' }, principal);
      } finally {
        await lock`select pg_advisory_unlock(hashtext(${SYNC_LOCK}))`;
      }
    });
    for (const e of result.errors) errors.push({ file: e.function, error: e.error });
    if (errors.length > 0) logger.warn({ errors, dir }, 'functions: some files in functions.dir could not be deployed');
    return { loaded: result.summary.created + result.summary.updated + result.summary.unchanged, errors };
  }

  function forJobs(internalUrl: () => string): FunctionsForJobs {
    const firstMessage = (d: { message: string }[]) => d[0]?.message ?? 'unknown error';
    return {
      check: async (code) => {
        const r = await checkModule(code, { language: 'ts', tmpRoot });
        return r.ok ? { ok: true } : { ok: false, message: firstMessage(r.diagnostics) };
      },
      bundle: async (file) => {
        const r = await bundleEntry(file);
        return r.ok ? { ok: true, code: r.code } : { ok: false, message: firstMessage(r.diagnostics) };
      },
      loadFolder: (dir) => loadFunctionsFolder(dir),
      runFunction: async (namespace, name, payload) => {
        const out = await service.invoke({
          namespace, name, method: 'POST', originalUrl: `/api/v1/functions/${encodeURIComponent(name)}/invoke`,
          headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(payload ?? {})), principal: SYSTEM,
          isAdmin: async () => true, clientIp: '127.0.0.1', internalUrl: internalUrl(), trigger: 'cron',
        });
        const chunks: Buffer[] = [];
        if (out.stream) for await (const c of out.stream) chunks.push(c as Buffer);
        const body = out.stream ? Buffer.concat(chunks) : out.body;
        if (out.status >= 400) throw new Error(`the function answered ${out.status}: ${body.toString('utf8').slice(0, 500)}`);
        return { execution_id: out.executionId, status: out.status };
      },
      scheduledFunctions: () => db.pool.withConnection((sql) => scheduledFunctions(sql)),
      secretsOf: (namespace) => service.secretsOf(namespace),
    };
  }

  let cleanup: NodeJS.Timeout | undefined;
  return {
    service,
    runtime,
    forJobs,
    register(app) {
      if (!fn.enabled) return;
      const routeDeps = { service };
      registerFunctionsList(app, routeDeps);
      registerFunctionsGet(app, routeDeps);
      registerFunctionsCreate(app, routeDeps);
      registerFunctionsUpdate(app, routeDeps);
      registerFunctionsDelete(app, routeDeps);
      registerFunctionsExecutions(app, routeDeps);
      registerFunctionsVersionsList(app, routeDeps);
      registerFunctionsVersionsRestore(app, routeDeps);
      registerFunctionsSync(app, routeDeps);
      registerFunctionsReload(app, { ...routeDeps, reload: loadFolder });
      registerFunctionsInvoke(app, { ...routeDeps, cors: deps.cors, bodyLimits: deps.config.server.body_limits });
      for (const register of [registerSecretsList, registerSecretsCreate, registerSecretsGet, registerSecretsUpdate, registerSecretsDelete]) register(app, { secrets });
    },
    async start() {
      if (!fn.enabled) return;
      const { loaded, errors } = await loadFolder(SYSTEM).catch((err: unknown) => {
        logger.error({ err }, 'functions: could not deploy functions.dir');
        return { loaded: 0, errors: [] };
      });
      if (loaded > 0 || errors.length > 0) logger.info({ loaded, failed: errors.length, dir: path.resolve(fn.dir) }, 'functions: deployed functions.dir');
      cleanup = setInterval(() => {
        db.pool.withConnection((sql) => deleteOldExecutions(sql, EXECUTION_RETENTION_DAYS)).catch((err: unknown) => logger.warn({ err }, 'functions: execution log cleanup failed'));
        pruneCodeDir(codeDir, CODE_CACHE_MAX_AGE_MS).catch((err: unknown) => logger.warn({ err }, 'functions: code cache cleanup failed'));
      }, CLEANUP_INTERVAL_MS);
      cleanup.unref();
    },
    async stop() {
      if (cleanup) clearInterval(cleanup);
      await service.flush();
      await runtime.close();
    },
  };
}
