// Which subscriptions want a change: an index by table, then the event and the filter.
// The filter is evaluated on the payload the client would receive (excluded columns
// removed): `record`, or `old_record` for a DELETE (docs/realtime.md "Filters").
import type { Subscription } from './connection.ts';
import type { Change, Row } from './types.ts';

export class SubscriptionIndex {
  private readonly byTable = new Map<string, Set<Subscription>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(sub: Subscription): void {
    const key = `${sub.schema}.${sub.table}`;
    let set = this.byTable.get(key);
    if (!set) this.byTable.set(key, (set = new Set()));
    set.add(sub);
    this.count++;
  }

  remove(sub: Subscription): void {
    const key = `${sub.schema}.${sub.table}`;
    const set = this.byTable.get(key);
    if (set?.delete(sub)) {
      this.count--;
      if (set.size === 0) this.byTable.delete(key);
    }
  }

  /** Subscriptions of a table (for re-validation after a registry or schema change). */
  forTable(schema: string, table: string): Iterable<Subscription> {
    return this.byTable.get(`${schema}.${table}`) ?? [];
  }

  tables(): Iterable<string> {
    return this.byTable.keys();
  }

  /** The open subscriptions whose event and filter accept the change. `row` is the stripped row filters see. */
  match(change: Change, row: Row | null): Subscription[] {
    const set = this.byTable.get(`${change.schema}.${change.table}`);
    if (!set) return [];
    const out: Subscription[] = [];
    for (const sub of set) {
      if (sub.connection.closed) continue;
      if (sub.event !== '*' && sub.event !== change.type) continue;
      if (sub.matches && (row === null || !sub.matches(row))) continue;
      out.push(sub);
    }
    return out;
  }
}
