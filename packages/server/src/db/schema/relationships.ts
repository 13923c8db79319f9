// Relationships (embeddable paths) from foreign keys, as PostgREST infers them: both
// directions of every FK (one_to_one when the FK columns are a unique key of the FK side),
// the same for views that expose an FK's columns, and many_to_many through a junction table
// whose two FKs' columns together lie within one of its keys. Pure: names in, names out.
import type { ForeignKey, Relationship, RelationEnd, Table } from './types.ts';

/** A view column that shows a table column unchanged (from view-lineage.ts). */
export interface ViewColumnSource {
  viewSchema: string;
  view: string;
  column: string;
  schema: string;
  table: string;
  sourceColumn: string;
}

/** One FK seen from its FK side (`from`) to its referenced side (`to`); views expand one FK into several. */
interface FkLink {
  constraint: string;
  from: RelationEnd;
  to: RelationEnd;
  oneToOne: boolean;
}

/** Per view, cartesian expansions are capped: a view repeating FK columns many times is not worth more. */
const MAX_VIEW_EXPANSIONS = 16;

export const relationKey = (schema: string, name: string): string => `${schema}.${name}`;

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

/** True when `columns` (as a set) is exactly one of the table's unique keys (primary key included). */
export function isUniqueKey(table: Table | undefined, columns: readonly string[]): boolean {
  return !!table && table.uniqueKeys.some((k) => sameSet(k, columns));
}

/** True when every column lies within a single unique key of the table. */
function withinOneKey(table: Table | undefined, columns: readonly string[]): boolean {
  return !!table && table.uniqueKeys.some((k) => columns.every((c) => k.includes(c)));
}

type ExposureIndex = Map<string, Map<string, Map<string, string[]>>>; // table key → view key → table column → view columns

function indexExposures(sources: readonly ViewColumnSource[]): ExposureIndex {
  const index: ExposureIndex = new Map();
  for (const s of sources) {
    const byView = index.get(relationKey(s.schema, s.table)) ?? new Map<string, Map<string, string[]>>();
    index.set(relationKey(s.schema, s.table), byView);
    const viewKey = relationKey(s.viewSchema, s.view);
    const byColumn = byView.get(viewKey) ?? new Map<string, string[]>();
    byView.set(viewKey, byColumn);
    byColumn.set(s.sourceColumn, [...(byColumn.get(s.sourceColumn) ?? []), s.column]);
  }
  return index;
}

/** The table end itself, then every view end that shows all of its columns (each way of picking them). */
function endsFor(end: RelationEnd, exposures: ExposureIndex, tables: ReadonlyMap<string, Table>): RelationEnd[] {
  const ends: RelationEnd[] = [end];
  for (const [viewKey, byColumn] of exposures.get(relationKey(end.schema, end.table)) ?? []) {
    const view = tables.get(viewKey);
    if (!view) continue;
    let combos: string[][] = [[]];
    for (const col of end.columns) {
      const options = byColumn.get(col) ?? [];
      combos = combos.flatMap((prefix) => options.map((o) => [...prefix, o])).slice(0, MAX_VIEW_EXPANSIONS);
    }
    for (const columns of combos) ends.push({ schema: view.schema, table: view.name, columns });
  }
  return ends;
}

function fkLinks(tables: ReadonlyMap<string, Table>, foreignKeys: readonly ForeignKey[], exposures: ExposureIndex): FkLink[] {
  const links: FkLink[] = [];
  for (const fk of foreignKeys) {
    const from = tables.get(relationKey(fk.schema, fk.table));
    if (!from || !tables.has(relationKey(fk.refSchema, fk.refTable))) continue;
    const oneToOne = isUniqueKey(from, fk.columns);
    const sources = endsFor({ schema: fk.schema, table: fk.table, columns: fk.columns }, exposures, tables);
    const targets = endsFor({ schema: fk.refSchema, table: fk.refTable, columns: fk.refColumns }, exposures, tables);
    for (const s of sources) for (const t of targets) links.push({ constraint: fk.constraint, from: s, to: t, oneToOne });
  }
  return links;
}

function junctionRels(links: readonly FkLink[], tables: ReadonlyMap<string, Table>): Relationship[] {
  const byJunction = new Map<string, FkLink[]>();
  for (const l of links) {
    const key = relationKey(l.from.schema, l.from.table);
    byJunction.set(key, [...(byJunction.get(key) ?? []), l]);
  }
  const out: Relationship[] = [];
  for (const [key, list] of byJunction) {
    const junction = tables.get(key);
    // Only tables are junctions: a view over a junction would make every embed through it ambiguous.
    if (!junction || junction.kind === 'view' || junction.kind === 'materialized_view' || list.length < 2) continue;
    for (const a of list) {
      for (const b of list) {
        if (a === b || a.constraint === b.constraint) continue;
        if (!withinOneKey(junction, [...a.from.columns, ...b.from.columns])) continue;
        out.push({
          kind: 'many_to_many',
          constraint: junction.name,
          source: a.to,
          target: b.to,
          junction: {
            schema: junction.schema, table: junction.name,
            sourceColumns: a.from.columns, sourceConstraint: a.constraint,
            targetColumns: b.from.columns, targetConstraint: b.constraint,
          },
        });
      }
    }
  }
  return out;
}

/** Relationships keyed by their source relation (`schema.name`). */
export function buildRelationships(
  tables: ReadonlyMap<string, Table>,
  foreignKeys: readonly ForeignKey[],
  viewSources: readonly ViewColumnSource[] = [],
): Map<string, Relationship[]> {
  const out = new Map<string, Relationship[]>();
  const add = (r: Relationship) => {
    const key = relationKey(r.source.schema, r.source.table);
    const list = out.get(key);
    if (list) list.push(r);
    else out.set(key, [r]);
  };
  const links = fkLinks(tables, foreignKeys, indexExposures(viewSources));
  for (const l of links) {
    add({ kind: l.oneToOne ? 'one_to_one' : 'many_to_one', constraint: l.constraint, source: l.from, target: l.to });
    add({ kind: l.oneToOne ? 'one_to_one' : 'one_to_many', constraint: l.constraint, source: l.to, target: l.from });
  }
  for (const r of junctionRels(links, tables)) add(r);
  return out;
}
