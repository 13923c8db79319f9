// `fluxbase jobs deploy|sync`: job functions from disk to a running server (API.md §11.2;
// docs/jobs.md). A jobs folder has the layout and `// @fluxbase:` annotations of a functions
// folder (the server reads jobs.dir the same way); deploying it is one sync request per
// namespace, deploying one file a create-or-replace. Entries importing local files are
// bundled here, since the server cannot see them. Edge-function-only annotations (CORS,
// rate limits, allow_unauthenticated) are reported and left out.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { bundleEntry, loadFunctionFile, loadFunctionsFolder, type FolderFunction } from '../functions/index.ts';
import { CliError } from './context.ts';
import { oneLine, show, type Target } from './functions-client.ts';
import { ADMIN_JOBS, apiCall } from './jobs-client.ts';
import { table } from './table.ts';

type Json = Record<string, unknown>;
type Problem = { file: string; error: string };

export interface JobsDeployOptions {
  namespace?: string;
  deleteMissing?: boolean;
  dryRun?: boolean;
}

/** The annotations a job function takes, by the name the job routes use. */
const JOB_FIELDS = ['description', 'enabled', 'timeout_seconds', 'memory_limit_mb', 'allow_net', 'allow_read', 'allow_write', 'max_retries', 'progress_timeout_seconds', 'require_roles'] as const;
const EDGE_ONLY = ['allow_net_hosts', 'allow_unauthenticated', 'cors_origins', 'cors_methods', 'cors_headers', 'cors_credentials', 'cors_max_age', 'rate_limit_per_minute', 'rate_limit_per_hour', 'rate_limit_per_day'] as const;

const shownPath = (file: string) => path.relative(process.cwd(), file) || file;

/** A job function's fields from its annotations, and warnings for those that do not apply to jobs. */
export function jobFields(fn: FolderFunction): { fields: Json; warnings: Problem[] } {
  const a = fn.fields as Json;
  const fields: Json = {};
  const warnings: Problem[] = [];
  for (const k of JOB_FIELDS) if (a[k] !== undefined) fields[k] = a[k];
  if (a.cron_schedule !== undefined) fields.schedule = a.cron_schedule;
  if (Array.isArray(a.allow_env)) fields.allow_env = a.allow_env;
  else if (a.allow_env === true) warnings.push({ file: fn.file, error: '@fluxbase:allow_env without variable names has no effect on a job function; list the names (allow_env API_TOKEN,OTHER)' });
  for (const k of EDGE_ONLY) if (a[k] !== undefined) warnings.push({ file: fn.file, error: `@fluxbase:${k} applies to edge functions only; ignored for a job function` });
  return { fields, warnings };
}

function problemsError(problems: Problem[]): CliError {
  const lines = problems.map((p) => `${shownPath(p.file)}: ${p.error}`);
  if (lines.length === 1) return new CliError(`${lines[0]} (nothing deployed)`);
  return new CliError(`${lines.length} problems, nothing deployed:\n  ${lines.join('\n  ')}`);
}

function printWarnings(warnings: Problem[]): void {
  for (const w of warnings) console.error(`fluxbase: warning: ${shownPath(w.file)}: ${w.error}`);
}

/** The job's code as the server must get it: bundled when the entry imports local files. */
async function codeOf(fn: FolderFunction): Promise<{ code: string; bundled: boolean } | { problem: Problem }> {
  if (!fn.hasLocalImports) return { code: fn.code, bundled: false };
  const bundled = await bundleEntry(fn.file);
  if (bundled.ok) return { code: bundled.code, bundled: true };
  const first = bundled.diagnostics[0]?.message ?? 'unknown error';
  const more = bundled.diagnostics.length > 1 ? ` (and ${bundled.diagnostics.length - 1} more)` : '';
  return { problem: { file: fn.file, error: `cannot bundle its local imports: ${first}${more}` } };
}

/** Sync bodies for every function, or one error listing every function that cannot be sent. */
async function syncBodies(fns: FolderFunction[]): Promise<Json[]> {
  const out = await Promise.all(fns.map(async (fn) => {
    const { fields, warnings } = jobFields(fn);
    printWarnings(warnings);
    const code = await codeOf(fn);
    if ('problem' in code) return code;
    return { body: { name: fn.name, code: code.code, ...fields, ...(code.bundled ? { is_bundled: true, original_code: fn.code } : {}) } };
  }));
  const problems = out.flatMap((r) => ('problem' in r ? [r.problem] : []));
  if (problems.length > 0) throw problemsError(problems);
  return out.flatMap((r) => ('body' in r ? [r.body as Json] : []));
}

