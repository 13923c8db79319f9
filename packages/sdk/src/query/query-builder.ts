// `from(relation)`: the entry of a table request. Picks the verb (select → GET/HEAD,
// insert/upsert → POST, update → PATCH, delete → DELETE) and hands back a FilterBuilder
// over a fresh request state, as postgrest-js's PostgrestQueryBuilder does.
import type { HttpMethod, Transport } from '../transport.ts';
import type { InsertOf, RowOf, SelectRow, UpdateOf } from '../types.ts';
import { FilterBuilder } from './filter-builder.ts';
import { initialState, type CountOption, type QueryState } from './state.ts';
import { cleanSelect } from './transform-builder.ts';

export interface SelectOptions {
  /** Ask for the total row count (in `count`): `exact`, `planned` (estimate) or `estimated`. Default: none. */
  count?: CountOption;
  /** Send HEAD: no rows, only the count and status. Default: false. */
  head?: boolean;
}

export interface InsertOptions {
  count?: CountOption;
  /** false: keys missing from some rows of a bulk insert take the column DEFAULT (`missing=default`). Default: true (NULL). */
  defaultToNull?: boolean;
}

export interface UpsertOptions extends InsertOptions {
  /** Comma-separated unique columns that decide a conflict. Default: the primary key. */
  onConflict?: string;
  /** true: keep the existing row (`ignore-duplicates`); false: merge into it. Default: false. */
  ignoreDuplicates?: boolean;
}

type Rows<T> = [T] extends [never] ? never : T | readonly T[];

export class QueryBuilder<Relation> {
  private readonly transport: Transport;
  private readonly path: string;

  constructor(transport: Transport, path: string) {
    this.transport = transport;
    this.path = path;
  }

  /** Read rows: `select('id, title, author(name)', { count: 'exact' })`. */
  select<Query extends string = '*'>(columns?: Query, options: SelectOptions = {}): FilterBuilder<RowOf<Relation>, SelectRow<RowOf<Relation>, Query>[]> {
    const state = this.state(options.head === true ? 'HEAD' : 'GET');
    state.select = cleanSelect(columns ?? '*');
    state.count = options.count;
    return new FilterBuilder(this.transport, state);
  }

  /** Insert one row or several. Chain `.select()` to get them back. */
  insert(values: Rows<InsertOf<Relation>>, options: InsertOptions = {}): FilterBuilder<RowOf<Relation>, null> {
    const state = this.write('POST', values, options.count);
    state.missingDefault = options.defaultToNull === false;
    return new FilterBuilder(this.transport, state);
  }

  /** Insert, or on a conflict merge into (or keep) the existing row. */
  upsert(values: Rows<InsertOf<Relation>>, options: UpsertOptions = {}): FilterBuilder<RowOf<Relation>, null> {
    const state = this.write('POST', values, options.count);
    state.resolution = options.ignoreDuplicates === true ? 'ignore-duplicates' : 'merge-duplicates';
    state.onConflict = options.onConflict;
    state.missingDefault = options.defaultToNull === false;
    return new FilterBuilder(this.transport, state);
  }

  /** Update the rows the chained filters match (a filter is required by the server). */
  update(values: UpdateOf<Relation>, options: { count?: CountOption } = {}): FilterBuilder<RowOf<Relation>, null> {
    return new FilterBuilder(this.transport, this.write('PATCH', values, options.count));
  }

  /** Delete the rows the chained filters match (a filter is required by the server). */
  delete(options: { count?: CountOption } = {}): FilterBuilder<RowOf<Relation>, null> {
    return new FilterBuilder(this.transport, this.write('DELETE', undefined, options.count));
  }

  private state(method: HttpMethod): QueryState {
    return initialState(method, this.path);
  }

  private write(method: HttpMethod, body: unknown, count: CountOption | undefined): QueryState {
    const state = this.state(method);
    state.body = body;
    state.count = count;
    return state;
  }
}
