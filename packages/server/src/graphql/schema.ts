// The GraphQL schema of one model (model.ts), built with graphql-js. Root fields hand their
// selection to the operation's context (execute.ts), which compiles every root field of a
// query into one SQL statement; nested fields only read the JSON PostgreSQL built, under
// their response key. Subscriptions (`<list>Changes`) are fed by realtime through the
// context (subscriptions.ts).
import {
  GraphQLBoolean, GraphQLEnumType, GraphQLFloat, GraphQLInputObjectType, GraphQLInt, GraphQLList, GraphQLNonNull,
  GraphQLObjectType, GraphQLSchema, GraphQLString,
  type GraphQLFieldConfig, type GraphQLFieldConfigMap, type GraphQLInputFieldConfigMap, type GraphQLInputType,
  type FieldNode, type GraphQLOutputType, type GraphQLResolveInfo, type GraphQLScalarType,
} from 'graphql';
import type { Column } from '../db/index.ts';
import { collectFields } from './compile.ts';
import type { FeedEvent, ChangeEventType } from './feed.ts';
import { columnKind, operatorsFor, typeKind, type ColumnKind } from './filters.ts';
import type { FunctionModel, GraphModel, TableModel } from './model.ts';
import { BigIntScalar, DateTimeScalar, JSONScalar, UUIDScalar } from './scalars.ts';

export type WriteKind = 'insert' | 'insertMany' | 'update' | 'updateMany' | 'delete' | 'deleteMany';

/** What root resolvers need from the operation being executed (execute.ts, subscriptions.ts). */
export interface GraphqlContext {
  read(model: TableModel, info: GraphQLResolveInfo, args: Record<string, unknown>, mode: 'list' | 'single'): Promise<unknown>;
  write(model: TableModel, info: GraphQLResolveInfo, args: Record<string, unknown>, kind: WriteKind): Promise<unknown>;
  /** A function field: batched with the other root fields of a query, its own statement in a mutation. */
  call(fn: FunctionModel, info: GraphQLResolveInfo, args: Record<string, unknown>): Promise<unknown>;
  subscribeChanges?(input: { schema: string; table: string; events: readonly ChangeEventType[]; filter?: string | undefined }): AsyncIterableIterator<FeedEvent>;
  /** The REST filter-grammar text of a filter argument (subscriptions hand it to realtime). */
  filterText?(model: TableModel, filter: Record<string, unknown> | null | undefined): string | undefined;
}

const SCALARS: Record<ColumnKind, GraphQLScalarType> = {
  int: GraphQLInt, bigint: BigIntScalar, float: GraphQLFloat, bool: GraphQLBoolean, uuid: UUIDScalar,
  datetime: DateTimeScalar, json: JSONScalar, array: JSONScalar, string: GraphQLString,
};

function scalarOf(column: Column): GraphQLScalarType {
  // money comes out of row_to_json as text ("$1.00"): a String, not a Float.
  if (column.udtName === 'money') return GraphQLString;
  return SCALARS[columnKind(column)];
}

/** Nested fields read the JSON built by PostgreSQL under their response key (aliases included). */
const byResponseKey = (source: Record<string, unknown>, _args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => source[info.path.key as string];

const OrderDirection = new GraphQLEnumType({
  name: 'OrderDirection',
  description: 'ASC puts nulls last and DESC nulls first, as PostgreSQL does.',
  values: { ASC: {}, DESC: {}, ASC_NULLS_FIRST: {}, ASC_NULLS_LAST: {}, DESC_NULLS_FIRST: {}, DESC_NULLS_LAST: {} },
});

const ChangeEvent = new GraphQLEnumType({ name: 'ChangeEvent', values: { INSERT: {}, UPDATE: {}, DELETE: {} } });

interface Types {
  object: GraphQLObjectType;
  filter: GraphQLInputObjectType;
  orderBy: GraphQLInputObjectType;
  input?: GraphQLInputObjectType;
  patch?: GraphQLInputObjectType;
  change: GraphQLObjectType;
}

const nonNullList = (t: GraphQLObjectType) => new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(t)));

