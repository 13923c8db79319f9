// Foreign keys of one relation. Tables carry their own constraints (`Table.foreignKeys`);
// views (whose keys are inferred from the tables they show) and snapshots without that
// list fall back on the relationships: a `many_to_one` is held by its source, while a
// `one_to_one` exists in both directions under one constraint name, so its holder is
// inferred (PostgreSQL's default FK name starts with the holding table's name; otherwise
// the side whose columns are not its primary key holds it).
import type { ForeignKey, Relationship, SchemaSnapshot, Table } from '../db/index.ts';

export interface DerivedForeignKey extends ForeignKey {
  /** The FK columns are unique on the holding side (PostgREST's one-to-one). */
  oneToOne: boolean;
}

const sameColumns = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

function holdsOneToOne(snapshot: SchemaSnapshot, rel: Relationship): boolean {
  const { source, target } = rel;
  if (source.schema === target.schema && source.table === target.table) {
    // Self-reference: both directions start here; the holder's side is the non-PK one.
    const table = snapshot.tables.get(`${source.schema}.${source.table}`);
    return !table || !sameColumns(source.columns, table.primaryKey) || sameColumns(target.columns, table.primaryKey);
  }
  const sourceNamed = rel.constraint.startsWith(`${source.table}_`);
  const targetNamed = rel.constraint.startsWith(`${target.table}_`);
  if (sourceNamed !== targetNamed) {
    // Both prefixes can match when one table name prefixes the other: the longer wins.
    return sourceNamed;
  }
  if (sourceNamed && targetNamed) return source.table.length > target.table.length;
  const sourceTable = snapshot.tables.get(`${source.schema}.${source.table}`);
  const targetTable = snapshot.tables.get(`${target.schema}.${target.table}`);
  const sourceIsPk = sourceTable !== undefined && sameColumns(source.columns, sourceTable.primaryKey);
  const targetIsPk = targetTable !== undefined && sameColumns(target.columns, targetTable.primaryKey);
  if (sourceIsPk !== targetIsPk) return targetIsPk;
  // Undecidable from the snapshot: report it from both sides rather than lose it.
  return true;
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c) => b.includes(c));

/** The foreign keys held by `table`, sorted by constraint name then referenced relation. */
export function foreignKeysOf(snapshot: SchemaSnapshot, table: Table): DerivedForeignKey[] {
  const own = table.foreignKeys;
  if (own !== undefined && table.kind !== 'view' && table.kind !== 'materialized_view') {
    return sortKeys(own.map((fk) => ({ ...fk, columns: [...fk.columns], refColumns: [...fk.refColumns], oneToOne: table.uniqueKeys.some((k) => sameSet(k, fk.columns)) })));
  }
  return sortKeys(fromRelationships(snapshot, table));
}

function sortKeys(keys: DerivedForeignKey[]): DerivedForeignKey[] {
  const order = (fk: DerivedForeignKey) => `${fk.constraint}\0${fk.refSchema}\0${fk.refTable}\0${fk.columns.join(',')}`;
  return keys.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

function fromRelationships(snapshot: SchemaSnapshot, table: Table): DerivedForeignKey[] {
  const rels = snapshot.relationships.get(`${table.schema}.${table.name}`) ?? [];
  const out: DerivedForeignKey[] = [];
  const seen = new Set<string>();
  for (const rel of rels) {
    if (rel.kind !== 'many_to_one' && rel.kind !== 'one_to_one') continue;
    if (rel.kind === 'one_to_one' && !holdsOneToOne(snapshot, rel)) continue;
    const id = `${rel.constraint}\0${rel.target.schema}.${rel.target.table}\0${rel.source.columns.join(',')}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      constraint: rel.constraint,
      schema: table.schema,
      table: table.name,
      columns: [...rel.source.columns],
      refSchema: rel.target.schema,
      refTable: rel.target.table,
      refColumns: [...rel.target.columns],
      oneToOne: rel.kind === 'one_to_one',
    });
  }
  return out;
}
