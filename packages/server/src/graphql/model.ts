// The GraphQL view of one schema-cache snapshot: which relations become types, and the name
// of every type, field and root field (naming.ts), decided once per snapshot so that the
// schema builder and the compiler agree. Relations are the tables and views of the exposed
// schemas (API.md §13; upstream only covered `public`); relationship fields exist only when
// the planner resolves them to exactly that foreign key (an ambiguous one is left out rather
// than guessed).
import type { Column, DbFunction, FunctionArg, Relationship, SchemaSnapshot, Table } from '../db/index.ts';
import { findRelationship, resultKind, type RpcResultKind } from '../query/index.ts';
import { camel, pascal, singular, stripIdSuffix } from './naming.ts';

export interface RelationField {
  name: string;
  /** parent: a to-one object (this table holds the key, or a one-to-one); children: a list. */
  kind: 'parent' | 'children';
  relationship: Relationship;
  target: TableModel;
}

export interface TableModel {
  key: string;
  table: Table;
  typeName: string;
  listField: string;
  /** Absent when the relation has no primary key. */
  singleField?: string;
  /** GraphQL field name → column, in column order. */
  columns: Map<string, Column>;
  /** Column name → GraphQL field name. */
  fieldOf: Map<string, string>;
  relations: Map<string, RelationField>;
  /** Insert/update/delete mutations exist (base tables with a primary key for the by-key ones). */
  writable: boolean;
}

/** A function of an exposed schema: a Query field when stable or immutable, a Mutation field when volatile. */
export interface FunctionModel {
  fn: DbFunction;
  field: string;
  root: 'query' | 'mutation';
  /** GraphQL argument name → the function's argument. */
  args: Map<string, FunctionArg>;
  result: RpcResultKind;
  /** For `rows` of a relation the model serves: its type (then lists take filter, orderBy, limit, offset). */
  rowsOf?: TableModel;
}

export interface GraphModel {
  tables: TableModel[];
  byKey: Map<string, TableModel>;
  functions: FunctionModel[];
  version: number;
}

const SERVED: ReadonlySet<Table['kind']> = new Set(['table', 'view', 'materialized_view', 'foreign_table', 'partitioned_table']);

