// Opaque keyset cursors (docs/rest.md "Cursor pagination"): base64url (padded and standard
// base64 accepted) of {"c": column, "v": last value, "d": descending, "k": [last primary
// key values]}.
import { QueryError } from '../errors.ts';

export interface CursorData {
  c: string;
  v: unknown;
  d: boolean;
  k: unknown[];
}

export function encodeCursor(data: CursorData): string {
  return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): CursorData {
  const bad = () => new QueryError('INVALID_CURSOR', 'The cursor is not one this server issued', { hint: 'Use the X-Next-Cursor value of the previous page unchanged' });
  if (text.length === 0 || text.length > 4096 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) throw bad();
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(text.replaceAll('+', '-').replaceAll('/', '_'), 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw bad();
  const d = data as Record<string, unknown>;
  if (typeof d.c !== 'string' || !('v' in d)) throw bad();
  const k = d.k === undefined ? [] : Array.isArray(d.k) ? d.k : [d.k];
  return { c: d.c, v: d.v, d: d.d === true, k };
}
