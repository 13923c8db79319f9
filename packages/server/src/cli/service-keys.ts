// `fluxbase service-keys list|create|rotate|deprecate|revoke|revocations`: stored service
// keys managed over the HTTP admin API (docs/auth.md "Service keys") of a running server.
// The server is --url (or FLUXBASE_URL, else server.public_url); the credential is
// --service-key (or FLUXBASE_SERVICE_ROLE_KEY, else a service-role JWT minted from the
// configured auth.jwt_secret, as `fluxbase keys` prints). Human tables by default, `--json`
// for scripts.
import { InvalidArgumentError, type Command } from 'commander';
import { mintApiKeys } from '../auth/index.ts';
import { resolveConfig } from '../main.ts';
import { table } from './table.ts';

export interface ConnectionOptions {
  url?: string;
  serviceKey?: string;
  json?: boolean;
}

export class ServiceKeysCommandError extends Error {
  override name = 'ServiceKeysCommandError';
}

type Json = Record<string, unknown>;

interface Target {
  url: string;
  key: string;
}

/** Flags first, then the environment, then the configuration file (read only when needed). */
export function resolveTarget(opts: ConnectionOptions, configFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Target {
  let url = opts.url ?? env.FLUXBASE_URL;
  let key = opts.serviceKey ?? env.FLUXBASE_SERVICE_ROLE_KEY;
  if (url === undefined || key === undefined) {
    const { config } = resolveConfig({ file: configFile });
    url ??= config.server.public_url;
    key ??= mintApiKeys(config.auth.jwt_secret).service_role;
  }
  return { url: url.replace(/\/+$/, ''), key };
}

function describeError(status: number, body: Json): string {
  const parts = [`${String(body.error ?? `HTTP ${status}`)} (${String(body.code ?? status)})`];
  if (typeof body.message === 'string') parts.push(body.message);
  const fields = (body.details as { fields?: Record<string, string> } | undefined)?.fields;
  if (fields) for (const [name, problem] of Object.entries(fields)) parts.push(`  ${name}: ${problem}`);
  return parts.join('\n');
}

export async function adminRequest(target: Target, method: string, path: string, body?: Json): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${target.url}/api/v1/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${target.key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new ServiceKeysCommandError(`cannot reach ${target.url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}. Start the server or set --url / FLUXBASE_URL.`);
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ServiceKeysCommandError(`${target.url} answered HTTP ${res.status} with a non-JSON body; is --url a Fluxbase server?`);
  }
  if (!res.ok) throw new ServiceKeysCommandError(describeError(res.status, (parsed ?? {}) as Json));
  return parsed;
}

const show = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));

export function keysTable(keys: Json[]): string {
  if (keys.length === 0) return 'No service keys.';
  return table(
    ['ID', 'NAME', 'PREFIX', 'STATUS', 'SCOPES', 'LAST USED', 'EXPIRES'],
    keys.map((k) => [k.id, k.name, k.key_prefix, k.status, k.scopes, k.last_used_at, k.expires_at ?? k.grace_period_ends_at].map(show)),
  );
}

function createdText(k: Json): string {
  return [
    `Created service key ${show(k.name)} (${show(k.id)}), scopes ${show(k.scopes)}.`,
    '',
    `  ${show(k.key)}`,
    '',
    'This is the only time the key is shown: store it now.',
  ].join('\n');
}

function wholeNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} takes a whole number`);
    return n;
  };
}

const scopeList = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

function out(json: boolean | undefined, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

export function registerServiceKeysCommand(program: Command, fail: (err: unknown) => never): void {
  const group = program
    .command('service-keys')
    .description('manage stored service keys (sk_…) on a running server')
    .option('--url <url>', 'server URL (default: FLUXBASE_URL, else server.public_url)')
    .option('--service-key <key>', 'service-role JWT or admin user token (default: FLUXBASE_SERVICE_ROLE_KEY, else minted from auth.jwt_secret)');

  // Each action gets its own options merged with the group's and the program's (--config).
  const action = <A extends unknown[]>(fn: (target: Target, opts: Json & ConnectionOptions, ...args: A) => Promise<void>) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const opts = cmd.optsWithGlobals<Json & ConnectionOptions & { config?: string }>();
      try {
        await fn(resolveTarget(opts, opts.config), opts, ...(args.slice(0, -2) as A));
      } catch (err) {
        if (err instanceof ServiceKeysCommandError) {
          console.error(`fluxbase: ${err.message}`);
          process.exit(1);
        }
        fail(err);
      }
    };

  group.command('list').description('list keys, newest first').option('--json', 'print JSON')
    .action(action(async (target, opts) => {
      const keys = (await adminRequest(target, 'GET', '/service-keys')) as Json[];
      out(opts.json, keys, keysTable(keys));
    }));

  group.command('create').description('create a key; prints it once').requiredOption('--name <name>', 'key name')
    .option('--description <text>', 'description')
    .option('--scopes <list>', 'comma-separated scopes (default *)', scopeList)
    .option('--rate-limit-per-minute <n>', 'requests per minute', wholeNumber('--rate-limit-per-minute'))
    .option('--rate-limit-per-hour <n>', 'requests per hour', wholeNumber('--rate-limit-per-hour'))
    .option('--expires-at <time>', 'RFC 3339 expiry, e.g. 2030-01-01T00:00:00Z')
    .option('--json', 'print JSON')
    .action(action(async (target, opts) => {
      const created = (await adminRequest(target, 'POST', '/service-keys', {
        name: opts.name, description: opts.description, scopes: opts.scopes,
        rate_limit_per_minute: opts.rateLimitPerMinute, rate_limit_per_hour: opts.rateLimitPerHour, expires_at: opts.expiresAt,
      })) as Json;
      out(opts.json, created, createdText(created));
    }));

  group.command('rotate <id>').description('issue a replacement key; the old one works until its grace period ends')
    .option('--grace-period-hours <n>', 'hours the old key keeps working (default 24, max 720)', wholeNumber('--grace-period-hours'))
    .option('--new-name <name>', 'name of the new key (default "<old> (rotated)")')
    .option('--scopes <list>', 'scopes of the new key (default: the old key\'s)', scopeList)
    .option('--json', 'print JSON')
    .action(action(async (target, opts, id: string) => {
      const r = (await adminRequest(target, 'POST', `/service-keys/${encodeURIComponent(id)}/rotate`, {
        grace_period_hours: opts.gracePeriodHours, new_key_name: opts.newName, new_scopes: opts.scopes,
      })) as Json;
      out(opts.json, r, `${createdText(r.new_key as Json)}\n\nThe old key ${show(r.old_key_id)} works until ${show(r.grace_period_ends)}.`);
    }));

  group.command('deprecate <id>').description('start the grace period of a key without replacing it')
    .option('--reason <text>', 'reason (default "Key rotation")')
    .option('--grace-period-hours <n>', 'hours the key keeps working (default 24, max 720)', wholeNumber('--grace-period-hours'))
    .option('--json', 'print JSON')
    .action(action(async (target, opts, id: string) => {
      const r = (await adminRequest(target, 'POST', `/service-keys/${encodeURIComponent(id)}/deprecate`, {
        reason: opts.reason, grace_period_hours: opts.gracePeriodHours,
      })) as Json;
      out(opts.json, r, `Deprecated ${show(r.key_id)}; it works until ${show(r.grace_period_ends)}.`);
    }));

  group.command('revoke <id>').description('revoke a key at once').requiredOption('--reason <text>', 'why (kept in the revocation history)')
    .option('--json', 'print JSON')
    .action(action(async (target, opts, id: string) => {
      const r = (await adminRequest(target, 'POST', `/service-keys/${encodeURIComponent(id)}/revoke`, { reason: opts.reason })) as Json;
      out(opts.json, r, `Revoked ${show(r.key_id)}: it is refused from the next request.`);
    }));

  group.command('revocations <id>').description('revocation and deprecation history of a key').option('--json', 'print JSON')
    .action(action(async (target, opts, id: string) => {
      const rows = (await adminRequest(target, 'GET', `/service-keys/${encodeURIComponent(id)}/revocations`)) as Json[];
      out(opts.json, rows, rows.length === 0 ? 'No revocations.' : table(
        ['WHEN', 'TYPE', 'BY', 'REASON'], rows.map((r) => [r.created_at, r.revocation_type, r.revoked_by, r.reason].map(show)),
      ));
    }));
}
