// RPC planning: choosing the overload a call names (by its argument names, PostgREST's
// rule) and describing what the result is: a scalar, a set of scalars, rows (which can
// be filtered, ordered and embedded like a table) or nothing.
import type { Column, DbFunction, SchemaSnapshot, Table } from '../../db/index.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { closestName } from '../suggest.ts';

export type RpcResultKind = 'void' | 'scalar' | 'scalar_set' | 'rows';

export interface RpcTarget {
  fn: DbFunction;
  /** The function takes the whole body as its one unnamed json/jsonb argument. */
  wholeBody: boolean;
  result: RpcResultKind;
  /** For `rows`: the relation (or a synthetic one) the rows have the shape of. */
  table: Table | null;
}

const JSON_TYPES = new Set(['json', 'jsonb']);

function acceptsWholeBody(fn: DbFunction): boolean {
  return fn.args.length === 1 && fn.args[0]!.name === '' && JSON_TYPES.has(fn.args[0]!.udtName);
}

function matchesNames(fn: DbFunction, names: Set<string>): boolean {
  const argNames = new Set(fn.args.map((a) => a.name));
  for (const n of names) if (!argNames.has(n)) return false;
  return fn.args.every((a) => a.hasDefault || (a.name !== '' && names.has(a.name)));
}

function syntheticTable(fn: DbFunction): Table {
  const columns: Column[] = (fn.returnColumns ?? []).map((c, i) => ({
    name: c.name, position: i + 1, type: c.type, udtName: c.udtName, udtSchema: 'pg_catalog', category: c.type.endsWith('[]') ? 'A' : 'U',
    elementType: null, nullable: true, default: null, generated: false, identity: null, maxLength: null, enumValues: null, comment: null,
  }));
  return {
    schema: fn.schema, name: fn.name, kind: 'view', columns, columnMap: new Map(columns.map((c) => [c.name, c])),
    primaryKey: [], uniqueKeys: [], indexes: [], insertable: false, updatable: false, deletable: false, rlsEnabled: false, estimatedRows: -1, comment: null,
  };
}

export function resultKind(fn: DbFunction): RpcResultKind {
  if (fn.returnTypeName === 'void') return 'void';
  if (fn.returnsScalar) return fn.returnsSet ? 'scalar_set' : 'scalar';
  return 'rows';
}

export function resolveFunction(snapshot: SchemaSnapshot, schema: string, name: string, argNames: string[], bodyIsObject: boolean): RpcTarget {
  const overloads = snapshot.functions.get(`${schema}.${name}`) ?? [];
  if (overloads.length === 0) {
    const names = [...snapshot.functions.keys()].filter((k) => k.startsWith(`${schema}.`)).map((k) => k.slice(schema.length + 1));
    const closest = closestName(name, names);
    throw new QueryError('FUNCTION_NOT_FOUND', `Could not find the function ${quoteInput(`${schema}.${name}`)} in the schema cache`, {
      details: { function: `${schema}.${name}`, arguments: argNames },
      hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : undefined,
    });
  }
  const names = new Set(argNames);
  let matches = overloads.filter((f) => matchesNames(f, names));
  let wholeBody = false;
  if (matches.length === 0 && bodyIsObject) {
    matches = overloads.filter(acceptsWholeBody);
    wholeBody = matches.length > 0;
  }
  if (matches.length === 0) {
    throw new QueryError('FUNCTION_NOT_FOUND', `No overload of ${quoteInput(`${schema}.${name}`)} takes the arguments (${argNames.join(', ')})`, {
      details: { function: `${schema}.${name}`, arguments: argNames },
      hint: `Expected one of: ${overloads.map((f) => `${name}(${f.args.map((a) => a.name || '<unnamed>').join(', ')})`).join('; ')}`,
    });
  }
  if (matches.length > 1) {
    // Prefer the overload whose argument list is exactly the names given.
    const exact = matches.filter((f) => f.args.length === names.size);
    if (exact.length === 1) matches = exact;
    else {
      throw new QueryError('AMBIGUOUS_FUNCTION', `Could not choose between overloads of ${quoteInput(`${schema}.${name}`)}`, {
        details: { candidates: matches.map((f) => `${name}(${f.args.map((a) => `${a.name} ${a.type}`).join(', ')})`) },
        hint: 'Rename the overloads or pass arguments that only one of them takes',
      });
    }
  }
  const fn = matches[0]!;
  const result = resultKind(fn);
  let table: Table | null = null;
  if (result === 'rows') {
    table = fn.returnsRelation ? snapshot.tables.get(`${fn.returnsRelation.schema}.${fn.returnsRelation.name}`) ?? syntheticTable(fn) : syntheticTable(fn);
  }
  return { fn, wholeBody, result, table };
}
