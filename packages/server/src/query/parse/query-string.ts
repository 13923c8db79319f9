// A table request's query string → QueryRequest. Reserved keys (docs/rest.md "Filters") go
// to their own grammars, `rel.order`/`rel.limit`/`rel.or`… apply to an embed, and every
// other key is a filter `col=op.value` (`rel.col=…` for an embed's column).
import type { CountMode, FieldRef, JsonPathStep, QueryRequest, ScopedFilter, ScopedOrder, ScopedRange } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { decodeQueryString } from './decode.ts';
import { parseFilterWith } from './filter.ts';
import { parseLogicWith } from './logic.ts';
import { expectName, parseNameList, readJsonPath, type Name } from './names.ts';
import { VECTOR_OPS } from './operators.ts';
import { resolveLimits, type ParseOptions } from './options.ts';
import { parseOrderWith, readVector } from './order.ts';
import { Budget, Scanner } from './scanner.ts';
import { parseSelect } from './select.ts';

export type { ParseOptions } from './options.ts';

const MAX_INT = 2 ** 31 - 1;
const COUNT_MODES: readonly CountMode[] = ['exact', 'planned', 'estimated'];
const ROOT_KEYS = new Set(['select', 'count', 'cursor', 'cursor_column', 'on_conflict', 'columns']);
const FLUXBASE_KEYS = new Set(['group_by', 'truncate']);

/** A non-negative integer parameter (`limit`, `offset`, `truncate`). */
export function parseCount(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_INT) {
    throw new QueryError('INVALID_QUERY', `${name} must be a non-negative integer up to ${MAX_INT}, not ${quoteInput(value)}`, {
      details: { parameter: name },
    });
  }
  return Number(value);
}

export function parseCountMode(value: string): CountMode {
  if (!(COUNT_MODES as readonly string[]).includes(value)) {
    throw new QueryError('INVALID_QUERY', `count must be exact, planned or estimated, not ${quoteInput(value)}`, {
      details: { parameter: 'count' },
    });
  }
  return value as CountMode;
}

export interface Key {
  segments: Name[];
  path: JsonPathStep[];
}

/** `rel.sub.col->a`: names separated by dots, the last one optionally followed by a JSON path. */
export function parseKey(key: string): Key {
  const sc = new Scanner(key, 'INVALID_FILTER', 'parameter name');
  const segments: Name[] = [expectName(sc)];
  while (sc.eat('.')) segments.push(expectName(sc));
  const path = readJsonPath(sc);
  sc.expectEnd();
  return { segments, path };
}

const bare = (n: Name | undefined, word: string): boolean => n !== undefined && !n.quoted && n.name === word;

class Builder {
  readonly request: QueryRequest = { select: [{ kind: 'star' }], filters: [], order: [], ranges: [] };
  private readonly seen = new Set<string>();
  private readonly orders = new Map<string, ScopedOrder>();
  private readonly ranges = new Map<string, ScopedRange>();
  readonly budget: Budget;

  constructor(readonly options: ParseOptions) {
    this.budget = new Budget(resolveLimits(options));
  }

  once(key: string): void {
    if (this.seen.has(key)) throw new QueryError('INVALID_QUERY', `Parameter ${quoteInput(key)} is given more than once`, { details: { parameter: key } });
    this.seen.add(key);
  }

  root(name: string, value: string): void {
    const r = this.request;
    this.once(name);
    switch (name) {
      case 'select': r.select = parseSelect(value, this.options); break;
      case 'count': r.count = parseCountMode(value); break;
      case 'cursor': r.cursor = value; break;
      case 'cursor_column': r.cursorColumn = value; break;
      case 'on_conflict': r.onConflict = parseNameList(value, 'INVALID_QUERY', 'on_conflict'); break;
      case 'columns': r.columns = parseNameList(value, 'INVALID_QUERY', 'columns'); break;
      case 'group_by': r.groupBy = parseNameList(value, 'INVALID_QUERY', 'group_by'); break;
      case 'truncate': r.truncate = parseCount('truncate', value); break;
    }
  }

