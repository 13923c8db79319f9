// The read planner: a QueryRequest checked against the schema cache into a ReadPlan, in
// small passes (PostgREST's readPlan): select tree and embeds, then scoped filters,
// orders and ranges, then count and cursor. Unknown names fail here with a hint.
import type { Column, SchemaSnapshot, Table } from '../../db/index.ts';
import type { CountMode, FilterNode, OrderTerm, QueryRequest, SelectItem } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { checkFilterValues } from './values.ts';
import { closestName } from '../suggest.ts';
import { resolveCast } from './casts.ts';
import { decodeCursor } from './cursor.ts';
import { findRelationship, isToOne } from './relationships.ts';
import type { CursorPlan, PlannedEmbed, PlannedItem, PlannedOrder, ReadNode, ReadPlan } from './types.ts';

export interface ReadPlanOptions {
  defaultPageSize: number;
  maxPageSize: number;
  aggregatesEnabled: boolean;
  /** Count asked by header (`Prefer: count=`); `?count=` in the request also counts. */
  count?: CountMode | undefined;
  /** Root offset/limit from a `Range` header, used when the query string gives none. */
  range?: { offset: number; limit?: number } | undefined;
  /** Skip the default page size (writes' representation, RPC results). */
  unlimited?: boolean;
}

interface Ctx {
  snapshot: SchemaSnapshot;
  aliasCounter: number;
  options: ReadPlanOptions;
}

export function unknownColumn(table: Table, name: string): QueryError {
  const closest = closestName(name, table.columnMap.keys());
  return new QueryError('UNKNOWN_COLUMN', `Column ${quoteInput(name)} does not exist in ${quoteInput(`${table.schema}.${table.name}`)}`, {
    details: { table: `${table.schema}.${table.name}`, column: name },
    hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : undefined,
  });
}

export function columnOf(table: Table, name: string): Column {
  const col = table.columnMap.get(name);
  if (!col) throw unknownColumn(table, name);
  return col;
}

function targetTable(snapshot: SchemaSnapshot, schema: string, name: string): Table {
  const t = snapshot.tables.get(`${schema}.${name}`);
  if (!t) throw new QueryError('UNKNOWN_RELATIONSHIP', `Embedded table ${quoteInput(`${schema}.${name}`)} is not in the schema cache`);
  return t;
}

function planItems(ctx: Ctx, table: Table, items: SelectItem[], node: ReadNode): void {
  for (const item of items) {
    if (item.kind === 'star') {
      for (const column of table.columns) node.items.push({ kind: 'column', key: column.name, column, path: [] });
      continue;
    }
    if (item.kind === 'field') {
      if (item.aggregate && !ctx.options.aggregatesEnabled) {
        throw new QueryError('INVALID_QUERY', 'Aggregate functions are disabled (api.aggregates_enabled)');
      }
      if (item.aggregate === 'count' && item.field.column === '*') {
        node.items.push({ kind: 'count', key: item.alias ?? 'count', ...(item.aggregateCast ? { cast: resolveCast(item.aggregateCast, ctx.snapshot, table.schema) } : {}) });
        continue;
      }
      const column = columnOf(table, item.field.column);
      const last = item.field.path[item.field.path.length - 1];
      const planned: PlannedItem = {
        kind: 'column',
        key: item.alias ?? (item.aggregate ?? (last ? last.key : column.name)),
        column,
        path: item.field.path,
      };
      if (item.cast) planned.cast = resolveCast(item.cast, ctx.snapshot, table.schema);
      if (item.aggregate) planned.aggregate = item.aggregate;
      if (item.aggregateCast) planned.aggregateCast = resolveCast(item.aggregateCast, ctx.snapshot, table.schema);
      node.items.push(planned);
      continue;
    }
    const relationship = findRelationship(ctx.snapshot, table, item.relation, item.hint);
    const target = targetTable(ctx.snapshot, relationship.target.schema, relationship.target.table);
    const child = newNode(ctx, target);
    planItems(ctx, target, item.select.length > 0 ? item.select : [{ kind: 'star' }], child);
    const embed: PlannedEmbed = {
      kind: 'embed',
      key: item.alias ?? item.relation,
      name: item.alias ?? item.relation,
      relationship,
      toOne: isToOne(relationship),
      join: item.join ?? 'left',
      spread: item.spread,
      node: child,
    };
    if (node.embeds.has(embed.name)) {
      throw new QueryError('INVALID_QUERY', `The embed ${quoteInput(embed.name)} appears twice at one level; give one an alias`);
    }
    node.embeds.set(embed.name, embed);
    node.items.push(embed);
  }
  finishGrouping(node);
}

function finishGrouping(node: ReadNode): void {
  const hasAggregate = node.items.some((i) => i.kind === 'count' || (i.kind === 'column' && i.aggregate));
  if (!hasAggregate) return;
  if (node.items.some((i) => i.kind === 'embed')) {
    throw new QueryError('INVALID_QUERY', 'Aggregates cannot be combined with embedded resources at the same level', {
      hint: 'Move the aggregate into the embedded resource, or query the table separately',
    });
  }
  const plain = node.items.filter((i) => i.kind === 'column' && !i.aggregate) as Extract<PlannedItem, { kind: 'column' }>[];
  node.groupBy ??= plain.map((p) => p.column);
}

function newNode(ctx: Ctx, table: Table): ReadNode {
  return { table, alias: `t${ctx.aliasCounter++}`, items: [], filters: [], order: [], groupBy: null, embeds: new Map() };
}

