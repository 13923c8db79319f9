// The HTTP side of `fluxbase jobs` (cli/jobs.ts): the routes of API.md §11.2 as paths, and one
// JSON call that also hands back the status (a job function deploy answers 201 when it created
// the function, 200 when it replaced one). Target, credentials and error lines are
// functions-client.ts's, shared by every command that talks to a running server.
import { ApiError, describeApiError, send, type Target } from './functions-client.ts';
import { CliError } from './context.ts';

export const JOBS = '/api/v1/jobs';
export const ADMIN_JOBS = '/api/v1/admin/jobs';
export const jobPath = (id: string) => `${JOBS}/${encodeURIComponent(id)}`;
export const jobFunctionPath = (namespace: string, name: string) => `${ADMIN_JOBS}/functions/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

/** A query string of the defined values ('' when there are none). */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

/** A JSON API call: status and parsed body, or an ApiError carrying the server's error line. */
export async function apiCall(target: Target, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await send(target, method, urlPath, body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = res.body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new CliError(`${target.url} answered ${method} ${urlPath} with HTTP ${res.status} and a body that is not JSON; is --url a Fluxbase server?`);
  }
  if (res.status < 200 || res.status > 299) {
    const code = (parsed as Record<string, unknown> | undefined)?.code;
    throw new ApiError(res.status, typeof code === 'string' ? code : undefined, describeApiError(res.status, parsed));
  }
  return { status: res.status, body: parsed };
}
