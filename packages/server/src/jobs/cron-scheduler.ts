// The cron scheduler (issue 14 item 5): fires the schedules of job functions and of edge
// functions (cron_schedule) on one instance, the leader (leader.ts). Exactly-once does not
// rest on leadership: each occurrence is fired in one transaction that claims its
// (schedule, fire_at) key, calls `fire` (which enqueues the job in that transaction) and moves
// the schedule's last_fire_at (cron-store.ts). So a new leader continues where the old one
// committed (nothing missed), two instances that both think they lead fire an occurrence once,
// and a crash mid-way rolls the whole occurrence back. Occurrences come from the injected
// clock, never the database's, and catch-up after downtime is bounded (cron-occurrences.ts).
// What is scheduled comes from `listEntries`; the scheduler knows nothing of functions.
import type { Cron } from 'croner';
import type { Logger } from '../observability/index.ts';
import { compileCron, dueOccurrences, SKIPPED_COUNT_CAP } from './cron-occurrences.ts';
import { claimCronOccurrence, pruneCronRuns, syncCronState, type CronStateRow } from './cron-store.ts';
import { LeaderLock, type LeaderLockOptions } from './leader.ts';
import type { Queryable } from './queue-store.ts';

/** One schedule: `key` names what it runs (`job:<namespace>/<name>`, `function:<namespace>/<name>`). */
export interface CronEntry {
  key: string;
  /** 5 fields, or 6 with seconds first, or a nickname (@hourly, @daily, @weekly, @monthly, @yearly). */
  expression: string;
  /** IANA time zone the expression is read in; default UTC. */
  timezone?: string | undefined;
}

export interface CronSchedulerOptions<E extends CronEntry = CronEntry> {
  /** Runs `fn` in one transaction on a pooled connection (in the app: withConnection + inTransaction). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Every schedule that should run now. A key left out is forgotten (listed again, it starts
   * afresh, with no catch-up); so is one whose expression or zone is invalid (logged once).
   */
  listEntries(): Promise<E[]>;
  /**
   * Fires one occurrence inside the claiming transaction `tx` (enqueue its job there). Throw
   * only for a failure worth retrying: the occurrence then rolls back and is retried next
   * tick, and the schedule's later occurrences wait behind it.
   */
  fire(entry: E, fireAt: Date, tx: Queryable): Promise<void>;
  /** The leader lock's own session: the database URL, and optionally its key, timeouts and application_name. */
  leader: Omit<LeaderLockOptions, 'logger'>;
  logger: Logger;
  /** The clock occurrences are computed from, in ms; default Date.now. */
  now?: () => number;
  /** How often the leader fires what is due and checks its lock session; default 1 s. */
  tickMs?: number;
  /** How often a non-leader tries to take the lock; default 5 s. */
  electionIntervalMs?: number;
  /** Most occurrences of one schedule fired by one tick; older due ones are skipped; default 100. */
  maxCatchUp?: number;
  /** How long fired occurrences are kept in jobs.cron_runs; default 7 days. */
  retentionMs?: number;
  /** How often (by the clock) the leader prunes jobs.cron_runs; default 60 s. */
  pruneEveryMs?: number;
  /** Most jobs.cron_runs rows deleted by one prune; default 1000. */
  pruneBatch?: number;
}

export interface CronTickResult {
  leader: boolean;
  /** Occurrences fired by this tick. */
  fired: number;
  /** Due occurrences skipped because more than maxCatchUp were due (each schedule's count capped at SKIPPED_COUNT_CAP). */
  skipped: number;
}

interface Compiled<E> {
  entry: E;
  cron: Cron;
}

/** `E`: the lead's own entry type (what `fire` needs besides the schedule). */
export class CronScheduler<E extends CronEntry = CronEntry> {
  private lock: LeaderLock;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<CronTickResult> | undefined;
  private lastElection = -Infinity;
  private lastPrune = -Infinity;
  /** Parsed schedules by key, with the expression and zone they were parsed from. */
  private readonly compiled = new Map<string, { id: string; cron: Cron }>();
  /** Keys whose current expression is invalid (logged once per expression). */
  private readonly invalid = new Map<string, string>();
  private readonly now: () => number;
  /** Totals since construction, for metrics and tests. */
  readonly totals = { fired: 0, skipped: 0, errors: 0 };

  constructor(private readonly o: CronSchedulerOptions<E>) {
    this.now = o.now ?? Date.now;
    this.lock = this.newLock();
  }

  get isLeader(): boolean {
    return this.lock.isLeader;
  }

