// The connection pool (postgres.js) behind a counting gate. The gate bounds how many
// requests hold a connection and how long others wait (`database.pool_wait_timeout`),
// and gives exact in-use/waiting figures for metrics, which postgres.js does not expose.
import postgres from 'postgres';
import { DatabaseUnavailableError, isUnavailable, redactUrl } from './errors.ts';

export type Sql = postgres.Sql;
export type ReservedSql = postgres.ReservedSql;

export interface PoolOptions {
  url: string;
  max: number;
  min: number;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
  poolWaitTimeoutMs: number;
  applicationName?: string;
}

export interface PoolStats {
  inUse: number;
  waiting: number;
  max: number;
}

/** FIFO counting semaphore with a wait timeout. */
class Gate {
  private inUse = 0;
  private readonly queue: { grant: () => void; timer: NodeJS.Timeout }[] = [];
  constructor(private readonly max: number) {}

  acquire(timeoutMs: number): Promise<void> {
    if (this.inUse < this.max) {
      this.inUse++;
      return Promise.resolve();
    }
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

export interface Pool {
  readonly sql: Sql;
  /** Called with each request transaction's duration (wired to metrics by app.ts). */
  observer: ((operation: string, seconds: number) => void) | undefined;
  /** Reserve one connection for the duration of `fn`, honouring the gate. */
  withConnection<T>(fn: (conn: ReservedSql) => Promise<T>): Promise<T>;
  stats(): PoolStats;
  /** Open `min` connections now so the first requests do not pay for them. */
  warm(): Promise<void>;
  /** Whether the last database interaction succeeded (cheap liveness for /health). */
  healthy(): boolean;
  markHealthy(ok: boolean): void;
  close(timeoutMs?: number): Promise<void>;
}

export function createPool(options: PoolOptions): Pool {
  const sql = postgres(options.url, {
    max: options.max,
    idle_timeout: 0, // keep connections: bounded by `max`, and `min` are opened at start
    connect_timeout: Math.max(1, Math.ceil(options.connectTimeoutMs / 1000)),
    prepare: true,
    onnotice: () => {},
    connection: {
      statement_timeout: options.statementTimeoutMs,
      application_name: options.applicationName ?? 'fluxbase',
    },
  });
  const gate = new Gate(options.max);
  let ok = true;
  let closing = false;

  return {
    sql,
    observer: undefined,
    async withConnection(fn) {
      if (closing) throw new DatabaseUnavailableError('the server is shutting down', 'shutting_down');
      await gate.acquire(options.poolWaitTimeoutMs);
      let conn: ReservedSql | undefined;
      try {
        conn = await sql.reserve();
      } catch (err) {
        gate.release();
        if (isUnavailable(err)) {
          ok = false;
          throw new DatabaseUnavailableError(`database at ${redactUrl(options.url)} is unreachable: ${(err as Error).message}`, 'unreachable', { cause: err });
        }
        throw err;
      }
      try {
        const result = await fn(conn);
        ok = true;
        return result;
      } catch (err) {
        if (isUnavailable(err)) ok = false;
        throw err;
      } finally {
        conn.release();
        gate.release();
      }
    },
    stats: () => ({ ...gate.stats(), max: options.max }),
    async warm() {
      const n = Math.min(options.min, options.max);
      const conns = await Promise.all(Array.from({ length: n }, () => sql.reserve()));
      await Promise.all(conns.map((c) => c`select 1`));
      for (const c of conns) c.release();
    },
    healthy: () => ok,
    markHealthy(value) {
      ok = value;
    },
    async close(timeoutMs = 5000) {
      closing = true;
      await sql.end({ timeout: timeoutMs / 1000 });
    },
  };
}
