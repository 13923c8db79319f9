// In-memory filter evaluation (realtime shares it): a FilterNode is compiled once into a
// predicate over rows as PostgreSQL renders them to JSON, with SQL's three-valued logic, and
// true only where PostgreSQL's WHERE would be TRUE. Whatever cannot be decided exactly
// (full-text search, geometry, ranges, unmodelled types or regex features) is refused up
// front by assertEvaluable with INVALID_FILTER, so subscriptions never silently mismatch.
// Assumptions: text compares in code point order (the C collation, the embedded default),
// and a jsonb column holding JSON `null` is indistinguishable from SQL NULL in a JSON row.
import type { Column } from '../db/index.ts';
import type { FilterLeaf, FilterNode, JsonPathStep } from './ast.ts';
import { QueryError, quoteInput } from './errors.ts';
import { extractPath, jsonContains, type Json } from './eval/jsonb.ts';
import {
  BadValue, columnKind, compareScalar, equalValues, parseValue, rowValue, textForm, type Kind, type ScalarKind, type Value,
} from './eval/kinds.ts';
import { compileLike, matchLike, translateRegex, Unsupported } from './eval/patterns.ts';
import { closestName } from './suggest.ts';

type Tri = boolean | null;
type Row = Record<string, unknown>;
type Pred = (row: Row) => Tri;

interface Access {
  kind: Kind;
  /** The field's value in a row; undefined is SQL NULL. */
  get(row: Row): Value | undefined;
}

const SCALAR = new Set(['int', 'numeric', 'float', 'text', 'bool', 'uuid', 'enum']);
const isScalar = (k: Kind): k is ScalarKind => SCALAR.has(k.kind);

function refuse(leaf: FilterLeaf, why: string): never {
  throw new QueryError('INVALID_FILTER', `The filter on ${quoteInput(leaf.field.column)} cannot be evaluated in memory: ${why}`, {
    details: { column: leaf.field.column, operator: leaf.operation.op },
  });
}

function access(leaf: FilterLeaf, columns: ReadonlyMap<string, Column>): Access {
  const name = leaf.field.column;
  const column = columns.get(name);
  if (!column) {
    const closest = closestName(name, columns.keys());
    throw new QueryError('UNKNOWN_COLUMN', `Column ${quoteInput(name)} does not exist`, {
      details: { column: name }, hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : undefined,
    });
  }
  const path: readonly JsonPathStep[] = leaf.field.path;
  if (path.length === 0) {
    const kind = columnKind(column);
    return { kind, get: (row) => { const raw = row[name]; return raw === null || raw === undefined ? undefined : rowValue(kind, raw); } };
  }
  if (column.udtName !== 'jsonb' && column.udtName !== 'json') refuse(leaf, 'a JSON path needs a json or jsonb column');
  if (path.slice(0, -1).some((s) => s.op === '->>')) refuse(leaf, '->> must be the last step of a JSON path');
  const text = path[path.length - 1]?.op === '->>';
  // json (unlike jsonb) keeps its stored text, which a JSON row no longer carries.
  if (text && column.udtName === 'json') refuse(leaf, '->> on a json column returns its stored text; use jsonb');
  return {
    kind: text ? { kind: 'text' } : { kind: 'jsonb' },
    get: (row) => { const raw = row[name]; return raw === null || raw === undefined ? undefined : extractPath(raw as Json, path); },
  };
}

function parseOr(leaf: FilterLeaf, kind: Kind, text: string): Value {
  try {
    return parseValue(kind, text);
  } catch (err) {
    if (err instanceof BadValue) {
      throw new QueryError('INVALID_FILTER', `Invalid value for ${quoteInput(leaf.field.column)}: ${err.message}`, {
        details: { column: leaf.field.column, operator: leaf.operation.op },
      });
    }
    throw err;
  }
}

type Test = (x: Value, target: Value) => boolean;

/** The comparison a leaf's operator makes between a row value and one target value. */
function comparison(leaf: FilterLeaf, op: string, kind: Kind): Test {
  if (op === 'eq') return (x, t) => equalValues(kind, x, t);
  if (op === 'neq') return (x, t) => !equalValues(kind, x, t);
  if (!isScalar(kind)) refuse(leaf, `${op} on this type is not modelled`);
  switch (op) {
    case 'gt': return (x, t) => compareScalar(kind, x, t) > 0;
    case 'gte': return (x, t) => compareScalar(kind, x, t) >= 0;
    case 'lt': return (x, t) => compareScalar(kind, x, t) < 0;
    default: return (x, t) => compareScalar(kind, x, t) <= 0;
  }
}

