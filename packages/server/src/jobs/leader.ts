// Leader election by a PostgreSQL session-level advisory lock (DESIGN.md "Functions and jobs"),
// held on a session of its own: a postgres.js client with one connection that nothing else
// uses. Upstream took the lock on an arbitrary pool connection, so the instance could lose
// track of which connection held it (leadership flapped while the lock stayed pinned); here
// the lock lives exactly as long as our session. When the process dies or the session is
// terminated, PostgreSQL releases the lock and another instance takes it on its next try.
//
// postgres.js reconnects silently, so a new connection could answer where the lock holder
// was. Leadership is therefore tied to the backend pid that took the lock: the session's
// close event, a failed or late probe, or a different pid all end leadership at once, and
// the session is then closed (releasing the lock if the server still had it) and reopened
// later with backoff. Acting as leader past a lost lock is harmless for cron (occurrences are
// claimed by a unique key, cron-store.ts), so this errs towards giving leadership up.
import postgres from 'postgres';
import type { Logger } from '../observability/index.ts';

/** The jobs scheduler's lock: upstream's 0x466C7578_00000001 ("Flux", jobs). */
export const SCHEDULER_LOCK_KEY = 0x466c757800000001n;

export const LEADER_APPLICATION_NAME = 'fluxbase-scheduler-leader';

export interface LeaderLockOptions {
  /** The database URL; the lock is taken on a session opened for it alone. */
  url: string;
  /** The advisory lock key; default SCHEDULER_LOCK_KEY. */
  key?: bigint;
  logger: Logger;
  /** application_name of the lock session (operators can find the leader in pg_stat_activity); default 'fluxbase-scheduler-leader'. */
  applicationName?: string;
  /** Connect timeout of the lock session; default 5 s. */
  connectTimeoutMs?: number;
  /** How long a lock attempt or a liveness probe may take before the session is given up; default max(2 s, 2 × connectTimeoutMs). */
  answerMs?: number;
  /** Wait before reopening after the n-th consecutive session failure (1-based); default 100 ms doubling to 10 s, jittered. */
  backoffMs?: (attempt: number) => number;
}

export function leaderBackoffMs(attempt: number): number {
  const base = Math.min(100 * 2 ** Math.max(0, attempt - 1), 10_000);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Settles like `promise`, or rejects after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => {}); // settled late: nobody waits for it any more
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class LeaderLock {
  private sql: postgres.Sql | undefined;
  private generation = 0;
  /** Backend pid of the session holding the lock; undefined while not leader. */
  private heldBy: number | undefined;
  private failures = 0;
  private reopenAt = 0;
  private closed = false;
  private readonly key: string;
  private readonly answerMs: number;

  constructor(private readonly o: LeaderLockOptions) {
    this.key = (o.key ?? SCHEDULER_LOCK_KEY).toString();
    this.answerMs = o.answerMs ?? Math.max(2_000, 2 * (o.connectTimeoutMs ?? 5_000));
  }

  get isLeader(): boolean {
    return this.heldBy !== undefined;
  }

  /**
   * While leader: checks the lock's session still answers as the same backend (else gives
   * leadership up). Otherwise, when `elect`: tries to take the lock (opening a session if
   * none is open and the backoff allows). Returns whether this instance leads; never throws.
   */
  async check(elect: boolean): Promise<boolean> {
    if (this.closed) return false;
    if (this.heldBy !== undefined) return this.probe();
    if (elect) await this.tryLock();
    return this.heldBy !== undefined;
  }

  /** Releases the lock (a graceful hand-over: another instance can take it at once) and closes the session. */
  async release(): Promise<void> {
    this.closed = true;
    const sql = this.sql;
    const held = this.heldBy !== undefined;
    this.sql = undefined;
    this.heldBy = undefined;
    this.generation++;
    if (!sql) return;
    if (held) {
      await within(sql`select pg_catalog.pg_advisory_unlock(${this.key}::bigint)`, this.answerMs, 'the advisory unlock')
        .catch((err: unknown) => this.o.logger.warn({ err }, 'scheduler: could not release the leader lock; closing its session instead'));
      this.o.logger.info('scheduler: gave up leadership');
    }
    await sql.end({ timeout: 1 }).catch(() => {});
  }

  private async tryLock(): Promise<void> {
    if (Date.now() < this.reopenAt) return;
    const generation = this.generation;
    const sql = (this.sql ??= this.open(generation));
    try {
      const [row] = await within(
        sql<{ locked: boolean; pid: number }[]>`select pg_catalog.pg_try_advisory_lock(${this.key}::bigint) as locked, pg_catalog.pg_backend_pid() as pid`,
        this.answerMs + (this.o.connectTimeoutMs ?? 5_000), 'the leader lock attempt');
      if (generation !== this.generation || this.closed) return; // lost or released meanwhile; its end released the lock
      this.failures = 0;
      if (row?.locked) {
        this.heldBy = row.pid;
        this.o.logger.info({ pid: row.pid }, 'scheduler: this instance is now the leader');
      }
    } catch (err) {
      this.lost(generation, err);
    }
  }

  private async probe(): Promise<boolean> {
    const generation = this.generation;
    const sql = this.sql;
    try {
      if (!sql) throw new Error('the leader session is gone');
      const [row] = await within(sql<{ pid: number }[]>`select pg_catalog.pg_backend_pid() as pid`, this.answerMs, 'the leader session probe');
      if (row?.pid !== this.heldBy) throw new Error(`the leader session was replaced (backend ${String(row?.pid)}, lock held by ${String(this.heldBy)})`);
    } catch (err) {
      this.lost(generation, err);
    }
    return this.heldBy !== undefined;
  }

  private open(generation: number): postgres.Sql {
    return postgres(this.o.url, {
      max: 1,
      idle_timeout: 0,
      max_lifetime: null,
      fetch_types: false,
      prepare: false,
      onnotice: () => {},
      connect_timeout: Math.max(1, Math.ceil((this.o.connectTimeoutMs ?? 5_000) / 1000)),
      connection: { application_name: this.o.applicationName ?? LEADER_APPLICATION_NAME },
      onclose: () => this.lost(generation, new Error('the leader session closed')),
    });
  }

  /** Session `generation` failed: leadership ends now, the session is closed and reopened after a backoff. */
  private lost(generation: number, err: unknown): void {
    if (this.closed || generation !== this.generation) return;
    this.generation++; // later reports from the failed session are ignored
    const wasLeader = this.heldBy !== undefined;
    this.heldBy = undefined;
    const old = this.sql;
    this.sql = undefined;
    old?.end({ timeout: 0 }).catch(() => {});
    this.failures++;
    this.reopenAt = Date.now() + (this.o.backoffMs ?? leaderBackoffMs)(this.failures);
    if (wasLeader) this.o.logger.warn({ err }, 'scheduler: lost the leader lock session; no longer the leader');
    else this.o.logger.warn({ err, attempt: this.failures }, 'scheduler: the leader lock session failed; retrying');
  }
}
