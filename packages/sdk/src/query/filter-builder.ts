// Row filters of a `from()` request, with postgrest-js's method names and meaning, plus
// Fluxbase's between/notBetween. Each adds one entry to the request's filter list; typed
// clients only accept the relation's columns (or JSON paths into them).
import type { ColumnRef, ColumnValue } from '../types.ts';
import { formatContainment, formatList, formatOperand, formatValue } from './format.ts';
import { TransformBuilder } from './transform-builder.ts';

/** Operators of the grammar (docs/rest.md "Filters"), for `not()` and `filter()`. */
export type FilterOperator =
  | 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'match' | 'imatch'
  | 'is' | 'isdistinct' | 'in' | 'cs' | 'cd' | 'ov' | 'sl' | 'sr' | 'nxl' | 'nxr' | 'adj'
  | 'fts' | 'plfts' | 'phfts' | 'wfts';

export type TextSearchType = 'plain' | 'phrase' | 'websearch';

const FTS_PREFIX: Record<TextSearchType, string> = { plain: 'pl', phrase: 'ph', websearch: 'w' };

export class FilterBuilder<Row, Result> extends TransformBuilder<Row, Result> {
  /** `column = value`. Use `is()` for NULL. */
  eq<C extends ColumnRef<Row>>(column: C, value: NonNullable<ColumnValue<Row, C>>): this {
    return this.op(column, 'eq', formatValue(value));
  }

  neq<C extends ColumnRef<Row>>(column: C, value: ColumnValue<Row, C>): this {
    return this.op(column, 'neq', formatValue(value));
  }

  gt<C extends ColumnRef<Row>>(column: C, value: ColumnValue<Row, C>): this {
    return this.op(column, 'gt', formatValue(value));
  }

  gte<C extends ColumnRef<Row>>(column: C, value: ColumnValue<Row, C>): this {
    return this.op(column, 'gte', formatValue(value));
  }

  lt<C extends ColumnRef<Row>>(column: C, value: ColumnValue<Row, C>): this {
    return this.op(column, 'lt', formatValue(value));
  }

  lte<C extends ColumnRef<Row>>(column: C, value: ColumnValue<Row, C>): this {
    return this.op(column, 'lte', formatValue(value));
  }

  /** Case-sensitive pattern; `%` and `*` are both wildcards. */
  like(column: ColumnRef<Row>, pattern: string): this {
    return this.op(column, 'like', pattern);
  }

  ilike(column: ColumnRef<Row>, pattern: string): this {
    return this.op(column, 'ilike', pattern);
  }

  likeAllOf(column: ColumnRef<Row>, patterns: readonly string[]): this {
    return this.opList(column, 'like(all)', patterns, '{', '}');
  }

  likeAnyOf(column: ColumnRef<Row>, patterns: readonly string[]): this {
    return this.opList(column, 'like(any)', patterns, '{', '}');
  }

  ilikeAllOf(column: ColumnRef<Row>, patterns: readonly string[]): this {
    return this.opList(column, 'ilike(all)', patterns, '{', '}');
  }

  ilikeAnyOf(column: ColumnRef<Row>, patterns: readonly string[]): this {
    return this.opList(column, 'ilike(any)', patterns, '{', '}');
  }

  /** `IS NULL` / `IS TRUE` / `IS FALSE`. */
  is(column: ColumnRef<Row>, value: boolean | null): this {
    return this.op(column, 'is', String(value));
  }

  /** `IS DISTINCT FROM value` (NULL-safe inequality). */
  isDistinct<C extends ColumnRef<Row>>(column: C, value: ColumnValue<Row, C>): this {
    return this.op(column, 'isdistinct', formatValue(value));
  }

  /** `column IN (values)`; values with commas or parentheses are quoted. */
  in<C extends ColumnRef<Row>>(column: C, values: ReadonlyArray<ColumnValue<Row, C>>): this {
    return this.opList(column, 'in', values, '(', ')');
  }

  /** Array/range/jsonb `@>`: an array becomes an array literal, an object JSON, a string is sent as is (ranges). */
  contains<C extends ColumnRef<Row>>(column: C, value: string | ReadonlyArray<unknown> | Record<string, unknown>): this {
    return this.op(column, 'cs', formatContainment(value));
  }

  /** `<@` */
  containedBy<C extends ColumnRef<Row>>(column: C, value: string | ReadonlyArray<unknown> | Record<string, unknown>): this {
    return this.op(column, 'cd', formatContainment(value));
  }

  /** `&&`: arrays or ranges with an element in common. */
  overlaps<C extends ColumnRef<Row>>(column: C, value: string | ReadonlyArray<unknown>): this {
    return this.op(column, 'ov', formatContainment(value));
  }

  /** Range strictly right of `range` (`>>`, PostgREST `sr`). */
  rangeGt(column: ColumnRef<Row>, range: string): this {
    return this.op(column, 'sr', range);
  }

