// The read planner: a QueryRequest checked against the schema cache into a ReadPlan, in
// small passes (PostgREST's readPlan): select tree and embeds, then scoped filters,
// orders and ranges, then count and cursor. Unknown names (with a hint) and invalid JSON
// paths fail here, so query/sql compiles the plan without checking anything again.
import type { SchemaSnapshot, Table } from '../../db/index.ts';
import type { CountMode, OrderTerm, QueryRequest, SelectItem } from '../ast.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { resolveCast } from './casts.ts';
import { checkJsonPath, columnOf } from './columns.ts';
import { decodeCursor } from './cursor.ts';
import { planFilter } from './filter.ts';
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
      checkJsonPath(column, item.field.path);
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

/** The to-one, non-spread embed an order term names (`order=rel(col).desc`). */
function orderEmbed(node: ReadNode, relation: string): PlannedEmbed {
  const embed = node.embeds.get(relation);
  if (!embed) {
    throw new QueryError('UNKNOWN_RELATIONSHIP', `${quoteInput(relation)} is not an embedded resource in this request (order)`, {
      hint: `Add ${quoteInput(`${relation}(...)`)} to select`,
    });
  }
  if (!embed.toOne) throw new QueryError('INVALID_QUERY', `Cannot order by the to-many embed ${quoteInput(relation)}`, { hint: 'Order inside it with rel.order=…' });
  if (embed.spread) throw new QueryError('INVALID_QUERY', `Order by the spread columns of ${quoteInput(relation)} directly`);
  return embed;
}

function planOrder(node: ReadNode, term: OrderTerm): PlannedOrder {
  const embed = term.relation === undefined ? undefined : orderEmbed(node, term.relation);
  const column = columnOf(embed ? embed.node.table : node.table, term.field.column);
  if (!embed && term.vector && column.udtName !== 'vector') {
    throw new QueryError('INVALID_QUERY', `Vector ordering needs a pgvector column; ${quoteInput(column.name)} is ${column.type}`);
  }
  checkJsonPath(column, term.field.path);
  const out: PlannedOrder = { column, path: term.field.path, direction: term.direction };
  if (term.nulls) out.nulls = term.nulls;
  if (embed) out.embed = embed;
  else if (term.vector) out.vector = term.vector;
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
    node.filters.push(planFilter(node.table, scoped.node, { embeds: node.embeds }));
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
