// `::type` casts in select: the type text reaches SQL, so it is never taken from the
// client verbatim. A cast is resolved to a canonical type name from a fixed list (plus
// enum types in the schema cache), optionally with a numeric modifier and `[]`.
import type { SchemaSnapshot } from '../../db/index.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { qualified } from '../ident.ts';

const BUILTIN: Record<string, string> = {
  text: 'text', varchar: 'varchar', 'character varying': 'varchar', char: 'char', character: 'char', bpchar: 'bpchar', name: 'name', citext: 'citext',
  int: 'integer', integer: 'integer', int4: 'integer', smallint: 'smallint', int2: 'smallint', bigint: 'bigint', int8: 'bigint',
  numeric: 'numeric', decimal: 'numeric', real: 'real', float4: 'real', float: 'double precision', float8: 'double precision', 'double precision': 'double precision',
  money: 'money', bool: 'boolean', boolean: 'boolean',
  json: 'json', jsonb: 'jsonb', uuid: 'uuid', bytea: 'bytea', xml: 'xml',
  date: 'date', time: 'time', timetz: 'timetz', timestamp: 'timestamp', timestamptz: 'timestamptz', interval: 'interval',
  'timestamp with time zone': 'timestamptz', 'timestamp without time zone': 'timestamp', 'time with time zone': 'timetz', 'time without time zone': 'time',
  inet: 'inet', cidr: 'cidr', macaddr: 'macaddr', tsvector: 'tsvector', tsquery: 'tsquery', oid: 'oid',
  int4range: 'int4range', int8range: 'int8range', numrange: 'numrange', tsrange: 'tsrange', tstzrange: 'tstzrange', daterange: 'daterange',
  point: 'point', line: 'line', box: 'box', circle: 'circle', polygon: 'polygon', path: 'path', bit: 'bit', varbit: 'varbit',
};

const CAST = /^([a-z_][a-z0-9_ ]*?)\s*(?:\((\d{1,4})(?:,\s*(\d{1,4}))?\))?\s*(\[\])?$/i;

/** Canonical SQL for a client-supplied cast, or QueryError INVALID_QUERY. */
export function resolveCast(text: string, snapshot: SchemaSnapshot, schema: string): string {
  const m = CAST.exec(text.trim());
  if (!m) throw new QueryError('INVALID_QUERY', `Invalid cast ${quoteInput(text)}`, { hint: 'Use a type name such as text, integer, numeric(10,2) or text[]' });
  const base = m[1]!.toLowerCase().replace(/\s+/g, ' ');
  let sql = BUILTIN[base];
  if (sql === undefined) {
    const en = snapshot.enums.get(`${schema}.${base}`) ?? [...snapshot.enums.values()].find((e) => e.name === base && snapshot.exposedSchemas.includes(e.schema));
    if (!en) throw new QueryError('INVALID_QUERY', `Unknown cast type ${quoteInput(text)}`, { hint: 'Use a built-in type name or an enum of an exposed schema' });
    sql = qualified(en.schema, en.name);
  }
  if (m[2] !== undefined) sql += m[3] !== undefined ? `(${Number(m[2])},${Number(m[3])})` : `(${Number(m[2])})`;
  if (m[4]) sql += '[]';
  return sql;
}
