// The bounded notification queue (hardening item 2.2, docs/realtime.md "Delivery"): changes
// wait in one FIFO lane per table, at most `notification_workers` lanes are processed at once,
// and a lane is only ever processed by one worker, so changes of one table are delivered in
// commit order while different tables proceed in parallel. A worker takes up to `maxBatch`
// consecutive changes of its lane (one RLS statement for all of them). When the queue holds
// `capacity` changes, new ones are dropped and counted: NOTIFY cannot be pushed back on.
export interface ChangeQueueOptions<T> {
  capacity: number;
  workers: number;
  maxBatch: number;
  process: (lane: string, batch: T[]) => Promise<void>;
  onDrop: (item: T) => void;
  onError: (err: unknown) => void;
}

export class ChangeQueue<T> {
  private readonly lanes = new Map<string, T[]>();
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private count = 0;
  private active = 0;
  private idle: (() => void)[] = [];

  constructor(private readonly options: ChangeQueueOptions<T>) {}

  get depth(): number {
    return this.count;
  }

  push(lane: string, item: T): boolean {
    if (this.count >= this.options.capacity) {
      this.options.onDrop(item);
      return false;
    }
    this.count++;
    let items = this.lanes.get(lane);
    if (!items) {
      this.lanes.set(lane, (items = []));
      if (!this.busy.has(lane)) this.ready.push(lane);
    }
    items.push(item);
    this.schedule();
    return true;
  }

  /** Resolves once every queued change has been processed. */
  drained(): Promise<void> {
    if (this.count === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    while (this.active < this.options.workers && this.ready.length > 0) {
      const lane = this.ready.shift()!;
      const items = this.lanes.get(lane)!;
      const batch = items.splice(0, this.options.maxBatch);
      if (items.length === 0) this.lanes.delete(lane);
      this.busy.add(lane);
      this.active++;
      this.options.process(lane, batch).catch(this.options.onError).finally(() => {
        this.active--;
        this.count -= batch.length;
        this.busy.delete(lane);
        if (this.lanes.has(lane)) this.ready.push(lane);
        this.schedule();
        if (this.count === 0 && this.active === 0) {
          const waiters = this.idle;
          this.idle = [];
          for (const w of waiters) w();
        }
      });
    }
  }
}