interface SyncResult {
  summary?: { created?: number; updated?: number; deleted?: number; unchanged?: number; errors?: number };
  details?: { created?: string[]; updated?: string[]; deleted?: string[]; unchanged?: string[] };
  errors?: { job?: string; error?: string }[];
  dry_run?: boolean;
}

/** Prints a sync answer; returns the number of per-job errors. */
function printSync(namespace: string, result: SyncResult): number {
  const s = result.summary ?? {};
  const prefix = result.dry_run ? 'dry run, nothing changed: would sync' : 'synced';
  console.log(`${prefix} namespace ${namespace}: ${s.created ?? 0} created, ${s.updated ?? 0} updated, ${s.deleted ?? 0} deleted, ${s.unchanged ?? 0} unchanged, ${s.errors ?? 0} errors`);
  const d = result.details ?? {};
  const rows = (['created', 'updated', 'deleted', 'unchanged'] as const).flatMap((action) => (d[action] ?? []).map((name) => [name, action]));
  if (rows.length > 0) console.log(table(['job', 'action'], rows.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))));
  const errors = result.errors ?? [];
  if (errors.length > 0) console.error(table(['job', 'error'], errors.map((e) => [show(e.job), oneLine(e.error ?? '')])));
  return errors.length;
}

async function syncNamespace(target: Target, namespace: string, jobs: Json[], opts: JobsDeployOptions): Promise<number> {
  const body = { namespace, jobs, options: { delete_missing: opts.deleteMissing ?? false, dry_run: opts.dryRun ?? false } };
  return printSync(namespace, (await apiCall(target, 'POST', `${ADMIN_JOBS}/sync`, body)).body as SyncResult);
}

/** One sync per namespace (--namespace for all, else each file's annotation, else "default"). */
export async function deployJobsFolder(target: Target, dir: string, opts: JobsDeployOptions): Promise<void> {
  const loaded = await loadFunctionsFolder(dir);
  printWarnings(loaded.warnings);
  if (loaded.errors.length > 0) throw problemsError(loaded.errors);
  if (loaded.functions.length === 0) {
    throw new CliError(`no job functions in ${shownPath(dir)}: put each in <name>.ts or <name>/index.ts (names: lowercase letters, digits, - and _)`);
  }
  const bodies = await syncBodies(loaded.functions);
  const groups = new Map<string, Json[]>();
  loaded.functions.forEach((fn, i) => {
    const ns = opts.namespace ?? fn.namespace ?? 'default';
    groups.set(ns, [...(groups.get(ns) ?? []), bodies[i]!]);
  });
  let errors = 0;
  for (const ns of [...groups.keys()].sort()) errors += await syncNamespace(target, ns, groups.get(ns)!, opts);
  if (errors > 0) throw new CliError(`${errors} job function${errors === 1 ? '' : 's'} failed to sync (listed above)`);
}

async function deployJobFile(target: Target, file: string, opts: JobsDeployOptions): Promise<void> {
  if (!['.ts', '.js'].includes(path.extname(file))) throw new CliError(`${shownPath(file)} is not a .ts or .js file; give a job file or a jobs folder`);
  if (opts.deleteMissing) throw new CliError('--delete-missing needs a jobs folder, not one file');
  const loaded = await loadFunctionFile(file);
  printWarnings(loaded.warnings);
  if (!loaded.fn) throw problemsError(loaded.errors);
  const fn = loaded.fn;
  const ns = opts.namespace ?? fn.namespace ?? 'default';
  const [body] = await syncBodies([fn]);
  if (opts.dryRun) {
    if ((await syncNamespace(target, ns, [body!], opts)) > 0) throw new CliError(`${fn.name} would fail to deploy (listed above)`);
    return;
  }
  // A deploy takes the fields of a sync entry but not its bundling marks.
  const { is_bundled: _b, original_code: _o, ...deploy } = body!;
  const res = await apiCall(target, 'POST', `${ADMIN_JOBS}/functions`, { ...deploy, namespace: ns });
  const saved = res.body as Json;
  console.log(`${res.status === 201 ? 'created' : 'updated'} job function ${fn.name} (namespace ${show(saved?.namespace ?? ns)}, version ${show(saved?.version)})`);
}

/** A folder with an index.ts/index.js is one job's folder, any other folder a jobs folder, a file one job. */
export async function deployJobs(target: Target, source: string, opts: JobsDeployOptions): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch {
    throw new CliError(`${source} does not exist: give your jobs folder (e.g. fluxbase jobs deploy ./jobs) or one job file`);
  }
  if (!isDir) return deployJobFile(target, source, opts);
  for (const entry of ['index.ts', 'index.js']) {
    if (await stat(path.join(source, entry)).then((s) => s.isFile(), () => false)) return deployJobFile(target, path.join(source, entry), opts);
  }
  return deployJobsFolder(target, source, opts);
}
