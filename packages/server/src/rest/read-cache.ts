// The compiled-statement cache of table reads: requests that differ only in the values of
// their simple comparison filters (`id=eq.1` vs `id=eq.2`, as an API's hot reads do) share
// one plan and one SQL text, so parsing, planning and compiling run once per request shape
// and the driver reuses the prepared statement.
//
// Two keys lead to an entry. The raw key is the URL's query string with the values of
// plain `col=op.value` pairs blanked (values of letters, digits and `_.:@-` only, which
// the parser takes verbatim), so a hit skips even the parse. The parsed key is the parsed
// query with those values blanked (for POST …/query bodies, and for query strings whose
// values need decoding). A value is reused only where it provably is one parameter: when
// the shape is first compiled, the raw values must equal the parsed ones in order, and
// each must be found exactly once among the statement's parameters, verbatim (else that
// key is not cached). Values are still checked against their column's type on every
// request, as planning would. Bounded (observability/bounded-cache.ts, reported as
// cache="rest_statements"), and an entry compiled against another
// schema snapshot is never used (a reload replaces the snapshot).
import type { Column, SchemaSnapshot, Table } from '../db/index.ts';
import { BoundedCache, type CacheRegistry } from '../observability/index.ts';
import { checkValue, type FilterNode, type QueryRequest, type ReadPlan, type ScopedFilter, type Statement } from '../query/index.ts';

/** Operators whose value the compiler passes through as one text parameter. */
const VARYING_OPS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);

/** Shapes longer than this are planned every time (the cache holds at most size × this much key text). */
const MAX_KEY_LENGTH = 4096;

/** A query-string value the parser takes verbatim after `op.` (no percent-escapes, `+`, quotes, commas or parentheses). */
const PLAIN_VALUE = /^(eq|neq|gt|gte|lt|lte)\.([A-Za-z0-9_.:@-]{1,256})$/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Query-string keys that are not filters (query/parse/query-string.ts). */
const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'and', 'or', 'not', 'count', 'cursor', 'cursor_column', 'on_conflict', 'columns', 'group_by', 'truncate']);

/** A blanked raw filter (column, operator, value), compared with the parsed one before the raw key is trusted. */
export interface RawShape {
  key: string;
  values: string[];
  terms: string[];
}

/**
 * The raw shape of a query-string read: `prefix` (the request options and route), the
 * query string with plain filter values blanked, and `extra` values the route adds as
 * filters after the query's own (the id of a by-id read). Undefined when too long.
 */
export function rawShape(prefix: string, table: Table, raw: string, extra: { column: string; value: string }[] = []): RawShape | undefined {
  if (raw.length > MAX_KEY_LENGTH) return undefined;
  const values: string[] = [];
  const terms: string[] = [];
  // One scan over the `&`-separated pieces, copying each into the key, a plain filter's
  // value blanked (no split/join: this runs on every cached read).
  let blanked = '';
  let start = 0;
  while (start <= raw.length) {
    let end = raw.indexOf('&', start);
    if (end < 0) end = raw.length;
    const piece = raw.slice(start, end);
    const eq = piece.indexOf('=');
    const column = eq > 0 ? piece.slice(0, eq) : '';
    const m = eq > 0 && PLAIN_KEY.test(column) && !RESERVED.has(column) ? PLAIN_VALUE.exec(piece.slice(eq + 1)) : null;
    if (start > 0) blanked += '&';
    if (m) {
      values.push(m[2]!);
      const term = `${column}=${m[1]}`;
      terms.push(term);
      blanked += `${term}.?`;
    } else blanked += piece;
    if (raw.length === 0) break;
    start = end + 1;
  }
  for (const e of extra) {
    values.push(e.value);
    terms.push(`${e.column}=eq`);
  }
  return { key: `raw|${prefix}|${table.schema}.${table.name}|${blanked}|+${extra.length}`, values, terms };
}

export interface ReadShape {
  key: string;
  /** The varying values, in the order the key blanked them. */
  values: string[];
  /** Their columns and operators (for the per-request type check). */
  leaves: { column: Column; op: string }[];
  /** `column=op` of each, to match a raw shape's. */
  terms: string[];
}

interface Entry {
  snapshot: SchemaSnapshot;
  plan: ReadPlan;
  text: string;
  template: unknown[];
  /** Index in `template` of each varying value. */
  slots: number[];
  leaves: { column: Column; op: string }[];
}