function equalityKind(leaf: FilterLeaf, kind: Kind, list = false): void {
  if (kind.kind === 'other') refuse(leaf, `values of type ${kind.type} are not modelled`);
  // `arr = ANY(…)` compares an array with elements: an error in PostgreSQL.
  if (list && kind.kind === 'array') refuse(leaf, 'lists of values are not compared with array columns');
}

/** LIKE/ILIKE/~/~* as a test on the value's text form. */
function patternTest(leaf: FilterLeaf, op: string, kind: Kind, pattern: string): (x: Value) => boolean {
  if (kind.kind === 'jsonb' || kind.kind === 'array' || kind.kind === 'other' || kind.kind === 'numeric' || kind.kind === 'float') {
    refuse(leaf, `${op} on the text form of this type is not modelled`);
  }
  try {
    if (op === 'like' || op === 'ilike') {
      const fold = op === 'ilike';
      const tokens = compileLike(pattern.replaceAll('*', '%'), fold);
      return (x) => matchLike(tokens, textForm(kind, x) ?? '', fold);
    }
    const re = translateRegex(pattern, op === 'imatch');
    return (x) => re.test(textForm(kind, x) ?? '');
  } catch (err) {
    if (err instanceof Unsupported) refuse(leaf, err.message);
    throw err;
  }
}

const PATTERN_OPS = new Set(['like', 'ilike', 'match', 'imatch']);

function quantified(leaf: FilterLeaf, a: Access, op: string, quantifier: 'any' | 'all', values: string[]): Pred {
  let tests: ((x: Value) => boolean)[];
  if (PATTERN_OPS.has(op)) tests = values.map((v) => patternTest(leaf, op, a.kind, v));
  else {
    equalityKind(leaf, a.kind, true);
    const cmp = comparison(leaf, op, a.kind);
    tests = values.map((v) => { const t = parseOr(leaf, a.kind, v); return (x: Value) => cmp(x, t); });
  }
  if (tests.length === 0) return () => quantifier === 'all';
  return (row) => {
    const x = a.get(row);
    if (x === undefined) return null;
    return quantifier === 'any' ? tests.some((t) => t(x)) : tests.every((t) => t(x));
  };
}

function arrayContains(kind: ScalarKind, a: Value[], b: Value[]): boolean {
  return b.every((e) => e !== null && a.some((x) => x !== null && compareScalar(kind, x, e) === 0));
}

function containment(leaf: FilterLeaf, a: Access, op: 'cs' | 'cd' | 'ov', text: string): Pred {
  const { kind } = a;
  if (kind.kind === 'jsonb' && op !== 'ov') {
    const t = parseOr(leaf, kind, text) as Json;
    return (row) => { const x = a.get(row) as Json | undefined; return x === undefined ? null : op === 'cs' ? jsonContains(x, t) : jsonContains(t, x); };
  }
  if (kind.kind !== 'array') refuse(leaf, `${op} is modelled for arrays${op === 'ov' ? '' : ' and jsonb'} only`);
  const t = parseOr(leaf, kind, text) as Value[];
  const el = kind.element;
  return (row) => {
    const x = a.get(row) as Value[] | undefined;
    if (x === undefined) return null;
    if (op === 'cs') return arrayContains(el, x, t);
    if (op === 'cd') return arrayContains(el, t, x);
    return x.some((v) => v !== null && t.some((w) => w !== null && compareScalar(el, v, w) === 0));
  };
}

