// The closed operator vocabulary of filters (docs/rest.md "Filters") and the "unknown
// operator" error that lists the valid ones and names the closest.
import type { CompareOp, FtsOp, GeoOp, QuantifiableOp } from '../ast.ts';
import { quoteInput } from '../errors.ts';
import { closestName } from '../suggest.ts';
import type { Scanner } from './scanner.ts';

export const COMPARE_OPS: ReadonlySet<CompareOp> = new Set<CompareOp>([
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'isdistinct',
  'cs', 'cd', 'ov', 'sl', 'sr', 'nxr', 'nxl', 'adj',
]);
export const QUANTIFIABLE_OPS: ReadonlySet<QuantifiableOp> = new Set<QuantifiableOp>([
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch',
]);
export const FTS_OPS: ReadonlySet<FtsOp> = new Set<FtsOp>(['fts', 'plfts', 'phfts', 'wfts']);
export const GEO_OPS: ReadonlySet<GeoOp> = new Set<GeoOp>([
  'st_intersects', 'st_contains', 'st_within', 'st_touches', 'st_crosses', 'st_overlaps', 'st_dwithin',
]);
/** pgvector distances: orderings (`order=col.vec_cos.[…]`), never filters. */
export const VECTOR_OPS: ReadonlySet<string> = new Set(['vec_l2', 'vec_cos', 'vec_ip']);

export const ALL_OPERATORS: readonly string[] = [...COMPARE_OPS, 'in', 'is', ...FTS_OPS, ...GEO_OPS];

export const isCompareOp = (op: string): op is CompareOp => COMPARE_OPS.has(op as CompareOp);
export const isQuantifiableOp = (op: string): op is QuantifiableOp => QUANTIFIABLE_OPS.has(op as QuantifiableOp);
export const isFtsOp = (op: string): op is FtsOp => FTS_OPS.has(op as FtsOp);
export const isGeoOp = (op: string): op is GeoOp => GEO_OPS.has(op as GeoOp);

/** Text-search configuration names: plain words only, bound as `$n::regconfig`. */
export const LANGUAGE = /^[a-zA-Z_]+$/;

export function unknownOperator(sc: Scanner, op: string): never {
  if (VECTOR_OPS.has(op)) {
    sc.fail(`${op} is a vector distance, not a filter`, { hint: `Order by it instead: order=<column>.${op}.[1,2,3]` });
  }
  const closest = closestName(op, ALL_OPERATORS);
  sc.fail(`unknown operator ${quoteInput(op)}`, {
    hint: closest ? `Did you mean ${quoteInput(closest)}? Operators: ${ALL_OPERATORS.join(', ')}` : `Operators: ${ALL_OPERATORS.join(', ')}`,
    details: { operator: op },
  });
}