function varying(table: Table, node: FilterNode): Column | undefined {
  if (node.kind !== 'filter' || node.negated || node.field.path.length > 0) return undefined;
  const op = node.operation;
  if (!VARYING_OPS.has(op.op) || !('value' in op) || typeof op.value !== 'string' || 'quantifier' in op) return undefined;
  const column = table.columnMap.get(node.field.column);
  return column && column.category !== 'A' ? column : undefined;
}

/**
 * The shape of a read: everything that can change the SQL (the query with the values of
 * root-level simple comparisons blanked, and the request options), plus those values.
 */
export function readShape(prefix: string, table: Table, query: QueryRequest): ReadShape {
  const values: string[] = [];
  const leaves: { column: Column; op: string }[] = [];
  const terms: string[] = [];
  const filters: (ScopedFilter | string)[] = query.filters.map((f) => {
    if (f.path.length > 0) return f;
    const column = varying(table, f.node);
    if (!column) return f;
    const node = f.node as Extract<FilterNode, { kind: 'filter' }>;
    values.push((node.operation as { value: string }).value);
    leaves.push({ column, op: node.operation.op });
    terms.push(`${node.field.column}=${node.operation.op}`);
    return `${node.field.column}=${node.operation.op}.?`;
  });
  const key = `ast|${prefix}|${table.schema}.${table.name}|${JSON.stringify({ ...query, filters })}`;
  return { key, values, leaves, terms };
}

export class ReadStatementCache {
  private readonly entries: BoundedCache<string, Entry>;

  constructor(max: number, registry?: CacheRegistry) {
    this.entries = new BoundedCache('rest_statements', max, registry);
  }

  /** The statement for this shape, with this request's values (type-checked), or undefined (plan and compile, then `remember`). */
  lookup(snapshot: SchemaSnapshot, table: Table, shape: { key: string; values: string[] }): { plan: ReadPlan; stmt: Statement } | undefined {
    const entry = this.entries.get(shape.key, { count: false });
    if (!entry || entry.snapshot !== snapshot || entry.slots.length !== shape.values.length) return undefined;
    for (let i = 0; i < shape.values.length; i++) checkValue(table, entry.leaves[i]!.column, entry.leaves[i]!.op, shape.values[i]!);
    const values = entry.template.slice();
    for (let i = 0; i < entry.slots.length; i++) values[entry.slots[i]!] = shape.values[i];
    return { plan: entry.plan, stmt: { text: entry.text, values } };
  }

  /**
   * Keep a freshly compiled statement for its shape, if each varying value is exactly one
   * parameter; also under the raw key when the raw values are the parsed ones.
   */
  remember(snapshot: SchemaSnapshot, shape: ReadShape, plan: ReadPlan, stmt: Statement, raw?: RawShape): void {
    if (plan.count === 'planned' || plan.count === 'estimated') return; // their EXPLAIN is compiled from the plan's values
    if (shape.key.length > MAX_KEY_LENGTH) return; // long one-off queries (big in.() lists) would only crowd the cache
    if (new Set(shape.values).size !== shape.values.length) return;
    const slots: number[] = [];
    for (const value of shape.values) {
      const at = stmt.values.indexOf(value);
      if (at < 0 || stmt.values.indexOf(value, at + 1) >= 0) return;
      slots.push(at);
    }
    const entry: Entry = { snapshot, plan, text: stmt.text, template: stmt.values, slots, leaves: shape.leaves };
    this.entries.set(shape.key, entry);
    if (raw) this.link(raw, shape);
  }

  /**
   * Let the raw key lead to the parsed shape's entry, when its blanked pairs are exactly the
   * parsed shape's varying filters: same columns, operators and values, in the same order.
   */
  link(raw: RawShape, shape: ReadShape): void {
    if (raw.key.length > MAX_KEY_LENGTH || raw.values.length !== shape.values.length) return;
    for (let i = 0; i < raw.values.length; i++) if (raw.values[i] !== shape.values[i] || raw.terms[i] !== shape.terms[i]) return;
    const entry = this.entries.get(shape.key, { count: false });
    if (entry) this.entries.set(raw.key, entry);
  }

  /** Count one request's lookup (a request may look under its raw and its parsed key). */
  count(hit: boolean): void {
    this.entries.count(hit);
  }
}
