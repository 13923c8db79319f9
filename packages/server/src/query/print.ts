// The inverse of parse/: an AST back to PostgREST query syntax, quoting names and values
// only where the grammar needs it, so parse(print(x)) deep-equals x. Used by tests, by
// clients that build URLs from an AST, and to log requests in a canonical form.
import type { FieldRef, FilterLeaf, FilterNode, OrderTerm, QueryRequest, SelectItem } from './ast.ts';

const SAFE_NAME = /^[\p{L}\p{M}\p{N}_$]+$/u;
/** Bare words that mean something in a key, a select list or an embed hint. */
const KEY_WORDS = new Set([
  'select', 'count', 'cursor', 'cursor_column', 'on_conflict', 'columns', 'group_by', 'truncate',
  'order', 'limit', 'offset', 'and', 'or', 'not',
]);
const EMBED_WORDS = new Set(['count', 'sum', 'avg', 'min', 'max', 'inner', 'left']);

function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function printName(name: string, reserved?: ReadonlySet<string>): string {
  return SAFE_NAME.test(name) && !reserved?.has(name) ? name : quote(name);
}

function printPath(field: FieldRef): string {
  return field.path.map((s) => `${s.op}${/^-?\d+$/.test(s.key) ? s.key : printName(s.key)}`).join('');
}

export function printField(field: FieldRef, reserved?: ReadonlySet<string>): string {
  return printName(field.column, reserved) + printPath(field);
}

function inItem(v: string): string {
  return v === '' || /[,)]/.test(v) || v.startsWith('"') ? quote(v) : v;
}

function braceItem(v: string): string {
  return v === '' || /[,{}"\\]/.test(v) || v !== v.trim() ? quote(v) : v;
}

/** A single value inside `or=(…)`: `,` and `)` end it, a leading `"` or `{` starts a literal. */
function logicValue(v: string): string {
  return /[,)]/.test(v) || v.startsWith('"') || v.startsWith('{') ? quote(v) : v;
}

function printOpExpr(leaf: FilterLeaf, inLogic: boolean): string {
  const o = leaf.operation;
  const not = leaf.negated ? 'not.' : '';
  const single = (v: string): string => (inLogic ? logicValue(v) : v);
  if (o.op === 'in') return `${not}in.(${o.values.map(inItem).join(',')})`;
  if ('quantifier' in o) return `${not}${o.op}(${o.quantifier}).{${o.values.map(braceItem).join(',')}}`;
  if (o.op === 'is') return `${not}is.${o.value}`;
  if ('language' in o && o.language !== undefined) return `${not}${o.op}(${o.language}).${single(o.value)}`;
  return `${not}${o.op}.${single(o.value)}`;
}

function printLogicItem(node: FilterNode): string {
  if (node.kind === 'filter') return `${printField(node.field)}.${printOpExpr(node, true)}`;
  return `${node.negated ? 'not.' : ''}${node.kind}(${node.children.map(printLogicItem).join(',')})`;
}

function scopePrefix(path: readonly string[]): string {
  return path.map((p) => `${printName(p, KEY_WORDS)}.`).join('');
}

function printScopedFilter(path: readonly string[], node: FilterNode): [string, string] {
  const prefix = scopePrefix(path);
  if (node.kind === 'filter') return [prefix + printField(node.field, KEY_WORDS), printOpExpr(node, false)];
  return [`${prefix}${node.negated ? 'not.' : ''}${node.kind}`, `(${node.children.map(printLogicItem).join(',')})`];
}

/** A filter node as one query parameter at the root: `['age', 'gte.18']`, `['or', '(a.eq.1,b.eq.2)']`. */
export function printFilter(node: FilterNode): [string, string] {
  return printScopedFilter([], node);
}

export function printSelect(items: readonly SelectItem[]): string {
  return items.map(printSelectItem).join(',');
}

function printSelectItem(item: SelectItem): string {
  if (item.kind === 'star') return '*';
  if (item.kind === 'embed') {
    const head = item.spread ? '...' : item.alias !== undefined ? `${printName(item.alias)}:` : '';
    const hint = item.hint !== undefined ? `!${printName(item.hint, EMBED_WORDS)}` : '';
    const join = item.join ? `!${item.join}` : '';
    return `${head}${printName(item.relation, EMBED_WORDS)}${hint}${join}(${printSelect(item.select)})`;
  }
  const alias = item.alias !== undefined ? `${printName(item.alias)}:` : '';
  const aggCast = item.aggregateCast ? `::${item.aggregateCast}` : '';
  if (item.aggregate === 'count' && item.field.column === '*' && item.field.path.length === 0) return `${alias}count()${aggCast}`;
  const cast = item.cast ? `::${item.cast}` : '';
  const agg = item.aggregate ? `.${item.aggregate}()` : '';
  return `${alias}${printField(item.field, EMBED_WORDS)}${cast}${agg}${aggCast}`;
}

const num = (n: number): string => (Object.is(n, -0) ? '-0' : String(n));

export function printOrder(terms: readonly OrderTerm[]): string {
  return terms.map((t) => {
    const target = t.relation !== undefined ? `${printName(t.relation)}(${printField(t.field)})` : printField(t.field);
    const vector = t.vector ? `.${t.vector.op}.[${t.vector.value.map(num).join(',')}]` : '';
    const nulls = t.nulls ? `.nulls${t.nulls}` : '';
    return `${target}${vector}.${t.direction}${nulls}`;
  }).join(',');
}

const names = (list: readonly string[]): string => list.map((n) => printName(n)).join(',');

/** Query parameters in a fixed order: select, filters, order, ranges, then the rest. */
export function printQueryPairs(request: QueryRequest): [string, string][] {
  const pairs: [string, string][] = [];
  const star = request.select.length === 1 && request.select[0]?.kind === 'star';
  if (!star) pairs.push(['select', printSelect(request.select)]);
  for (const f of request.filters) pairs.push(printScopedFilter(f.path, f.node));
  for (const o of request.order) pairs.push([`${scopePrefix(o.path)}order`, printOrder(o.terms)]);
  for (const r of request.ranges) {
    if (r.limit !== undefined) pairs.push([`${scopePrefix(r.path)}limit`, String(r.limit)]);
    if (r.offset !== undefined) pairs.push([`${scopePrefix(r.path)}offset`, String(r.offset)]);
  }
  if (request.count) pairs.push(['count', request.count]);
  if (request.cursor !== undefined) pairs.push(['cursor', request.cursor]);
  if (request.cursorColumn !== undefined) pairs.push(['cursor_column', request.cursorColumn]);
  if (request.onConflict) pairs.push(['on_conflict', names(request.onConflict)]);
  if (request.columns) pairs.push(['columns', names(request.columns)]);
  if (request.groupBy) pairs.push(['group_by', names(request.groupBy)]);
  if (request.truncate !== undefined) pairs.push(['truncate', String(request.truncate)]);
  return pairs;
}

export function printQueryString(request: QueryRequest): string {
  return printQueryPairs(request).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