  order(path: string[], value: string, key: string): void {
    const id = JSON.stringify(path);
    const terms = parseOrderWith(value, this.budget, key);
    const existing = this.orders.get(id);
    if (existing) existing.terms.push(...terms);
    else {
      const scoped: ScopedOrder = { path, terms };
      this.orders.set(id, scoped);
      this.request.order.push(scoped);
    }
  }

  range(path: string[], which: 'limit' | 'offset', value: string, key: string): void {
    this.once(key);
    const id = JSON.stringify(path);
    let scoped = this.ranges.get(id);
    if (!scoped) {
      scoped = { path };
      this.ranges.set(id, scoped);
      this.request.ranges.push(scoped);
    }
    scoped[which] = parseCount(key, value);
  }

  filter(path: string[], field: FieldRef, value: string): void {
    if (isVectorFilter(field, value, this.budget)) return;
    const node = parseFilterWith(field, value, this.budget);
    this.request.filters.push({ path, node } satisfies ScopedFilter);
  }

  logic(path: string[], kind: 'and' | 'or', negated: boolean, value: string): void {
    const scope = path.length > 0 ? `${path.join('.')}.` : '';
    this.request.filters.push({ path, node: parseLogicWith(kind, negated, value, this.budget, scope) });
  }
}

/**
 * The Fluxbase SDK's vectorSearch() sends `col=vec_cos.(0.1,…)` next to the ordering that
 * does the work; a distance is not a condition, so the term is checked and dropped.
 */
function isVectorFilter(field: FieldRef, value: string, budget: Budget): boolean {
  const m = /^([a-z0-9_]+)\./.exec(value);
  if (!m || !VECTOR_OPS.has(m[1] ?? '')) return false;
  const list = value.slice((m[1] ?? '').length + 1).replace(/^\((.*)\)$/s, '[$1]');
  const sc = new Scanner(list, 'INVALID_FILTER', `filter on ${quoteInput(field.column)}`);
  readVector(sc, budget.limits.maxInItems);
  sc.expectEnd();
  return true;
}

function dispatch(b: Builder, key: string, value: string): void {
  if (key === '') throw new QueryError('INVALID_QUERY', 'A query parameter has an empty name');
  const { segments, path } = parseKey(key);
  const last = segments[segments.length - 1] as Name;
  const single = segments.length === 1 && path.length === 0 && !last.quoted;
  if (single && (ROOT_KEYS.has(last.name) || (b.options.mount === 'fluxbase' && FLUXBASE_KEYS.has(last.name)))) {
    b.root(last.name, value);
    return;
  }
  const scope = segments.slice(0, -1);
  if (path.length === 0 && (bare(last, 'order') || bare(last, 'limit') || bare(last, 'offset'))) {
    const names = scope.map((s) => s.name);
    if (last.name === 'order') b.order(names, value, key);
    else b.range(names, last.name as 'limit' | 'offset', value, key);
    return;
  }
  if (path.length === 0 && (bare(last, 'and') || bare(last, 'or'))) {
    const negated = bare(scope[scope.length - 1], 'not');
    const names = (negated ? scope.slice(0, -1) : scope).map((s) => s.name);
    b.logic(names, last.name as 'and' | 'or', negated, value);
    return;
  }
  b.filter(scope.map((s) => s.name), { column: last.name, path }, value);
}

/** `raw`: the URL's query string after `?`, still percent-encoded. */
export function parseQueryString(raw: string, options: ParseOptions): QueryRequest {
  const limits = resolveLimits(options);
  if (raw.length > limits.maxQueryLength) {
    throw new QueryError('INVALID_QUERY', `The query string is longer than ${limits.maxQueryLength} characters`, {
      details: { limit: limits.maxQueryLength, length: raw.length },
      hint: 'Send long queries as a JSON body to POST …/query',
    });
  }
  const b = new Builder(options);
  for (const { key, value } of decodeQueryString(raw)) dispatch(b, key, value);
  const r = b.request;
  if (r.cursor !== undefined && r.ranges.some((x) => x.path.length === 0 && x.offset !== undefined)) {
    throw new QueryError('INVALID_CURSOR', 'cursor cannot be combined with offset');
  }
  return r;
}
