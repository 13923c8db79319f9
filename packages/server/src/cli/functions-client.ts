// The HTTP side of `fluxbase functions` (cli/functions.ts): where the server and key come
// from, one request to a running server's API (API.md §11.1) with the bearer key, and its
// error envelope (API.md §3.1) turned into the one line the user sees.
import type { Command } from 'commander';
import { mintApiKeys } from '../auth/index.ts';
import { findJwtSecret } from '../config/index.ts';
import { clientUrl, CliError, globalOptions, loadCliValues } from './context.ts';

type Json = Record<string, unknown>;

export interface Target {
  url: string;
  key: string;
}

export interface ConnectionOptions {
  url?: string;
  key?: string;
}

/** Flags, then the environment, then the configuration (read only when something is missing). */
export function resolveTarget(program: Command, opts: ConnectionOptions, env: NodeJS.ProcessEnv = process.env): Target {
  let url = opts.url ?? env.FLUXBASE_URL;
  let key = opts.key ?? env.FLUXBASE_SERVICE_KEY ?? env.FLUXBASE_SERVICE_ROLE_KEY;
  if (url === undefined || key === undefined) {
    const config = loadCliValues(program);
    url ??= clientUrl(config);
    key ??= mintApiKeys(findJwtSecret(config, globalOptions(program).config)).service_role;
  }
  return { url: url.replace(/\/+$/, ''), key };
}

/** A Target resolved on first use, so bad input is reported before a missing configuration. */
export function lazyTarget(resolve: () => Target): Target {
  let resolved: Target | undefined;
  const get = () => (resolved ??= resolve());
  return { get url() { return get().url; }, get key() { return get().key; } };
}

/** A non-2xx answer in the API.md envelope; `message` is the one line shown to the user. */
export class ApiError extends CliError {
  constructor(readonly status: number, readonly code: string | undefined, message: string) {
    super(message);
  }
}

/**
 * `<error>: <message> (<CODE>). Hint: <hint>` from the envelope of API.md §3.1, with the
 * field errors and the first compiler diagnostic of `details` unless the message already
 * says them (the server's messages usually do).
 */
export function describeApiError(status: number, body: unknown): string {
  const b = (body !== null && typeof body === 'object' ? body : {}) as Json;
  const head = typeof b.error === 'string' ? b.error : `HTTP ${status}`;
  const said = typeof b.message === 'string' && b.message !== b.error ? oneLine(b.message) : '';
  const unsaid = (part: string) => part !== '' && !said.includes(part);
  const details = (b.details ?? {}) as Json;
  const fieldParts = details.fields !== null && typeof details.fields === 'object'
    ? Object.entries(details.fields as Json).map(([k, v]) => `${k} ${oneLine(v)}`).filter(unsaid) : [];
  const diagnostics = Array.isArray(details.diagnostics) ? details.diagnostics.map(oneLine) : [];
  const first = diagnostics[0] !== undefined && unsaid(diagnostics[0]) ? `: ${diagnostics[0]}` : '';
  const more = diagnostics.length > 1 ? ` (and ${diagnostics.length - 1} more)` : '';
  const reason = typeof details.reason === 'string' ? `, ${details.reason}` : '';
  const code = typeof b.code === 'string' ? ` (${b.code}${reason})` : '';
  const hint = typeof b.hint === 'string' ? `. Hint: ${b.hint}` : '';
  return `${head}${said ? `: ${said}` : ''}${fieldParts.length > 0 ? `: ${fieldParts.join('; ')}` : ''}${first}${more}${code}${hint}`;
}

/** A value (a string, or an object's text/message) on one line. */
export function oneLine(v: unknown): string {
  const o = (v ?? {}) as Json;
  const text = typeof v === 'string' ? v : typeof o.text === 'string' ? o.text : typeof o.message === 'string' ? o.message : JSON.stringify(v);
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** One request with the key as bearer; an unreachable server is one CliError line. */
export async function send(target: Target, method: string, urlPath: string, init: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  const { url, key } = target; // resolved here, outside the catch below: a missing secret is not "cannot reach"
  const headers = new Headers({ Authorization: `Bearer ${key}` });
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
  let res: Response;
  try {
    res = await fetch(`${url}${urlPath}`, { method, headers, body: init.body });
  } catch (err) {
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new CliError(`cannot reach ${url}: ${cause}. Start the server (fluxbase serve) or point at it with --url / FLUXBASE_URL`);
  }
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** A JSON API call: the parsed body, or an ApiError carrying the server's error line. */
export async function apiRequest(target: Target, method: string, urlPath: string, body?: unknown): Promise<unknown> {
  const res = await send(target, method, urlPath, body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = res.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new CliError(`${target.url} answered ${method} ${urlPath} with HTTP ${res.status} and a body that is not JSON; is --url a Fluxbase server?`);
  }
  if (res.status < 200 || res.status > 299) {
    const code = (parsed as Json | undefined)?.code;
    throw new ApiError(res.status, typeof code === 'string' ? code : undefined, describeApiError(res.status, parsed));
  }
  return parsed;
}

export const nsQuery = (namespace: string | undefined) => (namespace === undefined ? '' : `?namespace=${encodeURIComponent(namespace)}`);
export const fnPath = (name: string) => `/api/v1/functions/${encodeURIComponent(name)}`;
/** A table cell: '-' for nothing, lists comma-joined. */
export const show = (v: unknown): string => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
