// A GraphQL selection → the query AST that REST requests also become (query/ast.ts): the
// selection tree becomes the select list with embeds (aliases are the response keys, so two
// aliases of one field with different arguments stay apart), and the arguments of every
// list become filters, orders and ranges scoped to that embed's path. The planner and the
// SQL compiler then build ONE statement whose JSON PostgreSQL assembles, as for a REST read
// with embeds: no resolver runs a query of its own (upstream ran one per field: N+1).
import {
  getArgumentValues, getDirectiveValues, GraphQLIncludeDirective, GraphQLSkipDirective, Kind,
  type FieldNode, type FragmentDefinitionNode, type GraphQLField, type GraphQLObjectType, type SelectionSetNode,
} from 'graphql';
import type { OrderTerm, QueryRequest, ScopedFilter, ScopedOrder, ScopedRange, SelectItem } from '../query/index.ts';
import { QueryError } from '../query/index.ts';
import { filterToAst } from './filters.ts';
import type { TableModel } from './model.ts';

export interface SelectionContext {
  fragments: Record<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
}

export interface ListArgs {
  filter?: Record<string, unknown> | null;
  orderBy?: Record<string, string>[] | Record<string, string> | null;
  limit?: number | null;
  offset?: number | null;
}

function included(node: FieldNode | { directives?: FieldNode['directives'] }, variables: Record<string, unknown>): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node, variables);
  if (skip?.if === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node, variables);
  return include?.if !== false;
}

/** Fields of a selection set by response key, through fragments and @skip/@include (graphql-js's collectFields). */
export function collectFields(set: SelectionSetNode, ctx: SelectionContext, out = new Map<string, FieldNode[]>(), seen = new Set<string>()): Map<string, FieldNode[]> {
  for (const sel of set.selections) {
    if (!included(sel, ctx.variables)) continue;
    if (sel.kind === Kind.FIELD) {
      const key = sel.alias?.value ?? sel.name.value;
      const list = out.get(key);
      if (list) list.push(sel);
      else out.set(key, [sel]);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      collectFields(sel.selectionSet, ctx, out, seen);
    } else {
      const name = sel.name.value;
      const fragment = ctx.fragments[name];
      if (!fragment || seen.has(name)) continue;
      seen.add(name);
      collectFields(fragment.selectionSet, ctx, out, seen);
    }
  }
  return out;
}

/** The merged sub-selection of fields sharing one response key. */
function subFields(nodes: FieldNode[], ctx: SelectionContext): Map<string, FieldNode[]> {
  const out = new Map<string, FieldNode[]>();
  for (const node of nodes) if (node.selectionSet) collectFields(node.selectionSet, ctx, out);
  return out;
}

const DIRECTIONS: Record<string, Pick<OrderTerm, 'direction' | 'nulls'>> = {
  ASC: { direction: 'asc', nulls: 'last' },
  DESC: { direction: 'desc', nulls: 'first' },
  ASC_NULLS_FIRST: { direction: 'asc', nulls: 'first' },
  ASC_NULLS_LAST: { direction: 'asc', nulls: 'last' },
  DESC_NULLS_FIRST: { direction: 'desc', nulls: 'first' },
  DESC_NULLS_LAST: { direction: 'desc', nulls: 'last' },
};

export function orderTerms(model: TableModel, orderBy: ListArgs['orderBy']): OrderTerm[] {
  if (!orderBy) return [];
  const terms: OrderTerm[] = [];
  for (const entry of Array.isArray(orderBy) ? orderBy : [orderBy]) {
    for (const [field, dir] of Object.entries(entry)) {
      const column = model.columns.get(field);
      const d = DIRECTIONS[dir];
      if (!column || !d) throw new QueryError('INVALID_QUERY', `Cannot order ${model.typeName} by ${JSON.stringify(field)} ${JSON.stringify(dir)}`);
      terms.push({ field: { column: column.name, path: [] }, ...d });
    }
  }
  return terms;
}

interface Scoped {
  filters: ScopedFilter[];
  order: ScopedOrder[];
  ranges: ScopedRange[];
}

