// Content negotiation and ranges: which representation `Accept` asks for, and what a
// `Range: a-b` header means as offset/limit.
import { AppError } from '../http/index.ts';

export type Representation = 'json' | 'object' | 'csv';

const OBJECT = 'application/vnd.pgrst.object+json';

/** First acceptable media range, honouring q=0 exclusions; 406 NOT_ACCEPTABLE when none fits. */
export function negotiate(accept: string | undefined): Representation {
  if (!accept || accept.trim() === '') return 'json';
  const ranges = accept.split(',').map((part) => {
    const [type, ...params] = part.trim().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { type: (type ?? '').trim().toLowerCase(), q: q ? Number(q.slice(2)) : 1 };
  }).filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
  for (const { type } of ranges) {
    if (type === OBJECT) return 'object';
    if (type === 'text/csv') return 'csv';
    if (type === 'application/json' || type === 'application/vnd.pgrst.array+json' || type === '*/*' || type === 'application/*') return 'json';
  }
  throw new AppError('NOT_ACCEPTABLE', {
    message: `None of these media types is available: ${accept.slice(0, 200)}`,
    hint: 'Use application/json, application/vnd.pgrst.object+json or text/csv',
  });
}

/** `Range: 0-9` (items) → offset 0, limit 10; `5-` → offset 5. Invalid → 416. */
export interface RangeRequest {
  offset: number;
  limit?: number;
}

export function parseRange(header: string | undefined, unit: string | undefined): RangeRequest | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (unit !== undefined && unit.trim().toLowerCase() !== 'items') {
    throw new AppError('RANGE_NOT_SATISFIABLE', { message: `Range-Unit ${unit.slice(0, 40)} is not supported; use items` });
  }
  const m = /^(?:items=)?\s*(\d{1,15})-(\d{0,15})\s*$/.exec(header);
  if (!m) throw new AppError('RANGE_NOT_SATISFIABLE', { message: `Invalid Range ${JSON.stringify(header.slice(0, 60))}; use <first>-<last>` });
  const first = Number(m[1]);
  if (m[2] === '') return { offset: first };
  const last = Number(m[2]);
  if (last < first) throw new AppError('RANGE_NOT_SATISFIABLE', { message: `Invalid Range ${first}-${last}: the end is before the start` });
  return { offset: first, limit: last - first + 1 };
}

/** PostgREST's `nulls=stripped` media type parameter on the JSON representations. */
export function stripNullsRequested(accept: string | undefined): boolean {
  return accept !== undefined && /application\/vnd\.pgrst\.(array|object)\+json[^,]*;\s*nulls=stripped/i.test(accept);
}
