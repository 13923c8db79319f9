// Value syntax inside filters: `in.(a,"b,c")` lists, `{a,b}` lists for the `(any)`/`(all)`
// modifiers, and single values inside `or=(…)` / `and=(…)`, where `,` and `)` end a value
// unless it is double-quoted (`a.eq."x,y"`) or a `{…}` array literal (PostgREST's rules).
import { QueryError } from '../errors.ts';
import { readQuoted } from './names.ts';
import type { Scanner } from './scanner.ts';

function tooMany(count: number, max: number): QueryError {
  return new QueryError('INVALID_FILTER', `List has more than ${max} items; the limit is ${max}`, {
    details: { limit: max, items: count },
  });
}

/** A quoted element when its closing quote is followed by one of `stops`; else undefined (position kept). */
function quotedThen(sc: Scanner, stops: string, allowWs = false): string | undefined {
  const start = sc.pos;
  const q = readQuoted(sc);
  if (q === undefined) return undefined;
  if (allowWs) sc.skipWs();
  if (sc.peek() !== '' && stops.includes(sc.peek())) return q;
  sc.pos = start;
  return undefined;
}

/**
 * `(a,b,"c,d")` for `in`. Elements keep their text exactly; `()` is the empty list and
 * `("")` a list with one empty string.
 */
export function readParenList(sc: Scanner, maxItems: number): string[] {
  sc.skipWs();
  sc.expect('(');
  const items: string[] = [];
  if (sc.eat(')')) return items;
  for (;;) {
    const q = sc.peek() === '"' ? quotedThen(sc, ',)') : undefined;
    items.push(q ?? sc.readUntil(',)'));
    if (items.length > maxItems) throw tooMany(items.length, maxItems);
    if (sc.eat(',')) continue;
    sc.expect(')');
    return items;
  }
}

/**
 * `{a,b,"c,d"}` for `(any)`/`(all)`: like a PostgreSQL array literal, whitespace around
 * unquoted elements is dropped; quotes, braces and backslashes must be inside quotes.
 */
export function readBraceList(sc: Scanner, maxItems: number): string[] {
  sc.skipWs();
  sc.expect('{');
  const items: string[] = [];
  sc.skipWs();
  if (sc.eat('}')) return items;
  for (;;) {
    sc.skipWs();
    let item: string;
    if (sc.peek() === '"') {
      const q = quotedThen(sc, ',}', true);
      if (q === undefined) sc.fail('unterminated quoted list element');
      item = q;
    } else {
      const start = sc.pos;
      item = sc.readUntil(',}').trim();
      if (/["{\\]/.test(item)) {
        sc.pos = start;
        sc.fail('a list element containing a quote, brace or backslash must be double-quoted');
      }
    }
    items.push(item);
    if (items.length > maxItems) throw tooMany(items.length, maxItems);
    sc.skipWs();
    if (sc.eat(',')) continue;
    sc.expect('}');
    return items;
  }
}

/** A single value inside a logic group: ends at `,` or `)` unless quoted or a `{…}` literal. */
export function readLogicValue(sc: Scanner): string {
  if (sc.peek() === '"') {
    const q = quotedThen(sc, ',)');
    if (q !== undefined) return q;
  }
  if (sc.peek() === '{') {
    const close = sc.text.indexOf('}', sc.pos);
    const open = sc.text.indexOf('{', sc.pos + 1);
    if (close !== -1 && (open === -1 || open > close)) {
      const after = sc.text.charAt(close + 1);
      if (after === ',' || after === ')') {
        const v = sc.text.slice(sc.pos, close + 1);
        sc.pos = close + 1;
        return v;
      }
    }
  }
  return sc.readUntil(',)');
}
