// Finding the relationship an embed names (PostgREST's rules): by target table name, by
// foreign-key constraint name, or by one of the source's FK columns; a `!hint` (constraint,
// column, or junction table) narrows the candidates. None → UNKNOWN_RELATIONSHIP with the
// closest name; several → AMBIGUOUS_RELATIONSHIP listing the hints that would decide.
import type { Relationship, SchemaSnapshot, Table } from '../../db/index.ts';
import { QueryError, quoteInput } from '../errors.ts';
import { closestName } from '../suggest.ts';

const key = (schema: string, name: string) => `${schema}.${name}`;

function nameMatches(rel: Relationship, name: string): boolean {
  if (rel.target.table === name) return true;
  if (rel.kind !== 'many_to_many' && rel.constraint === name) return true;
  // `author_id(*)`: the FK column on the source side names the to-one embed.
  if ((rel.kind === 'many_to_one' || rel.kind === 'one_to_one') && rel.source.columns.length === 1 && rel.source.columns[0] === name) return true;
  return false;
}

function hintMatches(rel: Relationship, hint: string): boolean {
  if (rel.constraint === hint) return true;
  if (rel.junction) {
    return rel.junction.table === hint || rel.junction.sourceConstraint === hint || rel.junction.targetConstraint === hint;
  }
  if (rel.source.columns.length === 1 && rel.source.columns[0] === hint) return true;
  if (rel.target.columns.length === 1 && rel.target.columns[0] === hint) return true;
  return false;
}

/** The hint that would pick `rel` (shown to the client on ambiguity). */
export function hintFor(rel: Relationship): string {
  return rel.junction ? rel.junction.table : rel.constraint;
}

export function describeRelationship(rel: Relationship): Record<string, unknown> {
  return {
    cardinality: rel.kind,
    embedding: `${rel.source.table} with ${rel.target.table}`,
    relationship: rel.junction
      ? `${rel.junction.sourceConstraint} and ${rel.junction.targetConstraint} using ${rel.junction.schema}.${rel.junction.table}`
      : `${rel.constraint} using ${rel.source.schema}.${rel.source.table}(${rel.source.columns.join(', ')}) and ${rel.target.schema}.${rel.target.table}(${rel.target.columns.join(', ')})`,
    hint: hintFor(rel),
  };
}

export function findRelationship(snapshot: SchemaSnapshot, source: Table, relation: string, hint: string | undefined): Relationship {
  const exposed = new Set(snapshot.exposedSchemas);
  const all = (snapshot.relationships.get(key(source.schema, source.name)) ?? []).filter((r) => exposed.has(r.target.schema));
  let candidates = all.filter((r) => nameMatches(r, relation));
  if (hint !== undefined) candidates = candidates.filter((r) => hintMatches(r, hint));
  if (candidates.length > 1) {
    // Prefer a target in the source's own schema when the same name exists in several.
    const sameSchema = candidates.filter((r) => r.target.schema === source.schema);
    if (sameSchema.length >= 1 && sameSchema.length < candidates.length) candidates = sameSchema;
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) {
    const names = new Set<string>();
    for (const r of all) {
      names.add(r.target.table);
      if (r.kind !== 'many_to_many') names.add(r.constraint);
    }
    const closest = closestName(relation, names);
    const what = hint === undefined ? quoteInput(relation) : `${quoteInput(relation)} with hint ${quoteInput(hint)}`;
    throw new QueryError('UNKNOWN_RELATIONSHIP', `Could not find a relationship between ${quoteInput(source.name)} and ${what} in the schema cache`, {
      details: { source: `${source.schema}.${source.name}`, relation, ...(hint === undefined ? {} : { hint }) },
      hint: closest ? `Perhaps you meant ${quoteInput(closest)}` : 'Check the foreign keys between the tables, or refresh the schema cache',
    });
  }
  throw new QueryError('AMBIGUOUS_RELATIONSHIP', `More than one relationship was found for ${quoteInput(source.name)} and ${quoteInput(relation)}`, {
    details: { relationships: candidates.map(describeRelationship) },
    hint: `Try changing ${quoteInput(relation)} to one of: ${candidates.map((r) => `${relation}!${hintFor(r)}`).join(', ')}`,
  });
}

export const isToOne = (rel: Relationship): boolean => rel.kind === 'many_to_one' || rel.kind === 'one_to_one';
