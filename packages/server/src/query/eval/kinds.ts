// The value kinds the evaluator models exactly, how PostgreSQL would read a filter value
// as each of them (the input functions' rules, a conservative subset), how a row value
// rendered as JSON maps back, and how two values of a kind compare.
import type { Column } from '../../db/index.ts';
import { compareDecimal, decimalFromNumber, parseDecimal, type Decimal } from './decimal.ts';
import { jsonEquals, parseJsonb, type Json } from './jsonb.ts';
import { parseArrayLiteral, normalizeArrayValue } from '../parse/array-literal.ts';

export type ScalarKind =
  | { kind: 'int'; bits: 16 | 32 | 64 }
  | { kind: 'numeric' }
  | { kind: 'float'; single: boolean }
  | { kind: 'text' }
  | { kind: 'bool' }
  | { kind: 'uuid' }
  | { kind: 'enum'; labels: readonly string[] };

export type Kind =
  | ScalarKind
  | { kind: 'jsonb' }
  | { kind: 'array'; element: ScalarKind }
  | { kind: 'other'; type: string };

/** A value of some kind: bigint, Decimal, number, string, boolean, Json, or an array of them (null elements). */
export type Value = unknown;

export class BadValue extends Error {}

function scalarKindOf(udt: string, column: Column): ScalarKind | undefined {
  switch (udt) {
    case 'int2': return { kind: 'int', bits: 16 };
    case 'int4': return { kind: 'int', bits: 32 };
    case 'int8': return { kind: 'int', bits: 64 };
    case 'numeric': return { kind: 'numeric' };
    case 'float4': return { kind: 'float', single: true };
    case 'float8': return { kind: 'float', single: false };
    case 'text': case 'varchar': return { kind: 'text' };
    case 'bool': return { kind: 'bool' };
    case 'uuid': return { kind: 'uuid' };
    default: return column.enumValues ? { kind: 'enum', labels: column.enumValues } : undefined;
  }
}

export function columnKind(column: Column): Kind {
  if (column.udtName === 'jsonb' || column.udtName === 'json') return { kind: 'jsonb' };
  if (column.category === 'A') {
    const element = column.elementType ? scalarKindOf(column.elementType, column) : undefined;
    return element ? { kind: 'array', element } : { kind: 'other', type: column.type };
  }
  return scalarKindOf(column.udtName, column) ?? { kind: 'other', type: column.type };
}

const WS = '[ \\t\\n\\r\\v\\f]*';
const INT = new RegExp(`^${WS}([+-]?\\d+)${WS}$`);
const FLOAT_SPECIAL = new RegExp(`^${WS}(?:(nan)|([+-])?(inf|infinity))${WS}$`, 'i');
const UUID_HEX = /^[0-9a-f]$/i;
const INT_RANGE = { 16: 2n ** 15n, 32: 2n ** 31n, 64: 2n ** 63n } as const;

function parseBool(text: string): boolean {
  const t = text.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '').toLowerCase();
  const prefixOf = (word: string, min = 1): boolean => t.length >= min && word.startsWith(t);
  if (t === '1') return true;
  if (t === '0') return false;
  if (prefixOf('true') || prefixOf('yes') || prefixOf('on', 2)) return true;
  if (prefixOf('false') || prefixOf('no') || prefixOf('off', 2)) return false;
  throw new BadValue(`${JSON.stringify(text)} is not a boolean`);
}

/** uuid_in: optional braces, 32 hex digits, a hyphen allowed after any group of four. */
function parseUuid(text: string): string {
  let t = text;
  if (t.startsWith('{')) {
    if (!t.endsWith('}')) throw new BadValue(`${JSON.stringify(text)} is not a uuid`);
    t = t.slice(1, -1);
  }
  let hex = '';
  for (let i = 0; i < t.length; i++) {
    const ch = t.charAt(i);
    if (UUID_HEX.test(ch)) hex += ch.toLowerCase();
    else if (ch !== '-' || hex.length === 0 || hex.length % 4 !== 0 || hex.length >= 32 || t[i - 1] === '-') {
      throw new BadValue(`${JSON.stringify(text)} is not a uuid`);
    }
  }
  if (hex.length !== 32 || t.endsWith('-')) throw new BadValue(`${JSON.stringify(text)} is not a uuid`);
  return hex;
}

function parseFloatValue(text: string, single: boolean): number {
  const special = FLOAT_SPECIAL.exec(text);
  if (special) return special[1] ? NaN : special[2] === '-' ? -Infinity : Infinity;
  const d = parseDecimal(text);
  if (!d || d.kind !== 'num') throw new BadValue(`${JSON.stringify(text)} is not a number`);
  let n = Number(text.trim());
  if (single) n = Math.fround(n);
  if (!Number.isFinite(n) || (n === 0 && d.sign !== 0)) throw new BadValue(`${JSON.stringify(text)} is out of range`);
  return n;
}