function nodeAt(root: ReadNode, path: string[], what: string): ReadNode {
  let node = root;
  for (const name of path) {
    const embed = node.embeds.get(name);
    if (!embed) {
      throw new QueryError('UNKNOWN_RELATIONSHIP', `${quoteInput(name)} is not an embedded resource in this request (${what})`, {
        hint: `Add ${quoteInput(`${name}(...)`)} to select`,
      });
    }
    node = embed.node;
  }
  return node;
}

/** Every leaf names a column of the level's table, or an embed (for `rel=is.null`). */
function checkFilter(node: ReadNode, filter: FilterNode): void {
  if (filter.kind !== 'filter') {
    for (const child of filter.children) checkFilter(node, child);
    return;
  }
  const { column, path } = filter.field;
  if (path.length === 0 && node.embeds.has(column) && !node.table.columnMap.has(column)) {
    if (filter.operation.op !== 'is' || (filter.operation.value !== 'null')) {
      throw new QueryError('INVALID_FILTER', `Only is.null / not.is.null can filter by the embedded resource ${quoteInput(column)}`);
    }
    return;
  }
  columnOf(node.table, column);
  checkFilterValues(node.table, filter);
}

function planOrder(node: ReadNode, term: OrderTerm): PlannedOrder {
  const out: PlannedOrder = { field: term.field, direction: term.direction };
  if (term.nulls) out.nulls = term.nulls;
  if (term.relation !== undefined) {
    const embed = node.embeds.get(term.relation);
    if (!embed) {
      throw new QueryError('UNKNOWN_RELATIONSHIP', `${quoteInput(term.relation)} is not an embedded resource in this request (order)`, {
        hint: `Add ${quoteInput(`${term.relation}(...)`)} to select`,
      });
    }
    if (!embed.toOne) throw new QueryError('INVALID_QUERY', `Cannot order by the to-many embed ${quoteInput(term.relation)}`, { hint: 'Order inside it with rel.order=…' });
    if (embed.spread) throw new QueryError('INVALID_QUERY', `Order by the spread columns of ${quoteInput(term.relation)} directly`);
    columnOf(embed.node.table, term.field.column);
    out.embed = embed;
    return out;
  }
  const column = columnOf(node.table, term.field.column);
  if (term.vector) {
    if (column.udtName !== 'vector') throw new QueryError('INVALID_QUERY', `Vector ordering needs a pgvector column; ${quoteInput(column.name)} is ${column.type}`);
    out.vector = term.vector;
  }
  return out;
}

function planCursor(root: ReadNode, request: QueryRequest): CursorPlan | undefined {
  if (request.cursor === undefined && request.cursorColumn === undefined) return undefined;
  const rootRange = request.ranges.find((r) => r.path.length === 0);
  if (request.cursor !== undefined && rootRange?.offset !== undefined) {
    throw new QueryError('INVALID_CURSOR', 'cursor cannot be combined with offset');
  }
  const decoded = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
  const columnName = request.cursorColumn ?? decoded?.c;
  if (columnName === undefined) throw new QueryError('INVALID_CURSOR', 'The cursor does not name a column; pass cursor_column');
  const column = columnOf(root.table, columnName);
  const primaryKey = root.table.primaryKey.map((c) => columnOf(root.table, c));
  const orderDesc = request.order.find((o) => o.path.length === 0)?.terms.some((t) => t.field.column === column.name && t.direction === 'desc') ?? false;
  const plan: CursorPlan = { column, primaryKey, desc: decoded ? decoded.d : orderDesc };
  if (decoded) {
    if (decoded.k.length !== primaryKey.length) throw new QueryError('INVALID_CURSOR', 'The cursor does not match this table');
    plan.after = { value: decoded.v, key: decoded.k };
  }
  return plan;
}

export function planRead(snapshot: SchemaSnapshot, table: Table, request: QueryRequest, options: ReadPlanOptions): ReadPlan {
  const ctx: Ctx = { snapshot, aliasCounter: 0, options };
  const root = newNode(ctx, table);
  if (request.groupBy) root.groupBy = request.groupBy.map((name) => columnOf(table, name));
  planItems(ctx, table, request.select.length > 0 ? request.select : [{ kind: 'star' }], root);

  for (const scoped of request.filters) {
    const node = nodeAt(root, scoped.path, 'filter');
    checkFilter(node, scoped.node);
    node.filters.push(scoped.node);
  }
  for (const scoped of request.order) {
    const node = nodeAt(root, scoped.path, 'order');
    node.order = scoped.terms.map((t) => planOrder(node, t));
  }
  for (const scoped of request.ranges) {
    const node = nodeAt(root, scoped.path, 'limit');
    if (scoped.limit !== undefined) node.limit = scoped.limit;
    if (scoped.offset !== undefined) node.offset = scoped.offset;
  }
  if (root.limit === undefined && root.offset === undefined && options.range) {
    root.offset = options.range.offset;
    if (options.range.limit !== undefined) root.limit = options.range.limit;
  }
  if (!options.unlimited) root.limit = Math.min(root.limit ?? options.defaultPageSize, options.maxPageSize);

  const plan: ReadPlan = { kind: 'read', root };
  const count = options.count ?? request.count;
  if (count) plan.count = count;
  const cursor = planCursor(root, request);
  if (cursor) plan.cursor = cursor;
  if (request.truncate !== undefined) plan.truncate = request.truncate;
  return plan;
}
