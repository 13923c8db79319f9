// PostgreSQL array literals (`{a,"b,c",NULL}`) for array-typed filter values. Clients send
// three spellings for an array: the literal itself (postgrest-js `cs.{a,b}`), the Fluxbase
// SDK's `(a,b)`, and JSON `["a","b"]` (the /query body); the SQL compiler and the evaluator
// both turn the last two into the first with normalizeArrayValue, so they agree.
import { readParenList } from './values.ts';
import { Scanner } from './scanner.ts';

/** Quote every element, so no element is read back as NULL or split. */
export function toArrayLiteral(items: readonly (string | null)[]): string {
  return `{${items.map((v) => (v === null ? 'NULL' : `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`)).join(',')}}`;
}

const SPACE = /[ \t\n\r\v\f]/;

/**
 * A one-dimensional literal → its elements (null for NULL), or undefined when the text is
 * not one (nested arrays, `[1:2]=` bounds and syntax errors included).
 */
export function parseArrayLiteral(text: string): (string | null)[] | undefined {
  let i = 0;
  const skip = (): void => { while (i < text.length && SPACE.test(text.charAt(i))) i++; };
  skip();
  if (text[i] !== '{') return undefined;
  i++;
  skip();
  const items: (string | null)[] = [];
  if (text[i] === '}') {
    i++;
    skip();
    return i === text.length ? items : undefined;
  }
  for (;;) {
    skip();
    let item = '';
    let quotedAny = false;
    let sawText = false;
    // An element may mix quoted and unquoted parts (`a"b c"d`), as PostgreSQL allows.
    while (i < text.length && text[i] !== ',' && text[i] !== '}') {
      const ch = text.charAt(i);
      if (ch === '{') return undefined;
      if (ch === '"') {
        quotedAny = true;
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          if (i >= text.length) return undefined;
          item += text.charAt(i++);
        }
        if (i >= text.length) return undefined;
        i++;
        sawText = true;
      } else if (ch === '\\') {
        if (i + 1 >= text.length) return undefined;
        item += text.charAt(i + 1);
        i += 2;
        sawText = true;
      } else if (SPACE.test(ch)) {
        // Inner whitespace counts only when more text follows.
        let j = i;
        while (j < text.length && SPACE.test(text.charAt(j))) j++;
        if (j < text.length && text[j] !== ',' && text[j] !== '}') item += text.slice(i, j);
        i = j;
      } else {
        item += ch;
        i++;
        sawText = true;
      }
    }
    if (i >= text.length || !sawText) return undefined;
    items.push(!quotedAny && item.toUpperCase() === 'NULL' ? null : item);
    if (text[i] === ',') {
      i++;
      continue;
    }
    i++;
    skip();
    return i === text.length ? items : undefined;
  }
}

/** JSON scalars as array elements; undefined when an element is an object or array. */
function jsonElements(text: string): (string | null)[] | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  const out: (string | null)[] = [];
  for (const x of v) {
    if (x === null) out.push(null);
    else if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out.push(String(x));
    else return undefined;
  }
  return out;
}

/** `(a,b)` and `["a","b"]` → `{"a","b"}`; anything else is returned unchanged for PostgreSQL to judge. */
export function normalizeArrayValue(value: string): string {
  const t = value.trim();
  if (t.startsWith('(') && t.endsWith(')')) {
    try {
      const sc = new Scanner(t, 'INVALID_FILTER', 'array value');
      const items = readParenList(sc, Number.MAX_SAFE_INTEGER);
      if (sc.done) return toArrayLiteral(items);
    } catch {
      return value;
    }
  }
  if (t.startsWith('[')) {
    const items = jsonElements(t);
    if (items) return toArrayLiteral(items);
  }
  return value;
}