  /** Range does not extend left of `range` (`&>`, `nxl`). */
  rangeGte(column: ColumnRef<Row>, range: string): this {
    return this.op(column, 'nxl', range);
  }

  /** Range strictly left of `range` (`<<`, `sl`). */
  rangeLt(column: ColumnRef<Row>, range: string): this {
    return this.op(column, 'sl', range);
  }

  /** Range does not extend right of `range` (`&<`, `nxr`). */
  rangeLte(column: ColumnRef<Row>, range: string): this {
    return this.op(column, 'nxr', range);
  }

  /** Ranges adjacent to `range` (`-|-`, `adj`). */
  rangeAdjacent(column: ColumnRef<Row>, range: string): this {
    return this.op(column, 'adj', range);
  }

  /** Full-text search: `type` picks plainto/phraseto/websearch_to_tsquery, `config` the language. */
  textSearch(column: ColumnRef<Row>, query: string, options: { config?: string; type?: TextSearchType } = {}): this {
    const prefix = options.type === undefined ? '' : FTS_PREFIX[options.type];
    const config = options.config === undefined ? '' : `(${options.config})`;
    return this.op(column, `${prefix}fts${config}`, query);
  }

  /** Several `eq` at once: `match({ status: 'open', owner: id })`. */
  match(query: { [K in keyof Row & string]?: Row[K] }): this {
    for (const [column, value] of Object.entries(query as Record<string, unknown>)) this.op(column, 'eq', formatValue(value));
    return this;
  }

  /** `column=not.<operator>.<value>`; arrays are rendered as the operator's list. */
  not<C extends ColumnRef<Row>>(column: C, operator: FilterOperator | `${FilterOperator}(${string})`, value: unknown): this {
    const operand = formatOperand(operator, value);
    return this.push(column, true, operator, operand.text, operand.items);
  }

  /**
   * Rows matching any of `filters`, written in the grammar: `'status.eq.open,priority.gt.2'`,
   * nested `and(…)`/`or(…)` allowed. Several or() calls are ANDed together.
   */
  or(filters: string, options: { referencedTable?: string } = {}): this {
    this.state.filters.push({ kind: 'logic', scope: options.referencedTable, group: 'or', expression: filters });
    return this;
  }

  /** Rows matching all of `filters` (grammar as in `or()`); `and('not.or(a.eq.1,b.eq.2)')` negates a group. */
  and(filters: string, options: { referencedTable?: string } = {}): this {
    this.state.filters.push({ kind: 'logic', scope: options.referencedTable, group: 'and', expression: filters });
    return this;
  }

  /**
   * Escape hatch: any column (embedded `author.name`, any JSON path) and any operator, with
   * `not.` and modifiers: `filter('author.name', 'eq', 'Ann')`, `filter('tags', 'not.cs', ['a'])`.
   * A string value is sent as written; arrays become the operator's list.
   */
  filter(column: string, operator: string, value: unknown): this {
    const negated = operator.startsWith('not.');
    const op = negated ? operator.slice(4) : operator;
    const operand = formatOperand(op, value);
    return this.push(column, negated, op, operand.text, operand.items);
  }

  /** Fluxbase: `min <= column <= max`. */
  between<C extends ColumnRef<Row>>(column: C, min: ColumnValue<Row, C>, max: ColumnValue<Row, C>): this {
    this.state.filters.push({ kind: 'between', column, min: formatValue(min), max: formatValue(max), negated: false });
    return this;
  }

  /** Fluxbase: `column < min OR column > max`. */
  notBetween<C extends ColumnRef<Row>>(column: C, min: ColumnValue<Row, C>, max: ColumnValue<Row, C>): this {
    this.state.filters.push({ kind: 'between', column, min: formatValue(min), max: formatValue(max), negated: true });
    return this;
  }

  override returns<NewResult>(): FilterBuilder<Row, NewResult> {
    return this as unknown as FilterBuilder<Row, NewResult>;
  }

  private op(column: string, operator: string, value: string): this {
    return this.push(column, false, operator, value, undefined);
  }

  private opList(column: string, operator: string, values: readonly unknown[], open: string, close: string): this {
    const list = formatList(values, open, close);
    return this.push(column, false, operator, list.text, list.items);
  }

  private push(column: string, negated: boolean, operator: string, value: string, items: string[] | undefined): this {
    const { scope, name } = splitColumn(column);
    this.state.filters.push({ kind: 'operator', scope, column: name, negated, operator, value, ...(items === undefined ? {} : { items }) });
    return this;
  }
}

/** `authors.name` filters the embedded `authors`: before the last dot (outside a JSON path) is the embed path. */
function splitColumn(column: string): { scope: string | undefined; name: string } {
  const dot = (column.split('->')[0] ?? column).lastIndexOf('.');
  return dot > 0 ? { scope: column.slice(0, dot), name: column.slice(dot + 1) } : { scope: undefined, name: column };
}
