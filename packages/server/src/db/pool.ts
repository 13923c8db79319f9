// The connection pool (postgres.js) behind a counting gate. The gate bounds how many
// requests hold a connection and how long others wait (`database.pool_wait_timeout`),
// and gives exact in-use/waiting figures for metrics, which postgres.js does not expose.
// How many connections are open but not held (idle) only the driver knows: its patch
// (patches/postgres+3.4.9.patch) adds `sql.connections()` for that.
//
// Surviving the database (docs/operations.md): every step of holding a connection has a
// time bound. Waiting for a permit is bounded by `pool_wait_timeout`; reserving a
// connection by `connect_timeout` (plus a margin, in case the driver never answers);
// statements by `statement_timeout` on the server; and the whole hold by `maxHoldMs`
// (`server.handler_timeout`): a reservation held longer is destroyed (its socket dropped,
// its queries failed) and its permit returned, so a hung server cannot keep the slots.
// Dead connections are never reused: the driver patch (patches/postgres+3.4.9.patch)
// fails every query written to a closed connection and keeps a closed reservation out of
// the pool; the driver reconnects with a short backoff once the server is back.
import postgres from 'postgres';
import type { Observer, Tracing } from '../observability/index.ts';
import { DatabaseUnavailableError, isUnavailable, redactUrl } from './errors.ts';

export type Sql = postgres.Sql;
export type ReservedSql = postgres.ReservedSql;
/** What the patched driver adds to a reserved connection (patches/postgres+3.4.9.patch). */
type DestroyableReservedSql = ReservedSql & { destroy?: () => void };
/** What the patched driver adds to the pool: its connection queues' sizes (porsager/postgres#443). */
type CountingSql = Sql & { connections?: () => { idle: number; reserved: number; busy: number; connecting: number } };

export interface PoolOptions {
  url: string;
  max: number;
  min: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  poolWaitTimeoutMs: number;
  /** Longest a connection may be held (server.handler_timeout); 0 = unbounded. */
  maxHoldMs?: number;
  applicationName?: string;
  /** PostgreSQL 14+: have the server check every this many ms that the client is still there
   * during a long statement, so the backend of a destroyed connection ends too. */
  clientCheckIntervalMs?: number;
  /** Pool events (unavailable, recovered, abandoned connections), for logs and metrics. */
  observe?: Observer;
}

export interface PoolStats {
  /** Holds of a connection by requests, including holds still waiting for their connection to open. */
  inUse: number;
  /**
   * Connections open to PostgreSQL that nobody holds or uses (the driver's own count: `max − inUse`
   * would count connections never opened, or closed by the server or by max_lifetime, as idle).
   * Undefined when the driver cannot tell (unpatched).
   */
  idle: number | undefined;
  /** Requests waiting for a permit. */
  waiting: number;
  max: number;
}

/** Reconnect delay in seconds after the n-th consecutive failed connection: 50 ms doubling to 500 ms,
 * so requests succeed within about half a second of PostgreSQL accepting connections again. */
export function reconnectBackoff(retries: number): number {
  return Math.min(0.05 * 2 ** Math.max(0, retries - 1), 0.5);
}

/** Extra time given to the driver beyond connect_timeout before a reservation is given up. */
const RESERVE_MARGIN_MS = 1000;

/** FIFO counting semaphore with a wait timeout. */
class Gate {
  private inUse = 0;
  private readonly queue: { grant: () => void; timer: NodeJS.Timeout }[] = [];
  constructor(private readonly max: number) {}

  /** Take a permit if one is free (no promise, for the usual case). */
  tryAcquire(): boolean {
    if (this.inUse >= this.max) return false;
    this.inUse++;
    return true;
  }

  acquire(timeoutMs: number): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(entry.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new DatabaseUnavailableError(`no database connection free within ${timeoutMs} ms`, 'pool_wait_timeout'));
        }, timeoutMs),
      };
      this.queue.push(entry);
    });
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next.grant(); // hand the permit over directly; inUse is unchanged
    else this.inUse--;
  }

  stats(): { inUse: number; waiting: number } {
    return { inUse: this.inUse, waiting: this.queue.length };
  }
}