export function buildSchema(model: GraphModel): GraphQLSchema {
  const types = new Map<TableModel, Types>();
  const listArgs = (m: TableModel) => {
    const t = types.get(m)!;
    return {
      filter: { type: t.filter },
      orderBy: { type: new GraphQLList(new GraphQLNonNull(t.orderBy)) },
      limit: { type: GraphQLInt },
      offset: { type: GraphQLInt },
    };
  };
  for (const m of model.tables) {
    const filter: GraphQLInputObjectType = new GraphQLInputObjectType({
      name: `${m.typeName}Filter`,
      description: `Conditions on ${m.table.schema}.${m.table.name}: <field>_<operator>, all of them must hold; _and, _or, _not combine filters.`,
      fields: () => {
        const fields: GraphQLInputFieldConfigMap = {};
        for (const [name, column] of m.columns) {
          const kind = columnKind(column);
          const scalar = scalarOf(column);
          for (const op of operatorsFor(kind)) {
            let type: GraphQLInputType = scalar;
            if (op === 'is_null') type = GraphQLBoolean;
            else if (op === 'in') type = new GraphQLList(new GraphQLNonNull(scalar));
            else if (op === 'contains' || op === 'contained_by') type = JSONScalar;
            else if (op === 'like' || op === 'ilike') type = GraphQLString;
            fields[`${name}_${op}`] = { type };
          }
        }
        fields._and = { type: new GraphQLList(new GraphQLNonNull(filter)) };
        fields._or = { type: new GraphQLList(new GraphQLNonNull(filter)) };
        fields._not = { type: filter };
        return fields;
      },
    });
    const orderBy = new GraphQLInputObjectType({
      name: `${m.typeName}OrderBy`,
      fields: () => Object.fromEntries([...m.columns.keys()].map((name) => [name, { type: OrderDirection }])),
    });
    const object: GraphQLObjectType = new GraphQLObjectType({
      name: m.typeName,
      description: m.table.comment ?? `A row of ${m.table.schema}.${m.table.name}.`,
      fields: () => {
        const fields: GraphQLFieldConfigMap<Record<string, unknown>, GraphqlContext> = {};
        for (const [name, column] of m.columns) {
          const scalar = scalarOf(column);
          fields[name] = { type: column.nullable ? scalar : new GraphQLNonNull(scalar), resolve: byResponseKey, ...(column.comment ? { description: column.comment } : {}) };
        }
        for (const [name, rel] of m.relations) {
          const target = types.get(rel.target)!.object;
          fields[name] = rel.kind === 'parent'
            ? { type: target, resolve: byResponseKey }
            : { type: nonNullList(target), args: listArgs(rel.target), resolve: (s, a, c, i) => byResponseKey(s, a, c, i) ?? [] };
        }
        return fields;
      },
    });
    const writable = m.table.columns.filter((c) => !c.generated && c.identity !== 'always');
    const inputFields = () => Object.fromEntries(writable.map((c) => [m.fieldOf.get(c.name)!, { type: scalarOf(c) as GraphQLInputType }]));
    const t: Types = {
      object, filter, orderBy,
      change: new GraphQLObjectType({
        name: `${m.typeName}Change`,
        fields: () => ({
          type: { type: new GraphQLNonNull(ChangeEvent) },
          record: { type: object },
          oldRecord: { type: object },
          commitTimestamp: { type: GraphQLString },
        }),
      }),
    };
    if (m.writable && writable.length > 0) {
      t.input = new GraphQLInputObjectType({ name: `${m.typeName}Input`, fields: inputFields });
      t.patch = new GraphQLInputObjectType({ name: `${m.typeName}Patch`, fields: inputFields });
    }
    types.set(m, t);
  }

  const query: GraphQLFieldConfigMap<unknown, GraphqlContext> = {
    _health: { type: GraphQLString, resolve: () => 'ok' },
  };
  const mutation: GraphQLFieldConfigMap<unknown, GraphqlContext> = {};
  const subscription: GraphQLFieldConfigMap<unknown, GraphqlContext> = {};
  for (const m of model.tables) {
    const t = types.get(m)!;
    query[m.listField] = {
      type: nonNullList(t.object),
      args: listArgs(m),
      description: `Rows of ${m.table.schema}.${m.table.name} the caller may read.`,
      resolve: (_s, args, ctx, info) => ctx.read(m, info, args, 'list'),
    };
    const keyArgs = Object.fromEntries(m.table.primaryKey.map((col) => [m.fieldOf.get(col)!, { type: new GraphQLNonNull(scalarOf(m.table.columnMap.get(col)!)) }]));
    if (m.singleField) {
      query[m.singleField] = {
        type: t.object, args: keyArgs,
        description: `One row of ${m.table.schema}.${m.table.name} by primary key, or null.`,
        resolve: (_s, args, ctx, info) => ctx.read(m, info, args, 'single'),
      };
    }
    subscription[`${m.listField}Changes`] = {
      type: new GraphQLNonNull(t.change),
      args: { filter: { type: t.filter }, events: { type: new GraphQLList(new GraphQLNonNull(ChangeEvent)) } },
      description: `Changes to ${m.table.schema}.${m.table.name} (the table must be enabled for realtime), under the realtime RLS rules.`,
      subscribe: (_s, args: { filter?: Record<string, unknown> | null; events?: ChangeEventType[] | null }, ctx) => {
        if (!ctx.subscribeChanges) throw new Error('Subscriptions are served over WebSocket (graphql-transport-ws) at this path');
        const filter = ctx.filterText?.(m, args.filter);
        return ctx.subscribeChanges({ schema: m.table.schema, table: m.table.name, events: args.events?.length ? args.events : ['INSERT', 'UPDATE', 'DELETE'], filter });
      },
      resolve: (event, _a, _c, info) => changeView(m, event as FeedEvent, info),
    };
    if (!t.input || !t.patch) continue;
    const rows = nonNullList(t.object);
    const field = (type: GraphQLOutputType, args: GraphQLFieldConfig<unknown, GraphqlContext>['args'], kind: WriteKind, description: string): GraphQLFieldConfig<unknown, GraphqlContext> => ({
      type, args, description, resolve: (_s, a, ctx, info) => ctx.write(m, info, a, kind),
    });
    const where = `${m.table.schema}.${m.table.name}`;
    mutation[`insert${m.typeName}`] = field(t.object, { data: { type: new GraphQLNonNull(t.input) } }, 'insert', `Inserts one row into ${where}.`);
    mutation[`insertMany${m.typeName}`] = field(rows, { data: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(t.input))) } }, 'insertMany', `Inserts rows into ${where} in one statement.`);
    mutation[`updateMany${m.typeName}`] = field(rows, { filter: { type: new GraphQLNonNull(t.filter) }, data: { type: new GraphQLNonNull(t.patch) } }, 'updateMany', `Updates the rows of ${where} that match.`);
    mutation[`deleteMany${m.typeName}`] = field(new GraphQLNonNull(GraphQLInt), { filter: { type: new GraphQLNonNull(t.filter) } }, 'deleteMany', `Deletes the rows of ${where} that match; answers how many.`);
    if (m.table.primaryKey.length > 0) {
      mutation[`update${m.typeName}`] = field(t.object, { ...keyArgs, data: { type: new GraphQLNonNull(t.patch) } }, 'update', `Updates one row of ${where} by primary key; null when none.`);
      mutation[`delete${m.typeName}`] = field(t.object, keyArgs, 'delete', `Deletes one row of ${where} by primary key; answers it, or null.`);
    }
  }
  for (const f of model.functions) {
    const args = Object.fromEntries([...f.args].map(([name, a]) => {
      const scalar = SCALARS[typeKind(a.udtName)];
      return [name, { type: a.hasDefault ? scalar : new GraphQLNonNull(scalar) }];
    }));
    let type: GraphQLOutputType;
    let fieldArgs: GraphQLFieldConfig<unknown, GraphqlContext>['args'] = args;
    if (f.result === 'void') type = GraphQLBoolean;
    else if (f.result === 'scalar') type = SCALARS[typeKind(f.fn.returnTypeName)];
    else if (f.result === 'scalar_set') type = new GraphQLList(SCALARS[typeKind(f.fn.returnTypeName)]);
    else if (f.rowsOf) {
      const t = types.get(f.rowsOf)!;
      if (f.fn.returnsSet) {
        type = nonNullList(t.object);
        fieldArgs = { ...listArgs(f.rowsOf), ...args };
      } else type = t.object;
    } else type = f.fn.returnsSet ? new GraphQLNonNull(new GraphQLList(JSONScalar)) : JSONScalar;
    (f.root === 'query' ? query : mutation)[f.field] = {
      type, args: fieldArgs,
      description: f.fn.comment ?? `Calls ${f.fn.schema}.${f.fn.name}() (${f.fn.volatility}).`,
      resolve: (_s, a, ctx, info) => ctx.call(f, info, a),
    };
  }
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: query }),
    ...(Object.keys(mutation).length > 0 ? { mutation: new GraphQLObjectType({ name: 'Mutation', fields: mutation }) } : {}),
    ...(Object.keys(subscription).length > 0 ? { subscription: new GraphQLObjectType({ name: 'Subscription', fields: subscription }) } : {}),
  });
}

