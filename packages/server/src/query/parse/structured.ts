// The JSON body of `POST …/query` (docs/rest.md "Queries in a JSON body") → the same
// QueryRequest as a query string. Values keep their JSON type: `in` takes an array, objects
// and arrays become JSON text, null and booleans become `null`/`true`/`false`. Wrong shapes
// are INVALID_REQUEST_BODY.
import type { FieldRef, FilterLeaf, FilterNode, OrderTerm, QueryRequest, ScopedFilter } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { parseFilterWith } from './filter.ts';
import { parseLogicWith } from './logic.ts';
import { VECTOR_OPS } from './operators.ts';
import { resolveLimits, type ParseOptions } from './options.ts';
import { parseOrderTarget } from './order.ts';
import { parseCount, parseCountMode, parseKey } from './query-string.ts';
import { Budget } from './scanner.ts';
import { parseSelect } from './select.ts';

const KEYS = ['select', 'filters', 'orFilters', 'andFilters', 'betweenFilters', 'order', 'limit', 'offset', 'count', 'groupBy', 'cursor', 'cursor_column'];

function badBody(message: string, field?: string): never {
  throw new QueryError('INVALID_REQUEST_BODY', message, field ? { details: { field } } : {});
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown): boolean => v === undefined || v === null;

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') badBody(`${field} must be a string`, field);
  if (v.includes('\0')) badBody(`${field} contains a NUL character`, field);
  return v;
}

function arrayOf(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) badBody(`${field} must be an array`, field);
  return v;
}

/** A JSON value as filter text: strings as they are, objects and arrays as JSON. */
function valueText(v: unknown, field: string): string {
  if (typeof v === 'string') return str(v, field);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const json = JSON.stringify(v);
  if (json.includes('\\u0000')) badBody(`${field} contains a NUL character`, field);
  return json;
}

function columnRef(v: unknown, field: string): { path: string[]; field: FieldRef } {
  const { segments, path } = parseKey(str(v, field));
  const last = segments[segments.length - 1];
  return { path: segments.slice(0, -1).map((s) => s.name), field: { column: last?.name ?? '', path } };
}

function listValues(v: unknown[], field: string, max: number): string[] {
  if (v.length > max) throw new QueryError('INVALID_FILTER', `List has more than ${max} items; the limit is ${max}`, { details: { limit: max, field } });
  return v.map((x, i) => valueText(x, `${field}[${i}]`));
}

function filterEntry(entry: unknown, i: number, budget: Budget): ScopedFilter | undefined {
  const at = `filters[${i}]`;
  if (!isObject(entry)) badBody(`${at} must be an object {column, operator, value}`, at);
  const { path, field } = columnRef(entry.column, `${at}.column`);
  const operator = str(entry.operator, `${at}.operator`);
  const value = entry.value;
  if (VECTOR_OPS.has(operator)) {
    // The SDK's vectorSearch() also sends the ordering, which does the work (see query-string.ts).
    if (!Array.isArray(value) || !value.every((n) => typeof n === 'number' && Number.isFinite(n))) badBody(`${at}.value must be an array of numbers`, at);
    return undefined;
  }
  if (operator === 'not') return { path, node: parseFilterWith(field, `not.${str(value, `${at}.value`)}`, budget) };
  if (Array.isArray(value) && /^(not\.)?(in|[a-z]+\((any|all)\))$/.test(operator)) {
    // Parse the operator with an empty list, then put the JSON items in as they are.
    const isIn = /^(not\.)?in$/.test(operator);
    const leaf: FilterLeaf = parseFilterWith(field, `${operator}.${isIn ? '()' : '{}'}`, budget);
    const values = listValues(value, `${at}.value`, budget.limits.maxInItems);
    return { path, node: { ...leaf, operation: { ...leaf.operation, values } as FilterLeaf['operation'] } };
  }
  return { path, node: parseFilterWith(field, `${operator}.${valueText(value, `${at}.value`)}`, budget) };
}

function logicEntries(v: unknown, kind: 'and' | 'or', budget: Budget): ScopedFilter[] {
  const field = `${kind}Filters`;
  return arrayOf(v, field).map((s, i) => {
    const text = str(s, `${field}[${i}]`).trim();
    return { path: [], node: parseLogicWith(kind, false, text.startsWith('(') ? text : `(${text})`, budget) };
  });
}

