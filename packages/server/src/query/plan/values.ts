// Filter values checked against their column's type while planning, so a common mistake
// (`id=eq.abc` on an integer column) is a 400 that names the column, its type and the
// value, instead of PostgreSQL's bare `invalid input syntax for type integer`. Only
// types with an unambiguous text form are checked (integers, numbers, booleans, uuids);
// anything else is left to PostgreSQL, whose error is mapped to 400 INVALID_INPUT too.
import type { Column, Table } from '../../db/index.ts';
import type { Operation } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};
const FLOATS = new Set(['float4', 'float8', 'numeric']);
const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;
const SPECIAL_NUMBER = /^\s*([+-]?(infinity|inf)|nan)\s*$/i;
// PostgreSQL's boolean input: the words and their unique prefixes, on/off, 1/0.
const BOOLEAN = /^\s*(t|tr|tru|true|y|ye|yes|on|1|f|fa|fal|fals|false|n|no|off|0)\s*$/i;

interface Kind {
  /** How the type is named in the message: "an integer", "a number", ... */
  noun: string;
  example: string;
  /** PostgreSQL's name of the type in its own messages. */
  pgName: string;
  /** Undefined when valid; else whether it is malformed (22P02) or out of range (22003). */
  problem(value: string): 'malformed' | 'out_of_range' | undefined;
}

const PG_NAMES: Record<string, string> = {
  int2: 'smallint', int4: 'integer', int8: 'bigint', float4: 'real', float8: 'double precision', numeric: 'numeric', bool: 'boolean', uuid: 'uuid',
};

function buildKind(udtName: string): Kind | undefined {
  const range = INTEGER_RANGES[udtName];
  const pgName = PG_NAMES[udtName] ?? udtName;
  const when = (ok: boolean) => (ok ? undefined : 'malformed' as const);
  if (range) {
    return {
      noun: `an integer between ${range[0]} and ${range[1]}`, example: '1', pgName,
      problem: (v) => {
        // The common case, 1 to 15 plain digits, without a regex or a trim: this runs per value per request.
        if (v.length <= 15 && isDigits(v)) {
          const n = Number(v);
          return n >= Number(range[0]) && n <= Number(range[1]) ? undefined : 'out_of_range';
        }
        if (!/^\s*[+-]?\d+\s*$/.test(v)) return 'malformed';
        // Up to 15 digits fit a double exactly: skip the BigInt for the common case.
        const trimmed = v.trim();
        if (trimmed.replace(/^[+-]/, '').length <= 15) {
          const n = Number(trimmed);
          return n >= Number(range[0]) && n <= Number(range[1]) ? undefined : 'out_of_range';
        }
        const n = BigInt(trimmed);
        return n >= range[0] && n <= range[1] ? undefined : 'out_of_range';
      },
    };
  }
  if (FLOATS.has(udtName)) return { noun: 'a number', example: '1.5', pgName, problem: (v) => when(NUMBER.test(v) || SPECIAL_NUMBER.test(v)) };
  if (udtName === 'bool') return { noun: 'true or false', example: 'true', pgName, problem: (v) => when(BOOLEAN.test(v)) };
  if (udtName === 'uuid') {
    return {
      noun: 'a UUID', example: '8b1b2b7e-0c1a-4a33-9a57-3a4b1d1c2f00', pgName,
      problem: (v) => when(/^[0-9a-f]{32}$/i.test(v.trim().replace(/^\{(.*)\}$/, '$1').replace(/-/g, ''))),
    };
  }
  return undefined;
}

function isDigits(v: string): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

// One Kind per type name, built once: this runs for every filter value of every request.
const KINDS = new Map<string, Kind | undefined>();
function kindOf(column: Column): Kind | undefined {
  if (!KINDS.has(column.udtName)) KINDS.set(column.udtName, buildKind(column.udtName));
  return KINDS.get(column.udtName);
}

const CHECKED_OPS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'isdistinct', 'in']);

/** Throw INVALID_INPUT when `value` cannot be of `column`'s type (what checkOperationValues does per value). */
export function checkValue(table: Table, column: Column, op: string, value: string): void {
  const kind = kindOf(column);
  const problem = kind?.problem(value);
  if (!kind || !problem) return;
  throw new QueryError('INVALID_INPUT', `${quoteInput(value)} is not a valid value for column ${quoteInput(column.name)}: it is ${column.type}, so the value must be ${kind.noun}`, {
    details: { table: `${table.schema}.${table.name}`, column: column.name, type: column.type, value: value.length > 60 ? `${value.slice(0, 60)}…` : value },
    hint: `For example ?${column.name}=${op}.${op === 'in' ? `(${kind.example})` : kind.example}`,
    pg: problem === 'malformed'
      ? { sqlstate: '22P02', message: `invalid input syntax for type ${kind.pgName}: ${JSON.stringify(value)}` }
      : { sqlstate: '22003', message: `value ${JSON.stringify(value)} is out of range for type ${kind.pgName}` },
  });
}

/**
 * Throw INVALID_INPUT for a comparison value that cannot be of its column's type (the
 * planner calls it for each path-less filter leaf; JSON paths compare text or jsonb).
 */
export function checkOperationValues(table: Table, column: Column, operation: Operation): void {
  if (column.category === 'A' || !CHECKED_OPS.has(operation.op)) return;
  if ('values' in operation) for (const v of operation.values) checkValue(table, column, operation.op, v);
  else if ('value' in operation && typeof operation.value === 'string') checkValue(table, column, operation.op, operation.value);
}
