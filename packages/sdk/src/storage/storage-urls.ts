// URLs of the storage routes (API.md §10). An object path is percent-encoded segment by
// segment, so `/` keeps separating folders while `?`, `#`, `%` and spaces in a name stay
// part of it; leading slashes are dropped (`/a.txt` is `a.txt`).
import type { QueryParams } from '../transport.ts';
import type { TransformOptions } from './types.ts';

export const STORAGE_PATH = '/api/v1/storage';

export function encodeObjectPath(path: string): string {
  return path.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
}

export const bucketPath = (bucket: string): string => `${STORAGE_PATH}/${encodeURIComponent(bucket)}`;

/** `/api/v1/storage/<bucket>/<path>`, also with a route segment between (`sign`, `stream`). */
export function objectPath(bucket: string, path: string, route?: 'sign' | 'stream'): string {
  return `${bucketPath(bucket)}/${route === undefined ? '' : `${route}/`}${encodeObjectPath(path)}`;
}

/** The server's transform parameters; unset fields are left out. */
export function transformQuery(t: TransformOptions | undefined): QueryParams {
  if (t === undefined) return {};
  return { width: t.width, height: t.height, format: t.format, quality: t.quality, fit: t.fit };
}

/** The sign body's `transform` object, or undefined when no field is set. */
export function transformBody(t: TransformOptions | undefined): Record<string, string | number> | undefined {
  const entries = Object.entries(transformQuery(t)).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== null);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/** `base + path` with `query` appended (null and undefined values left out). */
export function withQuery(base: string, query: QueryParams): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(query)) {
    if (value === null || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(v));
  }
  return url.toString();
}