/** A realtime row (column names) → the response keys the subscription selected (every `record` / `oldRecord` selection merged). */
function changeView(m: TableModel, event: FeedEvent, info: GraphQLResolveInfo): Record<string, unknown> {
  const ctx = { fragments: info.fragments, variables: info.variableValues };
  const top = new Map<string, FieldNode[]>();
  for (const node of info.fieldNodes) if (node.selectionSet) collectFields(node.selectionSet, ctx, top);
  const keysOf = (fieldName: string) => {
    const keys = new Map<string, string>();
    for (const nodes of top.values()) {
      if (nodes[0]!.name.value !== fieldName) continue;
      for (const node of nodes) if (node.selectionSet) for (const [key, sub] of collectFields(node.selectionSet, ctx)) keys.set(key, sub[0]!.name.value);
    }
    return keys;
  };
  const rowView = (row: Record<string, unknown> | null, responseKeys: Map<string, string>) => {
    if (!row) return null;
    const out: Record<string, unknown> = {};
    for (const [key, field] of responseKeys) {
      const column = m.columns.get(field);
      out[key] = column ? row[column.name] : null;
    }
    return out;
  };
  return {
    type: event.type,
    record: rowView(event.record, keysOf('record')),
    oldRecord: rowView(event.oldRecord, keysOf('oldRecord')),
    commitTimestamp: event.commitTimestamp,
  };
}
