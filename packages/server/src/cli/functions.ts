// `fluxbase functions deploy|list|delete|invoke|logs`: edge functions of a RUNNING server,
// over its HTTP API (API.md §11.1; docs/functions.md). The server is --url (or
// FLUXBASE_URL, else the configured server.public_url / port, as `fluxbase keys` prints);
// the credential is --key (or FLUXBASE_SERVICE_KEY, or FLUXBASE_SERVICE_ROLE_KEY as
// `fluxbase keys --env` exports it, else a service-role key minted from the configured
// auth.jwt_secret). Deploying a folder is one sync request per namespace; deploying one
// file is a create, or an update when it exists. Failures are one line (context.ts `fail`).
// Talking to the server (target, requests, error lines) is functions-client.ts.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { bundleEntry, loadFunctionFile, loadFunctionsFolder, type FolderFunction } from '../functions/index.ts';
import { CliError, fail } from './context.ts';
import {
  ApiError, apiRequest, type ConnectionOptions, describeApiError, fnPath, lazyTarget, nsQuery, oneLine, type RawResponse, resolveTarget, send, show, type Target,
} from './functions-client.ts';
import { table } from './table.ts';

type Json = Record<string, unknown>;
/** A problem with one file of a functions folder (functions/source). */
type FolderProblem = { file: string; error: string };

const shownPath = (file: string) => path.relative(process.cwd(), file) || file;

// ---- deploy -------------------------------------------------------------------------

export interface DeployOptions {
  namespace?: string;
  deleteMissing?: boolean;
  dryRun?: boolean;
}

/** Problems of a folder or file as one error: one line for one problem, else a list. */
function problemsError(problems: FolderProblem[]): CliError {
  const lines = problems.map((p) => `${shownPath(p.file)}: ${p.error}`);
  if (lines.length === 1) return new CliError(`${lines[0]} (nothing deployed)`);
  return new CliError(`${lines.length} problems, nothing deployed:\n  ${lines.join('\n  ')}`);
}

function printWarnings(warnings: FolderProblem[]): void {
  for (const w of warnings) console.error(`fluxbase: warning: ${shownPath(w.file)}: ${w.error}`);
}

/**
 * The Deploy body of a function. The server cannot see local files, so a function whose
 * entry imports relative paths is bundled here (local files inlined; remote, npm: and jsr:
 * imports left to Deno) and sent with `is_bundled: true`. Bundling drops comments, so the
 * annotations travel as explicit fields, which the body always carries anyway.
 */
async function deployBody(fn: FolderFunction): Promise<{ body: Json } | { problem: FolderProblem }> {
  const { namespace: _ignored, max_retries: _r, progress_timeout_seconds: _p, require_roles: _q, ...fields } = fn.fields;
  if (!fn.hasLocalImports) return { body: { name: fn.name, code: fn.code, ...fields, is_bundled: false } };
  const bundled = await bundleEntry(fn.file);
  if (!bundled.ok) {
    const first = bundled.diagnostics[0]?.message ?? 'unknown error';
    const more = bundled.diagnostics.length > 1 ? ` (and ${bundled.diagnostics.length - 1} more)` : '';
    return { problem: { file: fn.file, error: `cannot bundle its local imports: ${first}${more}` } };
  }
  return { body: { name: fn.name, code: bundled.code, ...fields, is_bundled: true } };
}

/** Every body, or one error listing every function that cannot be sent (nothing is sent then). */
async function deployBodies(fns: FolderFunction[]): Promise<Json[]> {
  const out = await Promise.all(fns.map(deployBody));
  const problems = out.flatMap((r) => ('problem' in r ? [r.problem] : []));
  if (problems.length > 0) throw problemsError(problems);
  return out.flatMap((r) => ('body' in r ? [r.body] : []));
}

