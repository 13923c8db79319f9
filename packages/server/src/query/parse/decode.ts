// Strict query-string decoding: `&`-separated pairs, `+` as space (URLSearchParams, which
// postgrest-js uses), `%XX` escapes that must be well formed and decode to valid UTF-8, and
// no NUL bytes (PostgreSQL text cannot hold them). Anything else is INVALID_QUERY.
import { QueryError, quoteInput } from '../errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const HEX = /^[0-9a-fA-F]{2}$/;

function bad(message: string, component: string): never {
  throw new QueryError('INVALID_QUERY', `Invalid query string: ${message}`, { details: { component: quoteInput(component, 100) } });
}

/** Decode one key or value. */
export function decodeComponent(raw: string): string {
  let out: string;
  if (!raw.includes('%') && !raw.includes('+')) {
    out = raw;
  } else {
    const bytes: number[] = [];
    for (let i = 0; i < raw.length; i++) {
      const ch = raw.charCodeAt(i);
      if (ch === 0x25 /* % */) {
        const hex = raw.slice(i + 1, i + 3);
        if (!HEX.test(hex)) bad('malformed percent-escape', raw);
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else if (ch === 0x2b /* + */) {
        bytes.push(0x20);
      } else if (ch < 0x80) {
        bytes.push(ch);
      } else {
        // A raw non-ASCII character (a client that did not encode): take it as UTF-8.
        const cp = raw.codePointAt(i) ?? ch;
        for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) bytes.push(b);
        if (cp > 0xffff) i++;
      }
    }
    try {
      out = utf8.decode(Uint8Array.from(bytes));
    } catch {
      bad('percent-escapes are not valid UTF-8', raw);
    }
  }
  if (out.includes('\0')) bad('NUL bytes are not allowed', raw);
  return out;
}

export interface QueryPair {
  key: string;
  value: string;
}

/** `a=1&b=2&c` → pairs in order (a key without `=` has the empty value; empty pieces are skipped). */
export function decodeQueryString(raw: string): QueryPair[] {
  const pairs: QueryPair[] = [];
  for (const piece of raw.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const key = decodeComponent(eq === -1 ? piece : piece.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(piece.slice(eq + 1));
    pairs.push({ key, value });
  }
  return pairs;
}
