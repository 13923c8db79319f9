// Which subscriptions want a change: an index by table, then the event and the filter.
// The filter is evaluated on the payload the client would receive (excluded columns
// removed): `record`, or `old_record` for a DELETE (docs/realtime.md "Filters").
// Subscriptions filtered by a lone `column=eq.value` (the usual `user_id=eq.<me>`) are found
// by the row's value in that column, so a change costs one lookup for them, not one filter
// evaluation per subscriber (bench/README.md "Realtime", RT3).
import { rowEqualityKey } from '../../query/index.ts';
import type { Column } from '../../db/index.ts';
import type { Subscription } from './connection.ts';
import type { Change, Row } from './types.ts';

interface TableSubscriptions {
  /** Subscriptions matched one by one (no filter, or a filter that is not indexable). */
  scanned: Set<Subscription>;
  /** column name → canonical value → subscriptions with that `eq` filter. */
  byValue: Map<string, { column: Column; values: Map<string, Set<Subscription>> }>;
}

export class SubscriptionIndex {
  private readonly byTable = new Map<string, TableSubscriptions>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(sub: Subscription): void {
    const key = `${sub.schema}.${sub.table}`;
    let t = this.byTable.get(key);
    if (!t) this.byTable.set(key, (t = { scanned: new Set(), byValue: new Map() }));
    if (sub.equality) {
      let col = t.byValue.get(sub.equality.column.name);
      if (!col) t.byValue.set(sub.equality.column.name, (col = { column: sub.equality.column, values: new Map() }));
      let set = col.values.get(sub.equality.key);
      if (!set) col.values.set(sub.equality.key, (set = new Set()));
      set.add(sub);
    } else {
      t.scanned.add(sub);
    }
    this.count++;
  }

  remove(sub: Subscription): void {
    const key = `${sub.schema}.${sub.table}`;
    const t = this.byTable.get(key);
    if (!t) return;
    let removed = false;
    if (sub.equality) {
      const col = t.byValue.get(sub.equality.column.name);
      const set = col?.values.get(sub.equality.key);
      if (set?.delete(sub)) {
        removed = true;
        if (set.size === 0) col!.values.delete(sub.equality.key);
        if (col!.values.size === 0) t.byValue.delete(sub.equality.column.name);
      }
    } else {
      removed = t.scanned.delete(sub);
    }
    if (!removed) return;
    this.count--;
    if (t.scanned.size === 0 && t.byValue.size === 0) this.byTable.delete(key);
  }

  /** The open subscriptions whose event and filter accept the change. `row` is the stripped row filters see. */
  match(change: Change, row: Row | null): Subscription[] {
    const t = this.byTable.get(`${change.schema}.${change.table}`);
    if (!t) return [];
    const out: Subscription[] = [];
    const consider = (sub: Subscription, filtered: boolean) => {
      if (sub.connection.closed) return;
      if (sub.event !== '*' && sub.event !== change.type) return;
      if (filtered && sub.matches && (row === null || !sub.matches(row))) return;
      out.push(sub);
    };
    for (const sub of t.scanned) consider(sub, true);
    if (row !== null) {
      for (const [name, col] of t.byValue) {
        const key = rowEqualityKey(col.column, row[name]);
        if (key === undefined) continue;
        // The key lookup is the filter: equal canonical forms are exactly the rows `eq` accepts.
        for (const sub of col.values.get(key) ?? []) consider(sub, false);
      }
    }
    return out;
  }
}