interface SyncResult {
  namespace?: string;
  summary?: { created?: number; updated?: number; deleted?: number; unchanged?: number; errors?: number };
  /** This server: [{function, action}]; upstream: {created: [names], updated, deleted, unchanged}. */
  details?: { function?: string; name?: string; action?: string }[] | { created?: string[]; updated?: string[]; deleted?: string[]; unchanged?: string[] };
  errors?: { function?: string; name?: string; error?: string; action?: string }[];
  dry_run?: boolean;
}

/** Prints a sync answer; returns the number of per-function errors. */
function printSync(namespace: string, result: SyncResult): number {
  const s = result.summary ?? {};
  const prefix = result.dry_run ? 'dry run, nothing changed: would sync' : 'synced';
  console.log(`${prefix} namespace ${namespace}: ${s.created ?? 0} created, ${s.updated ?? 0} updated, ${s.deleted ?? 0} deleted, ${s.unchanged ?? 0} unchanged, ${s.errors ?? 0} errors`);
  const d = result.details ?? [];
  const rows = Array.isArray(d)
    ? d.map((e) => [show(e.function ?? e.name), show(e.action)])
    : (['created', 'updated', 'deleted', 'unchanged'] as const).flatMap((action) => (d[action] ?? []).map((name) => [name, action]));
  if (rows.length > 0) console.log(table(['function', 'action'], rows.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))));
  const errors = result.errors ?? [];
  if (errors.length > 0) console.error(table(['function', 'action', 'error'], errors.map((e) => [show(e.function ?? e.name), show(e.action), oneLine(e.error ?? '')])));
  return errors.length;
}

async function syncNamespace(target: Target, namespace: string, functions: Json[], opts: DeployOptions): Promise<number> {
  const body = {
    namespace,
    functions,
    options: { delete_missing: opts.deleteMissing ?? false, dry_run: opts.dryRun ?? false },
  };
  return printSync(namespace, (await apiRequest(target, 'POST', '/api/v1/admin/functions/sync', body)) as SyncResult);
}

/**
 * A folder: one sync per namespace (--namespace for all, else each function's annotation,
 * else "default"). An empty folder is refused: with --delete-missing it would delete every
 * function of the namespace.
 */
async function deployFolder(target: Target, dir: string, opts: DeployOptions): Promise<void> {
  const loaded = await loadFunctionsFolder(dir);
  printWarnings(loaded.warnings);
  if (loaded.errors.length > 0) throw problemsError(loaded.errors);
  if (loaded.functions.length === 0) {
    throw new CliError(`no functions in ${shownPath(dir)}: put each in <name>.ts or <name>/index.ts (names: lowercase letters, digits, - and _)`);
  }
  const bodies = await deployBodies(loaded.functions);
  const groups = new Map<string, Json[]>();
  loaded.functions.forEach((fn, i) => {
    const ns = opts.namespace ?? fn.namespace ?? 'default';
    groups.set(ns, [...(groups.get(ns) ?? []), bodies[i]!]);
  });
  let errors = 0;
  for (const ns of [...groups.keys()].sort()) errors += await syncNamespace(target, ns, groups.get(ns)!, opts);
  if (errors > 0) throw new CliError(`${errors} function${errors === 1 ? '' : 's'} failed to sync (listed above)`);
}