  /** Ticks every tickMs until stop(). Returns at once; the first tick runs now. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 1_000);
    this.timer.unref();
    void this.tick();
  }

  /** Stops ticking and releases the lock, so another instance can lead at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await this.lock.release();
    this.lock = this.newLock();
    this.lastElection = -Infinity;
  }

  /**
   * One round: confirm or seek leadership, and while leader fire what is due. Concurrent
   * calls share the round in progress. Never throws: errors are logged and retried next tick.
   */
  tick(): Promise<CronTickResult> {
    this.ticking ??= this.round().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /**
   * What the leader does each tick, without asking whether this instance leads (tick() calls
   * it only while leader). Public so tests can make two instances act as leader at once.
   */
  fireDue(): Promise<{ fired: number; skipped: number }> {
    return this.work(false);
  }

  private async round(): Promise<CronTickResult> {
    const elect = performance.now() - this.lastElection >= (this.o.electionIntervalMs ?? 5_000);
    if (elect && !this.lock.isLeader) this.lastElection = performance.now();
    if (!(await this.lock.check(elect))) return { leader: false, fired: 0, skipped: 0 };
    return { leader: true, ...(await this.work(true)) };
  }

  /** `whileLeader`: stop firing as soon as leadership is lost (the new leader continues from what was committed). */
  private async work(whileLeader: boolean): Promise<{ fired: number; skipped: number }> {
    const result = { fired: 0, skipped: 0 };
    try {
      const now = this.now();
      const entries = this.compile(await this.o.listEntries());
      const states = await this.o.transaction((tx) => syncCronState(tx, entries.map((c) => c.entry), new Date(now)));
      const byKey = new Map(states.map((s) => [s.schedule_key, s]));
      for (const c of entries) {
        const state = byKey.get(c.entry.key);
        if (whileLeader && !this.lock.isLeader) break;
        if (state) await this.fireSchedule(c, state, now, whileLeader, result);
      }
      if (now - this.lastPrune >= (this.o.pruneEveryMs ?? 60_000)) {
        this.lastPrune = now;
        const before = new Date(now - (this.o.retentionMs ?? 7 * 24 * 3_600_000));
        await this.o.transaction((tx) => pruneCronRuns(tx, before, this.o.pruneBatch ?? 1_000));
      }
    } catch (err) {
      this.totals.errors++;
      this.o.logger.warn({ err }, 'scheduler: could not fire the due schedules; retrying next tick');
    }
    return result;
  }

  /** Fires the schedule's due occurrences in order, each in its own transaction; stops at the first failure. */
  private async fireSchedule(c: Compiled<E>, state: CronStateRow, now: number, whileLeader: boolean, result: { fired: number; skipped: number }): Promise<void> {
    const max = Math.max(1, this.o.maxCatchUp ?? 100);
    const { due, truncated, skipped } = dueOccurrences(c.cron, state.last_fire_at, now, max);
    if (truncated) {
      result.skipped += skipped;
      this.totals.skipped += skipped;
      this.o.logger.warn({ key: c.entry.key, lastFireAt: state.last_fire_at, resumeAt: due[0], skipped: skipped >= SKIPPED_COUNT_CAP ? `${SKIPPED_COUNT_CAP} or more` : skipped },
        'scheduler: more occurrences were missed than maxCatchUp; the older ones are skipped');
    }
    for (const fireAt of due) {
      if (whileLeader && !this.lock.isLeader) return; // leadership lost mid-tick: the new leader continues
      try {
        const fired = await this.o.transaction(async (tx) => {
          if (!(await claimCronOccurrence(tx, c.entry.key, c.entry.expression, fireAt))) return false;
          await this.o.fire(c.entry, fireAt, tx);
          return true;
        });
        if (fired) {
          result.fired++;
          this.totals.fired++;
          this.o.logger.debug({ key: c.entry.key, fireAt }, 'scheduler: fired');
        }
      } catch (err) {
        this.totals.errors++;
        this.o.logger.warn({ err, key: c.entry.key, fireAt }, 'scheduler: could not fire an occurrence; retrying next tick');
        return;
      }
    }
  }

  /** Parses the entries (cached per key, expression and zone); an invalid one is logged once and left out. */
  private compile(entries: E[]): Compiled<E>[] {
    const out: Compiled<E>[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.key)) {
        this.o.logger.warn({ key: entry.key }, 'scheduler: a schedule key is listed twice; the first is used');
        continue;
      }
      seen.add(entry.key);
      const id = `${entry.expression}\n${entry.timezone ?? ''}`;
      let parsed = this.compiled.get(entry.key);
      if (parsed?.id !== id) {
        if (this.invalid.get(entry.key) === id) continue;
        try {
          parsed = { id, cron: compileCron(entry.expression, entry.timezone) };
          this.compiled.set(entry.key, parsed);
          this.invalid.delete(entry.key);
        } catch (err) {
          this.invalid.set(entry.key, id);
          this.compiled.delete(entry.key);
          this.o.logger.warn({ key: entry.key, expression: entry.expression, timezone: entry.timezone, err: (err as Error).message },
            'scheduler: invalid cron schedule; it will not run until it is corrected');
          continue;
        }
      }
      out.push({ entry, cron: parsed.cron });
    }
    for (const key of this.compiled.keys()) if (!seen.has(key)) this.compiled.delete(key);
    for (const key of this.invalid.keys()) if (!seen.has(key)) this.invalid.delete(key);
    return out;
  }

  private newLock(): LeaderLock {
    return new LeaderLock({ ...this.o.leader, logger: this.o.logger });
  }
}
