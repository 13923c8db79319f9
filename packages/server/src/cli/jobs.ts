// `fluxbase jobs deploy|sync|functions|delete|submit|list|get|cancel|retry|logs|stats`: background
// jobs of a RUNNING server, over its HTTP API (API.md §11.2; docs/jobs.md). Server and
// credential are found as for `fluxbase functions` (--url / FLUXBASE_URL, --key /
// FLUXBASE_SERVICE_KEY / FLUXBASE_SERVICE_ROLE_KEY, else from the configuration), so the
// commands see every user's jobs. Deploying from disk is jobs-deploy.ts; requests are
// jobs-client.ts. Failures are one line (context.ts `fail`).
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { CliError, fail } from './context.ts';
import { type ConnectionOptions, lazyTarget, oneLine, resolveTarget, show, type Target } from './functions-client.ts';
import { ADMIN_JOBS, apiCall, jobFunctionPath, jobPath, JOBS, query } from './jobs-client.ts';
import { deployJobs, type JobsDeployOptions } from './jobs-deploy.ts';
import { table } from './table.ts';

type Json = Record<string, unknown>;

const FINAL = new Set(['completed', 'failed', 'cancelled']);
const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'interrupted'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** --payload: an inline JSON object, or @file holding one. */
async function readPayload(value: string): Promise<Json> {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${value.slice(1)} for --payload: ${(err as Error).message}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--payload ${value.startsWith('@') ? `${value} ` : ''}is not valid JSON (${(err as Error).message}); quote it for the shell, e.g. --payload '{"user":42}', or use --payload @payload.json`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError('--payload must be a JSON object, e.g. --payload \'{"user":42}\'');
  return parsed as Json;
}

/** --at: an RFC 3339 time, or a delay from now such as 30s, 10m, 2h, 1d. */
function parseWhen(value: string): string {
  const delay = /^(\d+)(s|m|h|d)$/.exec(value);
  if (delay) return new Date(Date.now() + Number(delay[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[delay[2] as 's' | 'm' | 'h' | 'd']).toISOString();
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value) || !Number.isFinite(Date.parse(value))) {
    throw new InvalidArgumentError('--at takes an RFC 3339 time (2026-12-07T10:00:00Z) or a delay (30s, 10m, 2h, 1d)');
  }
  return new Date(value).toISOString();
}

const progressCell = (j: Json) => (j.progress_percent === null || j.progress_percent === undefined ? '-' : `${j.progress_percent}%`);

// ---- submit and follow -----------------------------------------------------------------

interface SubmitOptions { payload?: string; namespace?: string; priority?: number; at?: string; maxRetries?: number; timeout?: number; wait?: boolean; json?: boolean }

async function getJob(target: Target, id: string): Promise<Json> {
  return (await apiCall(target, 'GET', jobPath(id))).body as Json;
}

/** Polls the job until it ends. */
async function waitFor(target: Target, id: string): Promise<Json> {
  let interval = 200;
  for (;;) {
    const job = await getJob(target, id);
    if (FINAL.has(String(job.status))) return job;
    await sleep(interval);
    interval = Math.min(interval * 1.5, 2000);
  }
}

/** Without --wait prints the job's id; with it, waits and prints the result (status on stderr), failing unless it completed. */
async function submit(target: Target, name: string, opts: SubmitOptions): Promise<void> {
  const body: Json = { job_name: name };
  if (opts.payload !== undefined) body.payload = await readPayload(opts.payload);
  if (opts.namespace !== undefined) body.namespace = opts.namespace;
  if (opts.priority !== undefined) body.priority = opts.priority;
  if (opts.at !== undefined) body.scheduled_at = opts.at;
  if (opts.maxRetries !== undefined) body.max_retries = opts.maxRetries;
  if (opts.timeout !== undefined) body.timeout_seconds = opts.timeout;
  const job = (await apiCall(target, 'POST', `${JOBS}/submit`, body)).body as Json;
  if (!opts.wait) {
    if (opts.json) return console.log(JSON.stringify(job, null, 2));
    return console.log(`submitted job ${show(job.id)} (${show(job.namespace)}/${show(job.job_name)}, ${show(job.status)}${opts.at ? `, at ${opts.at}` : ''})`);
  }
  console.error(`submitted job ${show(job.id)}, waiting for it to finish`);
  const done = await waitFor(target, String(job.id));
  if (opts.json) console.log(JSON.stringify(done, null, 2));
  if (done.status !== 'completed') throw new CliError(`job ${show(done.id)} ${show(done.status)}${done.error_message ? `: ${oneLine(done.error_message)}` : ''}`);
  if (!opts.json) {
    console.error(`job ${show(done.id)} completed`);
    console.log(JSON.stringify(done.result ?? null, null, 2));
  }
}

async function list(target: Target, opts: { status?: string; name?: string; namespace?: string; limit?: number; offset?: number; json?: boolean }): Promise<void> {
  const q = query({ status: opts.status, job_name: opts.name, namespace: opts.namespace, limit: opts.limit, offset: opts.offset });
  const page = (await apiCall(target, 'GET', `${JOBS}${q}`)).body as { jobs: Json[] };
  if (opts.json) return console.log(JSON.stringify(page, null, 2));
  if (page.jobs.length === 0) return console.log('no jobs (submit one with: fluxbase jobs submit <name>)');
  console.log(table(
    ['id', 'job', 'status', 'progress', 'retries', 'created at', 'completed at', 'error'],
    page.jobs.map((j) => [show(j.id), `${show(j.namespace)}/${show(j.job_name)}`, show(j.status), progressCell(j), `${show(j.retry_count)}/${show(j.max_retries)}`,
      show(j.created_at), show(j.completed_at), j.error_message ? oneLine(j.error_message) : '']),
  ));
}

async function get(target: Target, id: string, opts: { json?: boolean }): Promise<void> {
  const j = await getJob(target, id);
  if (opts.json) return console.log(JSON.stringify(j, null, 2));
  const json = (v: unknown) => (v === null || v === undefined ? '-' : JSON.stringify(v));
  const rows: [string, string][] = [
    ['id', show(j.id)], ['job', `${show(j.namespace)}/${show(j.job_name)}`], ['status', show(j.status)],
    ['progress', `${progressCell(j)}${j.progress_message ? ` ${oneLine(j.progress_message)}` : ''}`],
    ['priority', show(j.priority)], ['retries', `${show(j.retry_count)}/${show(j.max_retries)}`], ['created by', show(j.created_by)],
    ['created at', show(j.created_at)], ['scheduled at', show(j.scheduled_at)], ['started at', show(j.started_at)], ['completed at', show(j.completed_at)],
    ['payload', json(j.payload)], ['result', json(j.result)], ['error', j.error_message ? oneLine(j.error_message) : '-'],
  ];
  console.log(table(['field', 'value'], rows));
}

async function cancel(target: Target, id: string): Promise<void> {
  const j = (await apiCall(target, 'POST', `${jobPath(id)}/cancel`)).body as Json;
  console.log(`cancelled job ${show(j.id)} (${show(j.namespace)}/${show(j.job_name)})`);
}

async function retry(target: Target, id: string): Promise<void> {
  const j = (await apiCall(target, 'POST', `${jobPath(id)}/retry`)).body as Json;
  console.log(`requeued job ${show(j.id)} (${show(j.namespace)}/${show(j.job_name)}, retry ${show(j.retry_count)})`);
}

/** Log lines as `<time> <level> <message>`; --follow polls until the job has ended and every line is shown. */
async function logs(target: Target, id: string, opts: { after?: number; follow?: boolean; json?: boolean }): Promise<void> {
  let after = opts.after ?? 0;
  let printed = 0;
  for (;;) {
    // Read the status first: lines written before it ended are all there once it has.
    const ended = opts.follow ? FINAL.has(String((await getJob(target, id)).status)) : true;
    const res = (await apiCall(target, 'GET', `${jobPath(id)}/logs${query({ after_line: after || undefined })}`)).body as { logs: Json[] };
    if (opts.json) {
      for (const l of res.logs) console.log(JSON.stringify(l));
    } else {
      for (const l of res.logs) console.log(`${show(l.timestamp)}  ${show(l.level).padEnd(5)}  ${show(l.message)}`);
    }
    printed += res.logs.length;
    after = Number(res.logs.at(-1)?.line_number ?? after);
    if (ended && res.logs.length < 1000) break;
    if (res.logs.length === 0) await sleep(500);
  }
  if (printed === 0 && !opts.json) console.error(`no log lines for job ${id}${opts.after ? ` after line ${opts.after}` : ''}`);
}

// ---- job functions and stats ------------------------------------------------------------

async function functions(target: Target, opts: { namespace?: string; json?: boolean }): Promise<void> {
  const fns = (await apiCall(target, 'GET', `${ADMIN_JOBS}/functions${query({ namespace: opts.namespace })}`)).body as Json[];
  if (opts.json) return console.log(JSON.stringify(fns, null, 2));
  if (fns.length === 0) return console.log(`no job functions${opts.namespace ? ` in namespace ${opts.namespace}` : ''} (deploy some with: fluxbase jobs deploy ./jobs)`);
  console.log(table(
    ['name', 'namespace', 'version', 'enabled', 'schedule', 'max retries', 'timeout', 'source', 'updated at'],
    fns.map((f) => [f.name, f.namespace, f.version, f.enabled, f.schedule, f.max_retries, f.timeout_seconds, f.source, f.updated_at].map(show)),
  ));
}

async function remove(target: Target, name: string, opts: { namespace?: string }): Promise<void> {
  const ns = opts.namespace ?? 'default';
  await apiCall(target, 'DELETE', jobFunctionPath(ns, name));
  console.log(`deleted job function ${name} (namespace ${ns})`);
}

async function stats(target: Target, opts: { json?: boolean }): Promise<void> {
  const s = (await apiCall(target, 'GET', `${ADMIN_JOBS}/stats`)).body as Json;
  if (opts.json) return console.log(JSON.stringify(s, null, 2));
  console.log(table(['status', 'jobs'], STATUSES.map((st) => [st, show(s[`${st}_jobs`] ?? 0)]).concat([['total', show(s.total_jobs)]])));
  const avg = s.avg_duration_seconds;
  console.log(`average run time (completed, last day): ${typeof avg === 'number' ? `${avg.toFixed(2)} s` : '-'}`);
}

// ---- registration -----------------------------------------------------------------------

function wholeNumber(option: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`${option} takes a whole number from ${min} to ${max}`);
    return n;
  };
}

function status(value: string): string {
  if (!STATUSES.includes(value)) throw new InvalidArgumentError(`--status takes one of ${STATUSES.join(', ')}`);
  return value;
}

export function registerJobsCommand(program: Command): void {
  const group = program
    .command('jobs')
    .description('deploy job functions, submit jobs and follow them on a running server')
    .option('--url <url>', 'server URL (default: FLUXBASE_URL, else the configured server.public_url)')
    .option('--key <key>', 'service-role key or admin token (default: FLUXBASE_SERVICE_KEY, FLUXBASE_SERVICE_ROLE_KEY, else minted from auth.jwt_secret)');

  // Each action gets its options merged with the group's (--url, --key) and the program's (--config).
  const action = <A extends unknown[]>(fn: (target: Target, opts: Json, ...args: A) => Promise<void>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals<Json & ConnectionOptions>();
      try {
        await fn(lazyTarget(() => resolveTarget(program, opts)), opts, ...(args.slice(0, -2) as A));
      } catch (err) {
        fail(err);
      }
    };
  const namespace = '--namespace <ns>';
  const deployFlags = (cmd: Command) => cmd
    .option(namespace, 'namespace for every job function (default: each file\'s @fluxbase:namespace, else "default")')
    .option('--delete-missing', 'delete the namespace\'s job functions that are not in the folder')
    .option('--dry-run', 'show what would change without changing anything');

  deployFlags(group.command('deploy')
    .description('deploy a jobs folder (one sync: <name>.ts and <name>/index.ts, with // @fluxbase: annotations) or one job function')
    .argument('[path]', 'jobs folder, or one job function: a .ts/.js file or a folder with an index.ts', 'jobs'))
    .action(action((target, opts, source: string) => deployJobs(target, source, opts as JobsDeployOptions)));

  // Upstream's name for deploying the jobs folder.
  deployFlags(group.command('sync')
    .description('deploy a jobs folder (the same as deploy)')
    .argument('[dir]', 'jobs folder', 'jobs'))
    .action(action((target, opts, dir: string) => deployJobs(target, dir, opts as JobsDeployOptions)));

  group.command('functions')
    .description('list deployed job functions')
    .option(namespace, 'only this namespace')
    .option('--json', 'print JSON')
    .action(action((target, opts) => functions(target, opts)));

  group.command('delete')
    .description('delete a job function')
    .argument('<name>', 'job function name')
    .option(namespace, 'its namespace (default: "default")')
    .action(action((target, opts, name: string) => remove(target, name, opts)));

  group.command('submit')
    .description('queue a job; prints its id (--wait: waits and prints its result)')
    .argument('<name>', 'job function name')
    .option('--payload <json|@file>', 'JSON object for the job, inline or from a file (@payload.json)')
    .option(namespace, 'the job function\'s namespace (default: the first of that name)')
    .option('--priority <n>', 'higher runs first (0-1000)', wholeNumber('--priority', 0, 1000))
    .option('--at <time>', 'run no earlier than this: RFC 3339, or a delay such as 10m', parseWhen)
    .option('--max-retries <n>', 'retries after a failure (default: the function\'s)', wholeNumber('--max-retries', 0, 100))
    .option('--timeout <seconds>', 'seconds per attempt (default: the function\'s)', wholeNumber('--timeout', 1, 7 * 24 * 3600))
    .option('--wait', 'wait for the job to finish; fails unless it completed')
    .option('--json', 'print the job as JSON')
    .action(action((target, opts, name: string) => submit(target, name, opts as SubmitOptions)));

  group.command('list')
    .description('list jobs, newest first')
    .option('--status <status>', `only this status (${STATUSES.join(', ')})`, status)
    .option('--name <name>', 'only this job function')
    .option(namespace, 'only this namespace')
    .option('--limit <n>', 'how many (1-1000)', wholeNumber('--limit', 1, 1000), 50)
    .option('--offset <n>', 'skip this many', wholeNumber('--offset', 0, 1_000_000))
    .option('--json', 'print JSON')
    .action(action((target, opts) => list(target, opts)));

  group.command('get')
    .description('show a job: status, progress, payload, result and error')
    .argument('<id>', 'job id')
    .option('--json', 'print JSON')
    .action(action((target, opts, id: string) => get(target, id, opts)));

  group.command('cancel')
    .description('cancel a pending or running job')
    .argument('<id>', 'job id')
    .action(action((target, _opts, id: string) => cancel(target, id)));

  group.command('retry')
    .description('run a failed or cancelled job again')
    .argument('<id>', 'job id')
    .action(action((target, _opts, id: string) => retry(target, id)));

  group.command('logs')
    .description('log lines of a job (stdout as info, stderr as error)')
    .argument('<id>', 'job id')
    .option('--after <line>', 'only lines after this line number', wholeNumber('--after', 0, 1_000_000_000))
    .option('-f, --follow', 'keep printing new lines until the job has ended')
    .option('--json', 'print one JSON object per line')
    .action(action((target, opts, id: string) => logs(target, id, opts)));

  group.command('stats')
    .description('jobs by status and the average run time')
    .option('--json', 'print JSON')
    .action(action((target, opts) => stats(target, opts)));
}