async function deployFile(target: Target, file: string, opts: DeployOptions): Promise<void> {
  if (!['.ts', '.js'].includes(path.extname(file))) throw new CliError(`${shownPath(file)} is not a .ts or .js file; give a function file or a functions folder`);
  if (opts.deleteMissing) throw new CliError('--delete-missing needs a functions folder, not one file');
  const loaded = await loadFunctionFile(file);
  printWarnings(loaded.warnings);
  if (!loaded.fn) throw problemsError(loaded.errors);
  const fn = loaded.fn;
  const ns = opts.namespace ?? fn.namespace;
  const deployed = (await deployBodies([fn]))[0]!;
  if (opts.dryRun) {
    const errors = await syncNamespace(target, ns ?? 'default', [deployed], opts);
    if (errors > 0) throw new CliError(`${fn.name} would fail to deploy (listed above)`);
    return;
  }
  const body: Json = { ...deployed, ...(ns !== undefined ? { namespace: ns } : {}) };
  let created = true;
  let saved: Json;
  try {
    saved = (await apiRequest(target, 'POST', '/api/v1/functions', body)) as Json;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409 && err.code === 'ALREADY_EXISTS')) throw err;
    created = false;
    // An update names its function in the path (and namespace in the query), not the body.
    const { name: _name, namespace: _namespace, ...update } = body;
    saved = (await apiRequest(target, 'PUT', `${fnPath(fn.name)}${nsQuery(ns)}`, update)) as Json;
  }
  console.log(`${created ? 'created' : 'updated'} function ${fn.name} (namespace ${show(saved?.namespace ?? ns ?? 'default')}, version ${show(saved?.version)})`);
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

/**
 * A folder with an index.ts/index.js is one function's folder (deployed as that function),
 * any other folder a functions folder, a file one function.
 */
export async function deploy(target: Target, source: string, opts: DeployOptions): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch {
    throw new CliError(`${source} does not exist: give your functions folder (e.g. fluxbase functions deploy ./functions) or one function file`);
  }
  if (!isDir) return deployFile(target, source, opts);
  for (const entry of ['index.ts', 'index.js']) {
    if (await isFile(path.join(source, entry))) return deployFile(target, path.join(source, entry), opts);
  }
  return deployFolder(target, source, opts);
}

// ---- invoke -------------------------------------------------------------------------

