// Shaping the result of a `from()` request: returned columns after a write, order, limit
// and range (also on embedded resources), single/maybeSingle/csv, cursor pagination and
// write preferences. Method names and semantics follow postgrest-js.
import type { ColumnRef, SelectRow } from '../types.ts';
import { QueryRequest } from './request-builder.ts';

/** Remove whitespace outside double quotes, as postgrest-js does with select strings. */
export function cleanSelect(columns: string): string {
  let quoted = false;
  let out = '';
  for (const c of columns) {
    if (c === '"') quoted = !quoted;
    if (!quoted && /\s/.test(c)) continue;
    out += c;
  }
  return out;
}

interface ReferencedOption { referencedTable?: string }

export class TransformBuilder<Row, Result> extends QueryRequest<Result> {
  /**
   * Return the written rows (`Prefer: return=representation`, `select=<columns>`). Without
   * it, insert/update/upsert/delete send `return=minimal` and `data` is null.
   */
  select<Query extends string = '*'>(columns?: Query): TransformBuilder<Row, SelectRow<Row, Query>[]> {
    this.state.select = cleanSelect(columns ?? '*');
    this.state.returning = true;
    return this as unknown as TransformBuilder<Row, SelectRow<Row, Query>[]>;
  }

  /**
   * Order by `column` (call again for further keys). `nullsFirst` is sent only when given,
   * so PostgreSQL's default applies otherwise (nulls last ascending, first descending).
   */
  order(column: ColumnRef<Row>, options?: { ascending?: boolean; nullsFirst?: boolean; referencedTable?: undefined }): this;
  order(column: string, options: { ascending?: boolean; nullsFirst?: boolean; referencedTable: string }): this;
  order(column: string, options: { ascending?: boolean; nullsFirst?: boolean; referencedTable?: string } = {}): this {
    this.state.order.push({ scope: options.referencedTable, column, ascending: options.ascending ?? true, nullsFirst: options.nullsFirst });
    return this;
  }

  /** At most `count` rows (of the referenced table's rows per parent with `referencedTable`). */
  limit(count: number, options: ReferencedOption = {}): this {
    this.rangeEntry(options.referencedTable).limit = count;
    return this;
  }

  /** Rows `from` to `to`, zero-based and inclusive: `range(0, 9)` is the first ten. */
  range(from: number, to: number, options: ReferencedOption = {}): this {
    const entry = this.rangeEntry(options.referencedTable);
    entry.offset = from;
    entry.limit = to - from + 1;
    return this;
  }

  /**
   * Keyset pagination on `column` (docs/rest.md "Cursor pagination"): pass the previous
   * result's `nextCursor` to get the next page; `nextCursor` is null on the last page.
   * Combine with `limit()` for the page size and `order(column, { ascending: false })` to
   * walk backwards.
   */
  cursor(column: ColumnRef<Row>, cursor?: string | null): this {
    this.state.cursor = { column, value: cursor ?? undefined };
    return this;
  }

  /** `data` is the one row; zero or several rows are an error SINGLE_OBJECT_EXPECTED (406). */
  single(): QueryRequest<Result extends (infer One)[] ? One : never> {
    this.state.accept = 'object';
    return this as unknown as QueryRequest<Result extends (infer One)[] ? One : never>;
  }

  /** `data` is the row or null when there is none; several rows are an error (406). */
  maybeSingle(): QueryRequest<(Result extends (infer One)[] ? One : never) | null> {
    // Fetched as an array and checked here: a 0-row answer is then an ordinary success.
    this.state.accept = 'json';
    this.state.maybeSingle = true;
    return this as unknown as QueryRequest<(Result extends (infer One)[] ? One : never) | null>;
  }

  /** `data` is the result as CSV text with a header row. */
  csv(): QueryRequest<string> {
    this.state.accept = 'csv';
    return this as unknown as QueryRequest<string>;
  }

  /** Run the request and roll it back (`Prefer: tx=rollback`): `data` shows what would change. */
  rollback(): this {
    this.state.rollback = true;
    return this;
  }

  /** Refuse (400 MAX_AFFECTED_EXCEEDED, nothing changed) a write touching more than `count` rows. */
  maxAffected(count: number): this {
    this.state.maxAffected = count;
    return this;
  }

  override returns<NewResult>(): TransformBuilder<Row, NewResult> {
    return this as unknown as TransformBuilder<Row, NewResult>;
  }

  private rangeEntry(scope: string | undefined): { limit?: number; offset?: number } {
    const key = scope ?? '';
    let entry = this.state.ranges.get(key);
    if (entry === undefined) {
      entry = {};
      this.state.ranges.set(key, entry);
    }
    return entry;
  }
}