/** A filter value read as `kind`, as PostgreSQL's input function would; throws BadValue where it would fail. */
export function parseScalar(kind: ScalarKind, text: string): Value {
  switch (kind.kind) {
    case 'int': {
      const m = INT.exec(text);
      if (!m) throw new BadValue(`${JSON.stringify(text)} is not an integer`);
      const n = BigInt(m[1] as string);
      const r = INT_RANGE[kind.bits];
      if (n < -r || n >= r) throw new BadValue(`${JSON.stringify(text)} is out of range for a ${kind.bits}-bit integer`);
      return n;
    }
    case 'numeric': {
      const d = parseDecimal(text);
      if (!d) throw new BadValue(`${JSON.stringify(text)} is not a number`);
      return d;
    }
    case 'float': return parseFloatValue(text, kind.single);
    case 'text': return text;
    case 'bool': return parseBool(text);
    case 'uuid': return parseUuid(text);
    case 'enum':
      if (!kind.labels.includes(text)) throw new BadValue(`${JSON.stringify(text)} is not one of the enum's labels`);
      return kind.labels.indexOf(text);
  }
}

export function parseValue(kind: Kind, text: string): Value {
  if (kind.kind === 'jsonb') {
    const j = parseJsonb(text);
    if (!j) throw new BadValue(`${JSON.stringify(text)} is not valid jsonb`);
    return j.value;
  }
  if (kind.kind === 'array') {
    const items = parseArrayLiteral(normalizeArrayValue(text));
    if (!items) throw new BadValue(`${JSON.stringify(text)} is not a one-dimensional array literal`);
    return items.map((v) => (v === null ? null : parseScalar(kind.element, v)));
  }
  if (kind.kind === 'other') throw new BadValue(`values of type ${kind.type} cannot be evaluated in memory`);
  return parseScalar(kind, text);
}

/** A row value (as PostgreSQL renders it to JSON) → a Value; undefined when it does not fit the kind. */
export function rowScalar(kind: ScalarKind, raw: unknown): Value | undefined {
  switch (kind.kind) {
    case 'int':
      if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
      return typeof raw === 'string' && /^-?\d+$/.test(raw) ? BigInt(raw) : undefined;
    case 'numeric':
      if (typeof raw === 'number') return decimalFromNumber(raw);
      return typeof raw === 'string' ? parseDecimal(raw) : undefined;
    case 'float': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseFloatSpecial(raw) : undefined;
      return n === undefined ? undefined : kind.single ? Math.fround(n) : n;
    }
    case 'text': return typeof raw === 'string' ? raw : undefined;
    case 'bool': return typeof raw === 'boolean' ? raw : undefined;
    case 'uuid': return typeof raw === 'string' ? raw.replaceAll('-', '').toLowerCase() : undefined;
    case 'enum': {
      const i = typeof raw === 'string' ? kind.labels.indexOf(raw) : -1;
      return i === -1 ? undefined : i;
    }
  }
}

function parseFloatSpecial(raw: string): number | undefined {
  if (raw === 'NaN') return NaN;
  if (raw === 'Infinity') return Infinity;
  if (raw === '-Infinity') return -Infinity;
  return undefined;
}

export function rowValue(kind: Kind, raw: unknown): Value | undefined {
  if (kind.kind === 'jsonb') return raw as Json;
  if (kind.kind === 'array') {
    if (!Array.isArray(raw)) return undefined;
    const out: Value[] = [];
    for (const x of raw) {
      if (x === null) out.push(null);
      else {
        const v = rowScalar(kind.element, x);
        if (v === undefined) return undefined;
        out.push(v);
      }
    }
    return out;
  }
  if (kind.kind === 'other') return undefined;
  return rowScalar(kind, raw);
}

function compareFloat(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an && bn ? 0 : an ? 1 : -1;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** Code point order (the C collation): UTF-16 comparison differs above U+FFFF. */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) as number;
    const y = b.codePointAt(i) as number;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function compareScalar(kind: ScalarKind, a: Value, b: Value): number {
  switch (kind.kind) {
    case 'int': return (a as bigint) === (b as bigint) ? 0 : (a as bigint) < (b as bigint) ? -1 : 1;
    case 'numeric': return compareDecimal(a as Decimal, b as Decimal);
    case 'float': return compareFloat(a as number, b as number);
    case 'text': case 'uuid': return compareText(a as string, b as string);
    case 'bool': return a === b ? 0 : a ? 1 : -1;
    case 'enum': return (a as number) - (b as number);
  }
}

/** Equality of two non-NULL values (array elements: NULL equals NULL, as in array_eq). */
export function equalValues(kind: Kind, a: Value, b: Value): boolean {
  if (kind.kind === 'jsonb') return jsonEquals(a as Json, b as Json);
  if (kind.kind === 'array') {
    const x = a as Value[];
    const y = b as Value[];
    return x.length === y.length && x.every((v, i) => (v === null || y[i] === null ? v === y[i] : compareScalar(kind.element, v, y[i]) === 0));
  }
  if (kind.kind === 'other') return false;
  return compareScalar(kind, a, b) === 0;
}

/** The text a value casts to (`::text`), for pattern operators; undefined when not modelled exactly. */
export function textForm(kind: Kind, v: Value): string | undefined {
  switch (kind.kind) {
    case 'text': return v as string;
    case 'int': return (v as bigint).toString();
    case 'bool': return v ? 'true' : 'false';
    case 'enum': return kind.labels[v as number];
    case 'uuid': {
      const h = v as string;
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    default: return undefined;
  }
}