/** --data: inline JSON, or @file holding JSON. */
export async function readData(data: string): Promise<string> {
  let text = data;
  let from = '--data';
  if (data.startsWith('@')) {
    const file = data.slice(1);
    from = `--data ${data}`;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${file} for --data: ${(err as Error).message}`);
    }
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CliError(`${from} is not valid JSON (${(err as Error).message}); quote it for the shell, e.g. --data '{"name":"Ada"}', or use --data @body.json`);
  }
  return text;
}

function collectHeader(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new InvalidArgumentError(`--header takes "Name: value" (got "${value}")`);
  return { ...previous, [name]: value.slice(colon + 1).trim() };
}

interface InvokeOptions {
  data?: string;
  method: string;
  header?: Record<string, string>;
  namespace?: string;
}

/** Prints the function's response on stdout, status and execution id on stderr. */
async function invoke(target: Target, name: string, opts: InvokeOptions): Promise<void> {
  const method = opts.method.toUpperCase();
  const body = opts.data === undefined ? undefined : await readData(opts.data);
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw new CliError(`a ${method} request carries no body: drop --data or use --method POST`);
  const headers: Record<string, string> = { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.header };
  const res = await send(target, method, `${fnPath(name)}/invoke${nsQuery(opts.namespace)}`, { headers, body });
  const ok = res.status >= 200 && res.status <= 299;
  const execution = res.headers.get('x-fluxbase-execution-id');
  const envelope = ok ? undefined : fluxbaseError(res);
  if (envelope !== undefined) throw new ApiError(res.status, String(envelope.code), describeApiError(res.status, envelope));
  console.error(`HTTP ${res.status}${execution ? `, execution ${execution}` : ''}`);
  process.stdout.write(res.body);
  if (!ok) process.exitCode = 1; // the function's own error answer: shown as is
}

/** The server's error envelope (not a body the function wrote itself), if that is what came back. */
function fluxbaseError(res: RawResponse): Json | undefined {
  if (!(res.headers.get('content-type') ?? '').includes('application/json')) return undefined;
  try {
    const b = JSON.parse(res.body.toString('utf8')) as Json;
    return typeof b.code === 'string' && typeof b.error === 'string' && typeof b.request_id === 'string' ? b : undefined;
  } catch {
    return undefined;
  }
}

// ---- list, delete, logs -------------------------------------------------------------

async function list(target: Target, opts: { namespace?: string; json?: boolean }): Promise<void> {
  const fns = (await apiRequest(target, 'GET', `/api/v1/functions${nsQuery(opts.namespace)}`)) as Json[];
  if (opts.json) return console.log(JSON.stringify(fns, null, 2));
  if (fns.length === 0) return console.log(`no functions${opts.namespace ? ` in namespace ${opts.namespace}` : ''} (deploy some with: fluxbase functions deploy ./functions)`);
  console.log(table(
    ['name', 'namespace', 'version', 'enabled', 'unauthenticated', 'cron', 'source', 'updated at'],
    fns.map((f) => [f.name, f.namespace, f.version, f.enabled, f.allow_unauthenticated, f.cron_schedule, f.source, f.updated_at].map(show)),
  ));
}

async function remove(target: Target, name: string, opts: { namespace?: string }): Promise<void> {
  await apiRequest(target, 'DELETE', `${fnPath(name)}${nsQuery(opts.namespace)}`);
  console.log(`deleted function ${name} (namespace ${opts.namespace ?? 'default'})`);
}

async function logs(target: Target, name: string, opts: { limit: number; json?: boolean }): Promise<void> {
  const rows = (await apiRequest(target, 'GET', `${fnPath(name)}/executions?limit=${opts.limit}`)) as Json[];
  if (opts.json) return console.log(JSON.stringify(rows, null, 2));
  if (rows.length === 0) return console.log(`no executions of ${name} yet`);
  console.log(table(
    ['time', 'status', 'status_code', 'duration_ms', 'error'],
    rows.map((r) => [show(r.started_at), show(r.status), show(r.status_code), show(r.duration_ms), r.error_message === null || r.error_message === undefined ? '' : oneLine(r.error_message)]),
  ));
}

// ---- registration -------------------------------------------------------------------

function wholeNumber(option: string, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) throw new InvalidArgumentError(`${option} takes a whole number from 1 to ${max}`);
    return n;
  };
}

export function registerFunctionsCommand(program: Command): void {
  const group = program
    .command('functions')
    .description('deploy, list, invoke and inspect edge functions of a running server')
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

  group.command('deploy')
    .description('deploy a functions folder (one sync: <name>.ts and <name>/index.ts, with // @fluxbase: annotations) or one function')
    .argument('<path>', 'functions folder, or one function: a .ts/.js file or a folder with an index.ts')
    .option(namespace, 'namespace for every function (default: each file\'s @fluxbase:namespace, else "default")')
    .option('--delete-missing', 'delete the namespace\'s functions that are not in the folder')
    .option('--dry-run', 'show what would change without changing anything')
    .action(action((target, opts, source: string) => deploy(target, source, opts as DeployOptions)));

  group.command('list')
    .description('list deployed functions')
    .option(namespace, 'only this namespace')
    .option('--json', 'print JSON')
    .action(action((target, opts) => list(target, opts)));

  group.command('delete')
    .description('delete a function')
    .argument('<name>', 'function name')
    .option(namespace, 'its namespace (default: "default")')
    .action(action((target, opts, name: string) => remove(target, name, opts)));

  group.command('invoke')
    .description('call a function; prints its response body (status and execution id on stderr)')
    .argument('<name>', 'function name')
    .option('--data <json|@file>', 'JSON request body, inline or from a file (@body.json)')
    .option('--method <method>', 'HTTP method', 'POST')
    .option('--header <name:value>', 'request header (repeatable); replaces the default Authorization too', collectHeader)
    .option(namespace, 'its namespace (default: "default")')
    .action(action((target, opts, name: string) => invoke(target, name, opts as unknown as InvokeOptions)));

  group.command('logs')
    .description('recent executions of a function, newest first')
    .argument('<name>', 'function name')
    .option('--limit <n>', 'how many (1-1000)', wholeNumber('--limit', 1000), 50)
    .option('--json', 'print JSON')
    .action(action((target, opts, name: string) => logs(target, name, opts as { limit: number; json?: boolean })));
}
