// Column types for the DDL routes: the only text from a request that becomes SQL other
// than quoted identifiers, so it must match a small grammar — a known built-in type name,
// optional numeric modifiers where the type takes them, optional `[]` — or name an enum
// the schema cache knows (then it is emitted as a quoted, schema-qualified name).
import type { SchemaSnapshot } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { qualified } from '../../query/index.ts';

/** Canonical spelling of each accepted name (lower case, single spaces). */
const BASE_TYPES = new Map<string, string>([
  ...['text', 'varchar', 'char', 'uuid', 'json', 'jsonb', 'bytea', 'inet', 'cidr', 'macaddr', 'date', 'interval', 'money', 'tsvector',
    'smallint', 'integer', 'bigint', 'int2', 'int4', 'int8', 'int', 'real', 'float4', 'float8', 'numeric', 'decimal',
    'boolean', 'bool', 'time', 'timetz', 'timestamp', 'timestamptz', 'serial', 'bigserial', 'smallserial', 'bit', 'varbit']
    .map((t) => [t, t] as [string, string]),
  ['character varying', 'character varying'], ['character', 'character'], ['double precision', 'double precision'],
  ['bit varying', 'bit varying'],
  ['timestamp with time zone', 'timestamp with time zone'], ['timestamp without time zone', 'timestamp without time zone'],
  ['time with time zone', 'time with time zone'], ['time without time zone', 'time without time zone'],
]);
/** Types that take `(n)` (or `(p, s)` for numeric/decimal). */
const ONE_MODIFIER = new Set(['varchar', 'character varying', 'char', 'character', 'bit', 'varbit', 'bit varying', 'time', 'timetz', 'timestamp', 'timestamptz']);
const TWO_MODIFIERS = new Set(['numeric', 'decimal']);
const SERIALS = new Set(['serial', 'bigserial', 'smallserial']);

const GRAMMAR = /^([a-z][a-z0-9_ ]*?)\s*(?:\(\s*(\d{1,4})\s*(?:,\s*(\d{1,4})\s*)?\))?\s*((?:\[\s*\])*)$/;

const refuse = (field: string, given: string) => new AppError('VALIDATION_FAILED', {
  message: `Unsupported column type "${given}"`,
  details: { fields: { [field]: `Unsupported column type "${given}"` } },
  hint: 'Use a built-in type such as text, integer, bigint, numeric(10,2), boolean, timestamptz, uuid, jsonb (optionally with []) or an existing enum',
});

function enumType(snapshot: SchemaSnapshot, text: string, defaultSchema: string): string | undefined {
  const [first, second, ...rest] = text.split('.');
  if (rest.length > 0 || first === undefined) return undefined;
  const found = second !== undefined
    ? snapshot.enums.get(`${first}.${second}`)
    : snapshot.enums.get(`${defaultSchema}.${first}`) ?? snapshot.enums.get(`public.${first}`);
  return found ? qualified(found.schema, found.name) : undefined;
}

/** SQL text for a column type, or a 400 naming `field`. */
export function columnType(value: unknown, field: string, snapshot: SchemaSnapshot, tableSchema: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AppError('INVALID_REQUEST_BODY', { message: `${field} must be a type name`, details: { field } });
  }
  const given = value.trim();
  const arrayMatch = /^(.*?)((?:\s*\[\s*\])*)$/.exec(given)!;
  const arrays = (arrayMatch[2]!.match(/\[/g) ?? []).length;
  const enumSql = /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$/.test(arrayMatch[1]!) ? enumType(snapshot, arrayMatch[1]!, tableSchema) : undefined;
  if (enumSql !== undefined) return `${enumSql}${'[]'.repeat(arrays)}`;

  const m = GRAMMAR.exec(given.toLowerCase().replace(/\s+/g, ' '));
  if (!m) throw refuse(field, given);
  const base = BASE_TYPES.get(m[1]!.trim());
  if (base === undefined) throw refuse(field, given);
  const [p, s] = [m[2], m[3]];
  if (s !== undefined && !TWO_MODIFIERS.has(base)) throw refuse(field, given);
  if (p !== undefined && !ONE_MODIFIER.has(base) && !TWO_MODIFIERS.has(base)) throw refuse(field, given);
  const dims = (m[4]!.match(/\[/g) ?? []).length;
  if (dims > 0 && SERIALS.has(base)) throw refuse(field, given);
  const mods = p === undefined ? '' : s === undefined ? `(${Number(p)})` : `(${Number(p)},${Number(s)})`;
  return `${base}${mods}${'[]'.repeat(dims)}`;
}