function betweenEntry(entry: unknown, i: number, budget: Budget): ScopedFilter[] {
  const at = `betweenFilters[${i}]`;
  if (!isObject(entry)) badBody(`${at} must be an object {column, min, max, negated?}`, at);
  const { path, field } = columnRef(entry.column, `${at}.column`);
  if (absent(entry.min) || absent(entry.max)) badBody(`${at} needs min and max`, at);
  const leaf = (op: 'gte' | 'lte' | 'lt' | 'gt', v: unknown): FilterLeaf => {
    budget.addFilterTerm();
    return { kind: 'filter', field, negated: false, operation: { op, value: valueText(v, at) } };
  };
  if (entry.negated === true) {
    const node: FilterNode = { kind: 'or', negated: false, children: [leaf('lt', entry.min), leaf('gt', entry.max)] };
    return [{ path, node }];
  }
  if (!absent(entry.negated) && entry.negated !== false) badBody(`${at}.negated must be a boolean`, at);
  return [{ path, node: leaf('gte', entry.min) }, { path, node: leaf('lte', entry.max) }];
}

function orderEntry(entry: unknown, i: number, budget: Budget): OrderTerm {
  const at = `order[${i}]`;
  if (!isObject(entry)) badBody(`${at} must be an object {column, direction, nulls?}`, at);
  budget.addOrderTerm();
  const term = parseOrderTarget(str(entry.column, `${at}.column`));
  if (!absent(entry.direction)) {
    if (entry.direction !== 'asc' && entry.direction !== 'desc') badBody(`${at}.direction must be "asc" or "desc"`, at);
    term.direction = entry.direction;
  }
  if (!absent(entry.nulls)) {
    if (entry.nulls !== 'first' && entry.nulls !== 'last') badBody(`${at}.nulls must be "first" or "last"`, at);
    term.nulls = entry.nulls;
  }
  if (!absent(entry.vectorOp)) {
    const op = entry.vectorOp;
    const value = entry.vectorValue;
    if (typeof op !== 'string' || !VECTOR_OPS.has(op)) badBody(`${at}.vectorOp must be vec_l2, vec_cos or vec_ip`, at);
    if (!Array.isArray(value) || value.length === 0 || value.length > budget.limits.maxInItems || !value.every((n) => typeof n === 'number' && Number.isFinite(n))) {
      badBody(`${at}.vectorValue must be a non-empty array of numbers`, at);
    }
    term.vector = { op: op as 'vec_l2' | 'vec_cos' | 'vec_ip', value: value as number[] };
  }
  return term;
}

function nonNegative(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) badBody(`${field} must be a non-negative integer`, field);
  return parseCount(field, String(v));
}

export function parseStructuredQuery(body: unknown, options: ParseOptions): QueryRequest {
  if (!isObject(body)) badBody('The query body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    throw new QueryError('INVALID_REQUEST_BODY', `Unknown query body field ${quoteInput(unknown[0] ?? '')}`, {
      details: { fields: unknown }, hint: `Known fields: ${KEYS.join(', ')}`,
    });
  }
  const budget = new Budget(resolveLimits(options));
  const r: QueryRequest = { select: [{ kind: 'star' }], filters: [], order: [], ranges: [] };
  if (!absent(body.select)) r.select = parseSelect(str(body.select, 'select'), options);
  if (!absent(body.filters)) {
    arrayOf(body.filters, 'filters').forEach((f, i) => {
      const scoped = filterEntry(f, i, budget);
      if (scoped) r.filters.push(scoped);
    });
  }
  if (!absent(body.orFilters)) r.filters.push(...logicEntries(body.orFilters, 'or', budget));
  if (!absent(body.andFilters)) r.filters.push(...logicEntries(body.andFilters, 'and', budget));
  if (!absent(body.betweenFilters)) arrayOf(body.betweenFilters, 'betweenFilters').forEach((b, i) => r.filters.push(...betweenEntry(b, i, budget)));
  if (!absent(body.order)) {
    const terms = arrayOf(body.order, 'order').map((o, i) => orderEntry(o, i, budget));
    if (terms.length > 0) r.order.push({ path: [], terms });
  }
  const limit = absent(body.limit) ? undefined : nonNegative(body.limit, 'limit');
  const offset = absent(body.offset) ? undefined : nonNegative(body.offset, 'offset');
  if (limit !== undefined || offset !== undefined) {
    r.ranges.push({ path: [], ...(limit !== undefined ? { limit } : {}), ...(offset !== undefined ? { offset } : {}) });
  }
  if (!absent(body.count)) r.count = parseCountMode(str(body.count, 'count'));
  if (!absent(body.groupBy)) {
    r.groupBy = arrayOf(body.groupBy, 'groupBy').map((g, i) => {
      const name = str(g, `groupBy[${i}]`);
      if (name === '') badBody(`groupBy[${i}] must not be empty`, 'groupBy');
      return name;
    });
  }
  if (!absent(body.cursor)) r.cursor = str(body.cursor, 'cursor');
  if (!absent(body.cursor_column)) r.cursorColumn = str(body.cursor_column, 'cursor_column');
  if (r.cursor !== undefined && offset !== undefined) throw new QueryError('INVALID_CURSOR', 'cursor cannot be combined with offset');
  return r;
}
