// Names and fields in the PostgREST grammar: bare identifiers (letters, digits, `_`, `$`,
// inner spaces, `-` not starting `->`), double-quoted names with backslash escapes, and
// JSON paths (`data->a->>0`). Names are inert text here; the planner checks them against
// the schema cache and quoteIdent quotes them.
import type { FieldRef, JsonPathStep } from '../ast.ts';
import { Scanner, type ParseErrorCode } from './scanner.ts';

const IDENT_CHAR = /[\p{L}\p{M}\p{N}_$ ]/u;

export interface Name {
  name: string;
  /** Written in double quotes: never a keyword (`"or"` is a column, `or` a logic key). */
  quoted: boolean;
}

export const isIdentChar = (ch: string): boolean => ch !== '' && IDENT_CHAR.test(ch);

/** A quoted value `"…"` with `\x` escapes, or undefined (position kept) when unterminated. */
export function readQuoted(sc: Scanner): string | undefined {
  if (sc.peek() !== '"') return undefined;
  const start = sc.pos;
  sc.pos++;
  let out = '';
  while (!sc.done) {
    const ch = sc.peek();
    if (ch === '\\') {
      if (sc.pos + 1 >= sc.text.length) break;
      out += sc.peek(1);
      sc.pos += 2;
    } else if (ch === '"') {
      sc.pos++;
      return out;
    } else {
      out += ch;
      sc.pos++;
    }
  }
  sc.pos = start;
  return undefined;
}

/** A bare or quoted name, or undefined when none starts here. Surrounding spaces are dropped. */
export function readName(sc: Scanner): Name | undefined {
  sc.skipWs();
  if (sc.peek() === '"') {
    const q = readQuoted(sc);
    if (q === undefined) sc.fail('unterminated quoted name');
    sc.skipWs();
    return { name: q, quoted: true };
  }
  const start = sc.pos;
  for (;;) {
    const ch = sc.peek();
    if (isIdentChar(ch)) sc.pos++;
    else if (ch === '-' && sc.peek(1) !== '>' && isIdentChar(sc.peek(1)) && sc.pos > start) sc.pos++;
    else break;
  }
  const name = sc.text.slice(start, sc.pos).trim();
  if (name === '') {
    sc.pos = start;
    return undefined;
  }
  return { name, quoted: false };
}

export function expectName(sc: Scanner, what = 'a column name'): Name {
  const n = readName(sc);
  if (!n) sc.fail(`expected ${what}`);
  return n;
}

/** `->key`, `->>key`, `->0`, `->-1`, repeated. */
export function readJsonPath(sc: Scanner): JsonPathStep[] {
  const path: JsonPathStep[] = [];
  while (sc.startsWith('->')) {
    const op = sc.eat('->>') ? '->>' : (sc.pos += 2, '->');
    if (sc.peek() === '-' && /\d/.test(sc.peek(1))) {
      sc.pos++;
      const digits = sc.readWhile(/\d/);
      if (isIdentChar(sc.peek()) && sc.peek() !== ' ') sc.fail('malformed negative JSON array index');
      path.push({ op, key: `-${digits}` });
      continue;
    }
    const key = readName(sc);
    if (!key) sc.fail(`expected a JSON key or index after ${op}`);
    path.push({ op, key: key.name });
  }
  return path;
}

/** A column with an optional JSON path, read from the current position. */
export function readField(sc: Scanner): FieldRef {
  const column = expectName(sc);
  return { column: column.name, path: readJsonPath(sc) };
}

/** `col`, `data->a->>b`, `arr->0`, `"my col"`: the whole text must be one field. */
export function parseFieldAs(text: string, code: ParseErrorCode, what: string): FieldRef {
  const sc = new Scanner(text, code, what);
  const field = readField(sc);
  sc.expectEnd();
  return field;
}

export function parseField(text: string): FieldRef {
  return parseFieldAs(text, 'INVALID_FILTER', 'field');
}

/** `a,b,"c d"` (on_conflict, columns, group_by). */
export function parseNameList(text: string, code: ParseErrorCode, what: string): string[] {
  const sc = new Scanner(text, code, what);
  const names: string[] = [expectName(sc).name];
  while (sc.eat(',')) names.push(expectName(sc).name);
  sc.expectEnd();
  return names;
}