/** One held connection: when it was taken, and whether the hold sweep already gave it up. */
interface Hold {
  conn: DestroyableReservedSql;
  since: number;
  abandoned: boolean;
}

export interface Pool {
  readonly sql: Sql;
  /** Called with each request transaction's duration (wired to metrics by app.ts). */
  observer: ((operation: string, seconds: number) => void) | undefined;
  /**
   * Tracing (set by app.ts like `observer`): when on, each hold inside a sampled trace is a
   * `db <operation>` span (docs/tracing.md). Absent or off: not looked at beyond this field.
   */
  tracing: Tracing | undefined;
  /**
   * Reserve one connection for the duration of `fn`, honouring the gate and the time bounds.
   * `operation` names its span when tracing is on (default `query`).
   */
  withConnection<T>(fn: (conn: ReservedSql) => Promise<T>, operation?: string, requestId?: string): Promise<T>;
  stats(): PoolStats;
  /** Open `min` connections now so the first requests do not pay for them. */
  warm(): Promise<void>;
  /** Whether the last database interaction succeeded (cheap liveness for /health). */
  healthy(): boolean;
  markHealthy(ok: boolean, cause?: unknown): void;
  close(timeoutMs?: number): Promise<void>;
}

export function createPool(options: PoolOptions): Pool {
  const sql = postgres(options.url, {
    max: options.max,
    idle_timeout: 0, // keep connections: bounded by `max`, and `min` are opened at start
    connect_timeout: Math.max(1, Math.ceil(options.connectTimeoutMs / 1000)),
    backoff: reconnectBackoff,
    prepare: true,
    onnotice: () => {},
    connection: {
      statement_timeout: options.statementTimeoutMs,
      application_name: options.applicationName ?? 'fluxbase',
      ...(options.clientCheckIntervalMs ? { client_connection_check_interval: options.clientCheckIntervalMs } : {}),
    },
  });
  const gate = new Gate(options.max);
  const holds = new Set<Hold>();
  const observe = options.observe ?? (() => {});
  const reserveTimeoutMs = options.connectTimeoutMs + RESERVE_MARGIN_MS;
  let ok = true;
  let closing = false;

  const setHealthy = (value: boolean, cause?: unknown): void => {
    if (value === ok) return;
    ok = value;
    observe(value ? { type: 'db.recovered' } : { type: 'db.unavailable', error: cause instanceof Error ? cause.message : String(cause ?? 'unknown') });
  };

  const unreachable = (err: unknown): DatabaseUnavailableError =>
    err instanceof DatabaseUnavailableError
      ? err
      : new DatabaseUnavailableError(`database at ${redactUrl(options.url)} is unreachable: ${(err as Error).message}`, 'unreachable', { cause: err });

  // Reservations in progress, given up by the sweep after reserveTimeoutMs (a Set and the
  // one sweep timer cost less per request than a timer per reservation).
  const reserving = new Set<{ since: number; giveUp: () => void }>();
  /** sql.reserve(), given up after reserveTimeoutMs; a connection that arrives later goes straight back. */
  const reserve = (): Promise<DestroyableReservedSql> =>
    new Promise((resolve, reject) => {
      let settled = false;
      const entry = {
        since: performance.now(),
        giveUp: () => {
          settled = true;
          reject(new DatabaseUnavailableError(`no database connection within ${reserveTimeoutMs} ms`, 'unreachable'));
        },
      };
      reserving.add(entry);
      sql.reserve().then(
        (conn) => {
          reserving.delete(entry);
          if (settled) conn.release();
          else resolve(conn);
        },
        (err: unknown) => {
          reserving.delete(entry);
          if (!settled) reject(err);
        },
      );
    });

  // The sweep: the backstop that gives up reservations the driver never answers and
  // returns slots held past maxHoldMs (a hung server, or a handler stuck elsewhere).
  // Checked a few times per bound, at most once a second.
  const maxHoldMs = options.maxHoldMs ?? 0;
  const sweepEveryMs = Math.min(1000, Math.max(10, Math.floor(Math.min(reserveTimeoutMs, maxHoldMs || Infinity) / 4)));
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const entry of reserving) {
      if (now - entry.since <= reserveTimeoutMs) continue;
      reserving.delete(entry);
      entry.giveUp();
    }
    if (maxHoldMs <= 0) return;
    for (const hold of holds) {
      if (hold.abandoned || now - hold.since <= maxHoldMs) continue;
      hold.abandoned = true;
      holds.delete(hold);
      hold.conn.destroy?.();
      gate.release();
      observe({ type: 'db.connection_abandoned', heldMs: Math.round(now - hold.since) });
    }
  }, sweepEveryMs);
  sweep.unref();

  /** One hold of a connection: the gate, the reservation, `fn`, the release. */
  async function hold<T>(fn: (conn: ReservedSql) => Promise<T>): Promise<T> {
    if (closing) throw new DatabaseUnavailableError('the server is shutting down', 'shutting_down');
    if (!gate.tryAcquire()) await gate.acquire(options.poolWaitTimeoutMs);
    let conn: DestroyableReservedSql;
    try {
      conn = await reserve();
    } catch (err) {
      gate.release();
      if (isUnavailable(err)) {
        const e = unreachable(err);
        setHealthy(false, e);
        throw e;
      }
      throw err;
    }
    const held: Hold = { conn, since: performance.now(), abandoned: false };
    holds.add(held);
    try {
      const result = await fn(conn);
      setHealthy(true);
      return result;
    } catch (err) {
      if (held.abandoned) {
        // Its connection was destroyed by the hold sweep: say why, not "connection closed".
        throw new DatabaseUnavailableError(`the connection was held past ${maxHoldMs} ms and destroyed`, 'held_too_long', { cause: err });
      }
      if (isUnavailable(err)) setHealthy(false, err);
      throw err;
    } finally {
      if (!held.abandoned) {
        holds.delete(held);
        conn.release(); // a no-op for a connection that closed meanwhile (the driver reconnects it on demand)
        gate.release();
      }
    }
  }

  const pool: Pool = {
    sql,
    observer: undefined,
    tracing: undefined,
    withConnection(fn, operation, requestId) {
      const tracing = pool.tracing;
      if (tracing === undefined || !tracing.enabled) return hold(fn);
      const name = operation ?? 'query';
      // Only inside a sampled trace (the request's, by id, else the active one): the pool's own
      // background work (polls, heartbeats) makes no traces. Nothing runs inside this span, so it
      // is never made the active context.
      const span = tracing.startSpan(`db ${name}`, {
        kind: 'client', requireParent: true, parentRequest: requestId,
        attributes: { 'db.system': 'postgresql', 'db.system.name': 'postgresql', 'db.operation.name': name },
      });
      if (!span.recording) return hold(fn);
      return hold(fn).then((result) => {
        span.end();
        return result;
      }, (err: unknown) => {
        span.fail(err);
        span.end();
        throw err;
      });
    },
    stats: () => ({ ...gate.stats(), idle: (sql as CountingSql).connections?.().idle, max: options.max }),
    async warm() {
      const n = Math.min(options.min, options.max);
      const conns = await Promise.all(Array.from({ length: n }, () => sql.reserve()));
      await Promise.all(conns.map((c) => c`select 1`));
      for (const c of conns) c.release();
    },
    healthy: () => ok,
    markHealthy: setHealthy,
    async close(timeoutMs = 5000) {
      closing = true;
      clearInterval(sweep);
      await sql.end({ timeout: timeoutMs / 1000 });
    },
  };
  return pool;
}
