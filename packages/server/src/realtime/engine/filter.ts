// Subscription filters use the REST filter grammar (`column=op.value`, several joined by `&`,
// `or=(…)` groups, JSON paths), parsed by query/ into the shared filter AST and evaluated in
// memory by query/'s evaluator (docs/realtime.md "Filters"). Anything the evaluator cannot
// decide exactly is refused at subscribe time with INVALID_FILTER, so a subscription never
// silently mismatches. Excluded columns are invisible to filters (a filter on one would leak
// what the exclusion hides).
import type { Column, Table } from '../../db/index.ts';
import { assertEvaluable, equalityKeyOf, evaluateFilter, parseQueryString, QueryError, quoteInput, type FilterNode } from '../../query/index.ts';

export const MAX_FILTER_LENGTH = 2048;

export type RowPredicate = (row: Record<string, unknown>) => boolean;

export interface CompiledFilter {
  matches: RowPredicate;
  /** Set for a lone `column=eq.value` on an indexable column: subscriptions are found by value. */
  equality?: { column: Column; key: string } | undefined;
}

function invalid(message: string, hint?: string): QueryError {
  return new QueryError('INVALID_FILTER', message, hint ? { hint } : {});
}

/** Parse and check a subscription filter against the table; throws QueryError. */
export function compileSubscriptionFilter(filter: string, table: Table, excluded: ReadonlySet<string>): CompiledFilter {
  if (filter.length > MAX_FILTER_LENGTH) throw invalid(`The filter is longer than ${MAX_FILTER_LENGTH} characters`);
  if (!/^[^=&]+=/.test(filter)) {
    throw invalid(`Invalid filter ${quoteInput(filter)}: expected column=operator.value`, 'For example: "user_id=eq.42" or "status=in.(open,closed)"');
  }
  // The grammar is the REST query string's; values with & or % must be percent-encoded there too.
  const parsed = parseQueryString(filter, { mount: 'postgrest', aggregatesEnabled: false });
  const extra = parsed.select.some((item) => item.kind !== 'star') || parsed.order.length > 0 || parsed.ranges.length > 0 || parsed.count !== undefined
    || parsed.cursor !== undefined || parsed.onConflict !== undefined || parsed.columns !== undefined;
  if (extra || parsed.filters.length === 0 || parsed.filters.some((f) => f.path.length > 0)) {
    throw invalid(`Invalid filter ${quoteInput(filter)}: only column filters are allowed (no select, order, limit or embedded resources)`);
  }
  const node: FilterNode = parsed.filters.length === 1 ? parsed.filters[0]!.node : { kind: 'and', negated: false, children: parsed.filters.map((f) => f.node) };
  const columns = new Map<string, Column>();
  for (const [name, column] of table.columnMap) if (!excluded.has(name)) columns.set(name, column);
  for (const name of fieldsOf(node)) {
    if (excluded.has(name)) throw invalid(`Column ${quoteInput(name)} is excluded from realtime payloads and cannot be filtered on`);
  }
  assertEvaluable(node, columns);
  const eq = equalityKeyOf(node, columns);
  return { matches: (row) => evaluateFilter(node, row, columns), equality: eq ? { column: columns.get(eq.column)!, key: eq.key } : undefined };
}

function fieldsOf(node: FilterNode): string[] {
  return node.kind === 'filter' ? [node.field.column] : node.children.flatMap(fieldsOf);
}