function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}${i}`;
  taken.add(n);
  return n;
}

export function buildModel(snapshot: SchemaSnapshot): GraphModel {
  const exposed = snapshot.exposedSchemas;
  const defaultSchema = exposed[0];
  const tables: TableModel[] = [];
  const byKey = new Map<string, TableModel>();
  const typeNames = new Set<string>(['Query', 'Mutation', 'Subscription', 'BigInt', 'DateTime', 'UUID', 'JSON', 'OrderDirection', 'ChangeEvent']);
  const rootNames = new Set<string>(['_health']);
  const candidates = [...snapshot.tables.values()]
    .filter((t) => exposed.includes(t.schema) && SERVED.has(t.kind) && t.columns.length > 0)
    .sort((a, b) => (exposed.indexOf(a.schema) - exposed.indexOf(b.schema)) || a.name.localeCompare(b.name));
  for (const table of candidates) {
    const prefix = table.schema === defaultSchema ? '' : `${table.schema}_`;
    const typeName = unique(pascal(`${prefix}${table.name}`), typeNames);
    // Input and filter types derive from the type name; reserve them too.
    for (const suffix of ['Filter', 'OrderBy', 'Input', 'Patch', 'Change']) typeNames.add(`${typeName}${suffix}`);
    const listField = unique(camel(`${prefix}${table.name}`), rootNames);
    const columns = new Map<string, Column>();
    const fieldOf = new Map<string, string>();
    const fieldNames = new Set<string>(['__typename']);
    for (const column of table.columns) {
      const name = unique(camel(column.name), fieldNames);
      columns.set(name, column);
      fieldOf.set(column.name, name);
    }
    const model: TableModel = {
      key: `${table.schema}.${table.name}`, table, typeName, listField, columns, fieldOf, relations: new Map(),
      writable: table.kind !== 'view' && table.kind !== 'materialized_view' && table.insertable,
    };
    tables.push(model);
    byKey.set(model.key, model);
  }
  // Single-row fields after every list field, so a singular never takes a table's list name.
  for (const model of tables) {
    if (model.table.primaryKey.length === 0) continue;
    const s = singular(model.listField);
    model.singleField = unique(s === model.listField || rootNames.has(s) ? `${model.listField}ByPk` : s, rootNames);
  }
  for (const model of tables) addRelations(snapshot, model, byKey);
  const mutationNames = new Set<string>();
  for (const m of tables) for (const prefix of ['insert', 'insertMany', 'update', 'updateMany', 'delete', 'deleteMany']) mutationNames.add(`${prefix}${m.typeName}`);
  return { tables, byKey, functions: functionModels(snapshot, byKey, rootNames, mutationNames), version: snapshot.version };
}

const SKIPPED_RETURNS = new Set(['trigger', 'event_trigger', 'internal', 'language_handler', 'fdw_handler', 'index_am_handler', 'tsm_handler', 'table_am_handler']);

function functionModels(snapshot: SchemaSnapshot, byKey: Map<string, TableModel>, queryNames: Set<string>, mutationNames: Set<string>): FunctionModel[] {
  const exposed = snapshot.exposedSchemas;
  const out: FunctionModel[] = [];
  const keys = [...snapshot.functions.keys()].filter((k) => exposed.includes(k.slice(0, k.indexOf('.')))).sort();
  for (const key of keys) {
    const overloads = snapshot.functions.get(key)!;
    // Overloads would need one GraphQL field each under invented names: left to REST's /rpc.
    if (overloads.length !== 1) continue;
    const fn = overloads[0]!;
    if (SKIPPED_RETURNS.has(fn.returnTypeName) || fn.args.some((a) => a.name === '' || a.mode === 'variadic')) continue;
    const root = fn.volatility === 'volatile' ? 'mutation' : 'query';
    const prefix = fn.schema === exposed[0] ? '' : `${fn.schema}_`;
    const field = unique(camel(`${prefix}${fn.name}`), root === 'query' ? queryNames : mutationNames);
    const args = new Map<string, FunctionArg>();
    const argNames = new Set<string>();
    for (const a of fn.args) args.set(unique(camel(a.name), argNames), a);
    const result = resultKind(fn);
    const rowsOf = result === 'rows' && fn.returnsRelation ? byKey.get(`${fn.returnsRelation.schema}.${fn.returnsRelation.name}`) : undefined;
    out.push({ fn, field, root, args, result, ...(rowsOf ? { rowsOf } : {}) });
  }
  return out;
}

function addRelations(snapshot: SchemaSnapshot, model: TableModel, byKey: Map<string, TableModel>): void {
  const taken = new Set<string>([...model.columns.keys(), '__typename']);
  const rels = snapshot.relationships.get(model.key) ?? [];
  const childCounts = new Map<string, number>();
  for (const r of rels) if (r.kind === 'one_to_many') childCounts.set(`${r.target.schema}.${r.target.table}`, (childCounts.get(`${r.target.schema}.${r.target.table}`) ?? 0) + 1);
  for (const relationship of rels) {
    if (relationship.kind === 'many_to_many') continue;
    const target = byKey.get(`${relationship.target.schema}.${relationship.target.table}`);
    if (!target) continue;
    // Only what the planner resolves unambiguously from (target table, constraint).
    let found: Relationship;
    try {
      found = findRelationship(snapshot, model.table, relationship.target.table, relationship.constraint);
    } catch {
      continue;
    }
    if (found.kind !== relationship.kind || found.constraint !== relationship.constraint) continue;
    const toOne = relationship.kind === 'many_to_one' || relationship.kind === 'one_to_one';
    let name: string;
    if (toOne) {
      const own = relationship.source.columns;
      const stripped = own.length === 1 ? stripIdSuffix(own[0]!) : undefined;
      const base = stripped && !taken.has(camel(stripped)) ? camel(stripped) : camel(singular(target.listField));
      name = taken.has(base) ? `${base}By${pascal(own.join('_'))}` : base;
    } else {
      const fk = relationship.target.columns;
      const several = (childCounts.get(target.key) ?? 0) > 1;
      name = several || taken.has(target.listField) ? `${target.listField}By${pascal(fk.join('_'))}` : target.listField;
    }
    name = unique(name, taken);
    model.relations.set(name, { name, kind: toOne ? 'parent' : 'children', relationship, target });
  }
}