function leafPred(leaf: FilterLeaf, columns: ReadonlyMap<string, Column>): Pred {
  const a = access(leaf, columns);
  const o = leaf.operation;
  const nullable = (test: (x: Value) => boolean): Pred => (row) => { const x = a.get(row); return x === undefined ? null : test(x); };
  if (o.op === 'is') {
    if (o.value === 'null') return (row) => a.get(row) === undefined;
    if (a.kind.kind !== 'bool') refuse(leaf, `IS ${o.value.toUpperCase()} needs a boolean column`);
    if (o.value === 'unknown') return (row) => a.get(row) === undefined;
    const want = o.value === 'true';
    return (row) => a.get(row) === want;
  }
  if (o.op === 'in') {
    equalityKind(leaf, a.kind, true);
    const targets = o.values.map((v) => parseOr(leaf, a.kind, v));
    if (targets.length === 0) return () => false;
    return nullable((x) => targets.some((t) => equalValues(a.kind, x, t)));
  }
  if ('quantifier' in o) return quantified(leaf, a, o.op, o.quantifier, o.values);
  switch (o.op) {
    case 'eq': case 'neq': case 'gt': case 'gte': case 'lt': case 'lte': {
      equalityKind(leaf, a.kind);
      const cmp = comparison(leaf, o.op, a.kind);
      const t = parseOr(leaf, a.kind, o.value);
      return nullable((x) => cmp(x, t));
    }
    case 'isdistinct': {
      equalityKind(leaf, a.kind);
      const t = parseOr(leaf, a.kind, o.value);
      return (row) => { const x = a.get(row); return x === undefined || !equalValues(a.kind, x, t); };
    }
    case 'like': case 'ilike': case 'match': case 'imatch':
      return nullable(patternTest(leaf, o.op, a.kind, o.value));
    case 'cs': case 'cd': case 'ov':
      return containment(leaf, a, o.op, o.value);
    case 'fts': case 'plfts': case 'phfts': case 'wfts':
      return refuse(leaf, 'full-text search needs the database');
    default:
      return refuse(leaf, `${o.op} is not modelled`);
  }
}

function compileNode(node: FilterNode, columns: ReadonlyMap<string, Column>): Pred {
  if (node.kind === 'filter') {
    const p = leafPred(node, columns);
    return node.negated ? (row) => { const r = p(row); return r === null ? null : !r; } : p;
  }
  const children = node.children.map((c) => compileNode(c, columns));
  const isAnd = node.kind === 'and';
  const group: Pred = (row) => {
    let sawNull = false;
    for (const c of children) {
      const r = c(row);
      if (r === null) sawNull = true;
      else if (r !== isAnd) return r;
    }
    return sawNull ? null : isAnd;
  };
  return node.negated ? (row) => { const r = group(row); return r === null ? null : !r; } : group;
}

const cache = new WeakMap<FilterNode, { columns: ReadonlyMap<string, Column>; pred: Pred }>();

function predicate(node: FilterNode, columns: ReadonlyMap<string, Column>): Pred {
  const hit = cache.get(node);
  if (hit && hit.columns === columns) return hit.pred;
  const pred = compileNode(node, columns);
  cache.set(node, { columns, pred });
  return pred;
}

/** Throws QueryError (INVALID_FILTER, UNKNOWN_COLUMN) when the filter cannot be evaluated exactly in memory. */
export function assertEvaluable(node: FilterNode, columns: ReadonlyMap<string, Column>): void {
  predicate(node, columns);
}

/** True only when PostgreSQL's WHERE would be TRUE for this row (rendered as JSON by PostgreSQL). */
export function evaluateFilter(node: FilterNode, row: Record<string, unknown>, columns: ReadonlyMap<string, Column>): boolean {
  return predicate(node, columns)(row) === true;
}

/**
 * For a filter that is a single `column=eq.value` on a column whose values compare by their
 * canonical form (integers, text, uuid, boolean, enums), the column and that form, so that
 * many such filters can be looked up by value instead of evaluated one by one (realtime
 * subscriptions, docs/realtime.md "Filters"). Undefined for anything else.
 */
export function equalityKeyOf(node: FilterNode, columns: ReadonlyMap<string, Column>): { column: string; key: string } | undefined {
  if (node.kind !== 'filter' || node.negated || node.field.path.length > 0 || node.operation.op !== 'eq' || !('value' in node.operation)) return undefined;
  const column = columns.get(node.field.column);
  if (!column) return undefined;
  const kind = columnKind(column);
  if (!INDEXABLE.has(kind.kind)) return undefined;
  try {
    return { column: column.name, key: canonical(parseValue(kind, node.operation.value)) };
  } catch {
    return undefined;
  }
}

/** The canonical form of a row's value of an indexable column (see equalityKeyOf); undefined for NULL or other kinds. */
export function rowEqualityKey(column: Column, raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const kind = columnKind(column);
  if (!INDEXABLE.has(kind.kind)) return undefined;
  const v = rowValue(kind, raw);
  return v === undefined ? undefined : canonical(v);
}

/** Kinds whose in-memory values are equal exactly when their canonical forms are (query/eval/kinds.ts). */
const INDEXABLE = new Set(['int', 'text', 'uuid', 'bool', 'enum']);

function canonical(v: Value): string {
  return `${typeof v}:${String(v)}`;
}
