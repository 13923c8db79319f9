// The jobs product (API.md §11.2; docs/jobs.md): submit with its rules (who may, which
// function, when, on whose behalf), what a caller may see and do to a job (the creator; admins
// and the service role everything; another user's job is 404 as a missing one), and the job
// functions an admin deploys. SQL lives in the stores; the worker runs what is submitted.
import { AppError, errors, invalidField, type Principal } from '../http/index.ts';
import {
  deleteJobFunction, findJobFunction, JOB_FUNCTION_FIELDS, listJobFunctions, upsertJobFunction,
  type JobFunctionFields, type JobFunctionRow,
} from './function-store.ts';
import { MAX_SCHEDULE_DELAY_MS, PAST_TOLERANCE_MS, type DeployInput, type SubmitInput, type SyncInput, type UpdateInput } from './job-input.ts';
import { jobStats, listJobs, listWorkers, readLogs, userExists, type JobFilter, type JobLogRow } from './job-store.ts';
import { cancelJob, findJob, retryJob, submitJob, type JobKind, type JobRow, type Queryable } from './queue-store.ts';

export interface Caller {
  principal: Principal;
  /** Admin users, service keys and service-role tokens: every job, and the admin routes. */
  isAdmin: boolean;
}

export interface JobsServiceDeps {
  run<T>(fn: (sql: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction (a sync, a cron fire). */
  transaction<T>(fn: (sql: Queryable) => Promise<T>): Promise<T>;
  defaults: { maxRetries: number; timeoutSeconds: number };
  /** Type-checks a module before it is stored (the functions runtime's `deno check`); absent: no check. */
  check?: (code: string) => Promise<{ ok: true } | { ok: false; message: string }>;
  /** The active span's traceparent, stored with a submitted job (tracing on; docs/tracing.md); absent: none. */
  traceparent?: () => string | undefined;
  now?: () => number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Roles by rank for require_roles (upstream's hierarchy; an unknown role counts as authenticated). */
const RANK: Record<string, number> = { anon: 0, authenticated: 1, admin: 2, dashboard_admin: 3, service_role: 3 };

export class JobsService {
  private readonly now: () => number;

  constructor(private readonly deps: JobsServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async submit(caller: Caller, input: SubmitInput, kind: JobKind = 'job'): Promise<JobRow> {
    const p = caller.principal;
    if (p.kind === 'anonymous' || p.kind === 'anon_key' || p.role === 'anon') {
      throw new AppError('AUTHENTICATION_REQUIRED', { message: 'Submitting a job needs a signed-in user or the service role', hint: 'Send a user\'s access token or a service key' });
    }
    const fn = await this.deps.run((sql) => findJobFunction(sql, input.job_name, input.namespace));
    if (!fn) {
      throw new AppError('NOT_FOUND', {
        message: `Job function "${input.namespace ? `${input.namespace}/` : ''}${input.job_name}" not found`,
        hint: 'Deploy it with POST /api/v1/admin/jobs/functions, the CLI (fluxbase jobs deploy) or a file in jobs.dir',
        details: { resource: 'job_function', job_name: input.job_name, ...(input.namespace ? { namespace: input.namespace } : {}) },
      });
    }
    if (!fn.enabled) {
      throw new AppError('FUNCTION_DISABLED', { message: `Job function "${fn.namespace}/${fn.name}" is disabled`, hint: 'An admin can enable it with PUT /api/v1/admin/jobs/functions/:namespace/:name {"enabled": true}', details: { namespace: fn.namespace, name: fn.name } });
    }
    this.checkRoles(caller, fn);
    let createdBy = p.userId;
    let role: string = p.role;
    if (input.on_behalf_of) {
      if (p.role !== 'service_role') throw new AppError('INSUFFICIENT_PERMISSIONS', { message: 'on_behalf_of needs the service role (a service key or a service-role token)', details: { field: 'on_behalf_of' } });
      const userId = input.on_behalf_of.user_id;
      const asRole = input.on_behalf_of.user_role ?? 'authenticated';
      // The job acts as that user: never with more than a user's role.
      if (asRole === 'service_role' || asRole === 'anon') throw invalidField('on_behalf_of.user_role', 'must be a user\'s role (e.g. "authenticated"), not anon or service_role');
      if (!(await this.deps.run((sql) => userExists(sql, userId)))) throw errors.notFound('user', `User ${userId} (on_behalf_of.user_id) not found`);
      createdBy = userId;
      role = asRole;
    }
    const when = input.scheduled_at ?? input.scheduled;
    let scheduledAt: Date | undefined;
    if (when !== undefined) {
      scheduledAt = new Date(when);
      const field = input.scheduled_at !== undefined ? 'scheduled_at' : 'scheduled';
      if (scheduledAt.getTime() < this.now() - PAST_TOLERANCE_MS) throw invalidField(field, `is in the past (${when}); leave it out to run the job now`);
      if (scheduledAt.getTime() > this.now() + MAX_SCHEDULE_DELAY_MS) throw invalidField(field, 'is more than a year ahead');
    }
    // Taken here, not inside run(): there the active span is the statement's, not the request's.
    const traceparent = this.deps.traceparent?.();
    return this.deps.run((sql) => submitJob(sql, {
      namespace: fn.namespace, job_name: fn.name, kind, job_function_id: fn.id, payload: input.payload ?? {},
      priority: input.priority ?? 0, scheduled_at: scheduledAt,
      max_retries: input.max_retries ?? fn.max_retries, max_duration_seconds: input.timeout_seconds ?? fn.timeout_seconds,
      created_by: createdBy, user_role: role, traceparent,
    }));
  }

  async list(caller: Caller, f: Omit<JobFilter, 'createdBy'>): Promise<JobRow[]> {
    const createdBy = caller.isAdmin ? undefined : this.userOf(caller);
    return this.deps.run((sql) => listJobs(sql, { ...f, createdBy }));
  }

  /** The job, if the caller may see it (else 404, as for a missing one). */
  async get(caller: Caller, id: string): Promise<JobRow> {
    const user = caller.isAdmin ? undefined : this.userOf(caller);
    const row = UUID.test(id) ? await this.deps.run((sql) => findJob(sql, id)) : undefined;
    if (!row || (user !== undefined && row.created_by !== user)) throw errors.notFound('job', `Job ${id} not found`);
    return row;
  }

  async cancel(caller: Caller, id: string): Promise<JobRow> {
    const job = await this.get(caller, id);
    const row = await this.deps.run((sql) => cancelJob(sql, job.id));
    if (!row) throw wrongState(job, 'cancelled', 'pending, running or interrupted');
    return row;
  }

  async retry(caller: Caller, id: string): Promise<JobRow> {
    const job = await this.get(caller, id);
    const row = await this.deps.run((sql) => retryJob(sql, job.id));
    if (!row) throw wrongState(job, 'retried', 'failed, cancelled or interrupted');
    return row;
  }

  async logs(caller: Caller, id: string, afterLine: number, limit: number): Promise<JobLogRow[]> {
    const job = await this.get(caller, id);
    return this.deps.run((sql) => readLogs(sql, job.id, afterLine, limit));
  }

  // ---- admin ----

  workers() {
    return this.deps.run((sql) => listWorkers(sql));
  }

  stats() {
    return this.deps.run((sql) => jobStats(sql));
  }

  listFunctions(namespace?: string): Promise<JobFunctionRow[]> {
    return this.deps.run((sql) => listJobFunctions(sql, namespace));
  }

  async getFunction(namespace: string, name: string): Promise<JobFunctionRow> {
    const fn = await this.deps.run((sql) => findJobFunction(sql, name, namespace));
    if (!fn) throw errors.notFound('job_function', `Job function "${namespace}/${name}" not found`);
    return fn;
  }

  async deploy(caller: Caller, input: DeployInput, source: 'api' | 'filesystem' = 'api'): Promise<{ row: JobFunctionRow; created: boolean }> {
    const current = await this.deps.run((sql) => findJobFunction(sql, input.name, input.namespace ?? 'default'));
    // The same code was checked when it was stored: a settings change costs no second `deno check`.
    if (current?.code !== input.code) await this.checkCode(input.code);
    const fields = this.fieldsOf(input, undefined, source);
    return this.deps.run((sql) => upsertJobFunction(sql, input.namespace ?? 'default', input.name, fields, caller.principal.userId));
  }

  async update(caller: Caller, namespace: string, name: string, input: UpdateInput): Promise<JobFunctionRow> {
    const current = await this.getFunction(namespace, name);
    if (input.code !== undefined && input.code !== current.code) await this.checkCode(input.code);
    const fields = this.fieldsOf({ ...input, code: input.code ?? current.code }, current, current.source);
    return (await this.deps.run((sql) => upsertJobFunction(sql, namespace, name, fields, caller.principal.userId))).row;
  }

  async deleteFunction(namespace: string, name: string): Promise<void> {
    if (!(await this.deps.run((sql) => deleteJobFunction(sql, namespace, name)))) throw errors.notFound('job_function', `Job function "${namespace}/${name}" not found`);
  }

  /**
   * Makes a namespace hold exactly `jobs` (API.md §11.2 sync; the shape of functions sync): new
   * ones created, changed ones updated, and with delete_missing the others (of `source`, when
   * given) deleted, all in one transaction. Modules failing their check are reported, not stored.
   */
  async sync(caller: Caller, input: SyncInput, source: 'api' | 'filesystem' = 'api', deleteOnlySource?: 'filesystem') {
    const namespace = input.namespace ?? 'default';
    const dryRun = input.options?.dry_run ?? false;
    const errorsOut: { job: string; error: string }[] = [];
    const ready: { name: string; fields: JobFunctionFields }[] = [];
    const stored = new Map((await this.deps.run((sql) => listJobFunctions(sql, namespace))).map((f) => [f.name, f.code]));
    for (const j of input.jobs) {
      // Unchanged code was checked when it was stored.
      const checked = this.deps.check && stored.get(j.name) !== j.code ? await this.deps.check(j.code) : { ok: true as const };
      if (!checked.ok) {
        errorsOut.push({ job: j.name, error: checked.message });
        continue;
      }
      ready.push({ name: j.name, fields: this.fieldsOf(j, undefined, source) });
    }
    const summary = { created: 0, updated: 0, unchanged: 0, deleted: 0, errors: errorsOut.length };
    const details = { created: [] as string[], updated: [] as string[], unchanged: [] as string[], deleted: [] as string[] };
    await this.deps.transaction(async (sql) => {
      const existing = new Map((await listJobFunctions(sql, namespace)).map((f) => [f.name, f]));
      for (const { name, fields } of ready) {
        const cur = existing.get(name);
        const same = cur !== undefined && JOB_FUNCTION_FIELDS.every((k) => JSON.stringify(cur[k]) === JSON.stringify(fields[k]));
        const bucket = cur === undefined ? 'created' : same ? 'unchanged' : 'updated';
        details[bucket].push(name);
        summary[bucket]++;
        if (!dryRun && bucket !== 'unchanged') await upsertJobFunction(sql, namespace, name, fields, caller.principal.userId);
      }
      if (input.options?.delete_missing) {
        const keep = new Set(input.jobs.map((j) => j.name));
        for (const f of existing.values()) {
          if (keep.has(f.name) || (deleteOnlySource !== undefined && f.source !== deleteOnlySource)) continue;
          details.deleted.push(f.name);
          summary.deleted++;
          if (!dryRun) await deleteJobFunction(sql, namespace, f.name);
        }
      }
    });
    return { message: dryRun ? 'Dry run: nothing was changed' : 'Jobs synced', namespace, summary, details, errors: errorsOut, dry_run: dryRun };
  }

  private fieldsOf(input: Partial<UpdateInput> & { code: string }, current: JobFunctionRow | undefined, source: 'api' | 'filesystem'): JobFunctionFields {
    const given = input as Record<string, unknown>;
    const pick = <K extends keyof JobFunctionFields>(k: K, fallback: JobFunctionFields[K]): JobFunctionFields[K] =>
      given[k] !== undefined ? (given[k] as JobFunctionFields[K]) : current ? current[k] : fallback;
    return {
      code: input.code,
      description: pick('description', null),
      enabled: pick('enabled', true),
      schedule: pick('schedule', null),
      max_retries: pick('max_retries', this.deps.defaults.maxRetries),
      timeout_seconds: pick('timeout_seconds', this.deps.defaults.timeoutSeconds),
      progress_timeout_seconds: pick('progress_timeout_seconds', null),
      memory_limit_mb: pick('memory_limit_mb', 256),
      allow_net: pick('allow_net', true),
      allow_env: pick('allow_env', []),
      allow_read: pick('allow_read', false),
      allow_write: pick('allow_write', false),
      require_roles: pick('require_roles', null),
      source,
    };
  }

  private async checkCode(code: string): Promise<void> {
    const checked = this.deps.check ? await this.deps.check(code) : { ok: true as const };
    if (!checked.ok) throw new AppError('VALIDATION_FAILED', { message: `code does not compile: ${checked.message}`, details: { fields: { code: checked.message } } });
  }

  private checkRoles(caller: Caller, fn: JobFunctionRow): void {
    const required = fn.require_roles ?? [];
    if (required.length === 0 || caller.isAdmin) return;
    const role = caller.principal.role as string;
    const rank = RANK[role] ?? 1;
    const ok = required.some((r) => r === role || (RANK[r] ?? 1) <= rank);
    if (!ok) throw new AppError('INSUFFICIENT_PERMISSIONS', { message: `Job function "${fn.namespace}/${fn.name}" needs one of the roles ${required.join(', ')}`, details: { required_roles: required, user_role: role } });
  }

  private userOf(caller: Caller): string {
    const id = caller.principal.userId;
    if (id === null) throw new AppError('AUTHENTICATION_REQUIRED', { message: 'Jobs are listed for a signed-in user or the service role', hint: 'Send a user\'s access token or a service key' });
    return id;
  }
}

function wrongState(job: JobRow, verb: string, allowed: string): AppError {
  return new AppError('CONFLICT', {
    message: `Job ${job.id} is ${job.status}; only a ${allowed} job can be ${verb}`,
    details: { resource: 'job', id: job.id, status: job.status },
  });
}
