// jsonb semantics in memory: path extraction (`->`, `->>`), equality (numbers compare by
// value, object key order is irrelevant), containment (`@>`, with PostgreSQL's top-level
// "an array contains a scalar" exception) and PostgreSQL's text rendering of jsonb.
import type { JsonPathStep } from '../ast.ts';
import { plainNumberText } from './decimal.ts';

/** A JSON value; `undefined` stands for SQL NULL (a missing key, `->>` of JSON null). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: Json): boolean => v === null || typeof v !== 'object';
const MAX_INDEX = 2 ** 31 - 1;

function step(value: Json | undefined, key: string): Json | undefined {
  if (value === undefined) return undefined;
  if (/^-?\d+$/.test(key) && Math.abs(Number(key)) <= MAX_INDEX) {
    const i = Number(key);
    // A scalar jsonb is stored as a one-element pseudo-array: `'"b"'::jsonb -> 0` is "b".
    if (!Array.isArray(value)) return !isObject(value) && (i === 0 || i === -1) ? value : undefined;
    return value[i < 0 ? value.length + i : i];
  }
  return isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}

/** `->` steps yield jsonb, a final `->>` yields text (JSON null becomes SQL NULL). */
export function extractPath(value: Json | undefined, path: readonly JsonPathStep[]): Json | undefined {
  let cur = value;
  for (const s of path) {
    cur = step(cur, s.key);
    if (s.op === '->>') return cur === undefined || cur === null ? undefined : jsonbText(cur, true);
  }
  return cur;
}

/** PostgreSQL orders jsonb object keys by length, then bytewise. */
function keyOrder(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length !== y.length ? x.length - y.length : Buffer.compare(x, y);
}

/** jsonb output text (`{"a": 1, "b": [1, 2]}`); a top-level string unquoted when `unquoteString` (`->>`). */
export function jsonbText(v: Json, unquoteString = false): string {
  if (typeof v === 'string') return unquoteString ? v : JSON.stringify(v);
  if (typeof v === 'number') return plainNumberText(v);
  if (v === null || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => jsonbText(x)).join(', ')}]`;
  const keys = Object.keys(v).sort(keyOrder);
  return `{${keys.map((k) => `${JSON.stringify(k)}: ${jsonbText(v[k] as Json)}`).join(', ')}}`;
}

export function jsonEquals(a: Json, b: Json): boolean {
  if (isScalar(a) || isScalar(b)) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEquals(x, b[i] as Json));
  }
  const oa = a as Record<string, Json>;
  const ob = b as Record<string, Json>;
  const ka = Object.keys(oa);
  return ka.length === Object.keys(ob).length && ka.every((k) => Object.hasOwn(ob, k) && jsonEquals(oa[k] as Json, ob[k] as Json));
}

function containsNested(a: Json, b: Json): boolean {
  if (isObject(b)) {
    if (!isObject(a)) return false;
    return Object.keys(b).every((k) => {
      if (!Object.hasOwn(a, k)) return false;
      const x = a[k] as Json;
      const y = b[k] as Json;
      if (isScalar(y)) return isScalar(x) && x === y;
      return (Array.isArray(x) === Array.isArray(y)) && !isScalar(x) && containsNested(x, y);
    });
  }
  if (Array.isArray(b)) {
    if (!Array.isArray(a)) return false;
    return b.every((y) => (isScalar(y)
      ? a.some((x) => isScalar(x) && x === y)
      : a.some((x) => !isScalar(x) && Array.isArray(x) === Array.isArray(y) && containsNested(x, y))));
  }
  return isScalar(a) && a === b;
}

/** `a @> b` on jsonb values. */
export function jsonContains(a: Json, b: Json): boolean {
  if (isScalar(b)) {
    if (Array.isArray(a)) return a.some((x) => isScalar(x) && x === b);
    return isScalar(a) && a === b;
  }
  if (isScalar(a)) return false;
  return containsNested(a, b);
}

/** JSON text as jsonb input: undefined when PostgreSQL would refuse it (syntax, `\u0000`, lone surrogates). */
export function parseJsonb(text: string): { value: Json } | undefined {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
  return validJsonb(value) ? { value } : undefined;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const validText = (s: string): boolean => !s.includes('\0') && !LONE_SURROGATE.test(s);

function validJsonb(v: Json): boolean {
  if (typeof v === 'string') return validText(v);
  if (Array.isArray(v)) return v.every(validJsonb);
  if (isObject(v)) return Object.entries(v).every(([k, x]) => validText(k) && validJsonb(x));
  return true;
}