function applyListArgs(model: TableModel, args: ListArgs, path: string[], out: Scoped): void {
  const node = filterToAst(model, args.filter ?? undefined);
  if (node) out.filters.push({ path, node });
  const terms = orderTerms(model, args.orderBy);
  if (terms.length > 0) out.order.push({ path, terms });
  if (args.limit !== undefined && args.limit !== null) {
    if (args.limit < 0) throw new QueryError('INVALID_QUERY', `limit must be 0 or more, got ${args.limit}`);
  }
  if (args.offset !== undefined && args.offset !== null && args.offset < 0) throw new QueryError('INVALID_QUERY', `offset must be 0 or more, got ${args.offset}`);
  if ((args.limit ?? null) !== null || (args.offset ?? null) !== null) {
    out.ranges.push({ path, ...(typeof args.limit === 'number' ? { limit: args.limit } : {}), ...(typeof args.offset === 'number' ? { offset: args.offset } : {}) });
  }
}

/**
 * The select list for `model`'s type from the fields under one response key, recursing into
 * parents and children; list arguments of children land in `scoped` under their path.
 */
function selectFor(model: TableModel, type: GraphQLObjectType, fields: Map<string, FieldNode[]>, ctx: SelectionContext, path: string[], scoped: Scoped): SelectItem[] {
  const items: SelectItem[] = [];
  const defs = type.getFields();
  for (const [key, nodes] of fields) {
    const name = nodes[0]!.name.value;
    if (name === '__typename') continue;
    const column = model.columns.get(name);
    if (column) {
      items.push({ kind: 'field', field: { column: column.name, path: [] }, alias: key });
      continue;
    }
    const relation = model.relations.get(name);
    const def = defs[name];
    if (!relation || !def) continue; // validation already refused unknown fields
    const childType = namedObject(def);
    const childPath = [...path, key];
    const select = selectFor(relation.target, childType, subFields(nodes, ctx), ctx, childPath, scoped);
    if (relation.kind === 'children') {
      applyListArgs(relation.target, getArgumentValues(def as GraphQLField<unknown, unknown>, nodes[0]!, ctx.variables) as ListArgs, childPath, scoped);
    }
    items.push({
      kind: 'embed', relation: relation.target.table.name, hint: relation.relationship.constraint, alias: key, spread: false,
      // An empty list would mean `*`: a level that selects only __typename still needs a key.
      select: select.length > 0 ? select : [keyColumn(relation.target)],
    });
  }
  return items;
}

function keyColumn(model: TableModel): SelectItem {
  const name = model.table.primaryKey[0] ?? model.table.columns[0]!.name;
  return { kind: 'field', field: { column: name, path: [] }, alias: '__key' };
}

export function namedObject(def: { type: unknown }): GraphQLObjectType {
  let t = def.type as { ofType?: unknown };
  while (t.ofType) t = t.ofType as { ofType?: unknown };
  return t as unknown as GraphQLObjectType;
}

/**
 * The query of one root list or single-row field. `keyFilter` is the primary key equality
 * of a single-row field (AND-ed with nothing else).
 */
export function compileSelection(model: TableModel, type: GraphQLObjectType, nodes: readonly FieldNode[], ctx: SelectionContext, args: ListArgs, keyFilter?: Record<string, unknown>): QueryRequest {
  const scoped: Scoped = { filters: [], order: [], ranges: [] };
  const select = selectFor(model, type, subFields([...nodes], ctx), ctx, [], scoped);
  if (keyFilter) {
    for (const [field, value] of Object.entries(keyFilter)) {
      const column = model.columns.get(field)!;
      scoped.filters.push({ path: [], node: { kind: 'filter', field: { column: column.name, path: [] }, negated: false, operation: { op: 'eq', value: String(value) } } });
    }
  } else {
    applyListArgs(model, args, [], scoped);
  }
  return { select: select.length > 0 ? select : [keyColumn(model)], filters: scoped.filters, order: scoped.order, ranges: scoped.ranges };
}
