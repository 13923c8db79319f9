// Checks that an admin route answered the shape its type promises, so a proxy page or a
// changed server shows up as INVALID_RESPONSE rather than as a wrongly typed `data`.
import { FluxbaseError } from './errors.ts';
import type { FluxbaseResponse, FluxbaseResult } from './transport.ts';

function invalid(res: FluxbaseResponse<unknown>, message: string): FluxbaseError {
  return new FluxbaseError({ status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response', message, requestId: res.headers.get('x-request-id') ?? undefined });
}

/** `data` must be a JSON object. */
export async function objectResult<T>(pending: Promise<FluxbaseResponse<unknown>>, what: string): Promise<FluxbaseResult<T>> {
  const res = await pending;
  if (res.error) return { data: null, error: res.error };
  if (res.data === null || typeof res.data !== 'object' || Array.isArray(res.data)) return { data: null, error: invalid(res, `Expected ${what}`) };
  return { data: res.data as T, error: null };
}

/** `data` must be a JSON array. */
export async function arrayResult<T>(pending: Promise<FluxbaseResponse<unknown>>, what: string): Promise<FluxbaseResult<T[]>> {
  const res = await pending;
  if (res.error) return { data: null, error: res.error };
  if (!Array.isArray(res.data)) return { data: null, error: invalid(res, `Expected ${what}`) };
  return { data: res.data as T[], error: null };
}

/** Success carries no data (204); whatever body came is ignored. */
export async function emptyResult(pending: Promise<FluxbaseResponse<unknown>>): Promise<FluxbaseResult<null>> {
  const res = await pending;
  return res.error ? { data: null, error: res.error } : { data: null, error: null };
}
