// The Range header of a download (API.md §10; RFC 9110 §14): one range in any of its forms,
// `bytes=a-b`, `bytes=a-` and `bytes=-n` (the last n bytes), answered 206 with
// `Content-Range: bytes a-b/total`; a range that starts past the end is 416 with
// `Content-Range: bytes */total`. Several ranges, other units and malformed values are not
// errors: the whole object is sent (200), as RFC 9110 lets a server ignore Range.
export type RangeDecision =
  | { kind: 'whole' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'whole' };
  const m = SINGLE.exec(header.trim());
  if (!m) return { kind: 'whole' };
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return { kind: 'whole' };
  if (a === '') {
    // The last n bytes; n = 0 can never be satisfied.
    const n = Number(b);
    if (!Number.isSafeInteger(n)) return { kind: 'whole' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Number(b);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'whole' };
  if (b !== '' && end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

export function contentRange(d: RangeDecision, size: number): string | undefined {
  if (d.kind === 'partial') return `bytes ${d.start}-${d.end}/${size}`;
  if (d.kind === 'unsatisfiable') return `bytes */${size}`;
  return undefined;
}
