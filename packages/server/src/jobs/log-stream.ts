// Live job logs (API.md §9.2 subscribe_logs; docs/jobs.md "Logs"): workers on any instance
// NOTIFY each line on JOB_LOGS_CHANNEL (queue-store.ts appendLogs); this instance LISTENs while
// someone here is subscribed and hands each line to the subscribers of its execution. A job's
// owner or an admin may subscribe; asynchronous RPC calls are jobs too.
import type postgres from 'postgres';
import type { Logger } from '../observability/index.ts';
import { findJob, JOB_LOGS_CHANNEL, type Queryable } from './queue-store.ts';

export interface LogEvent {
  execution_id: string;
  execution_type: string;
  line_number: number;
  level: string;
  message: string;
  timestamp: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class JobLogStream {
  private readonly listeners = new Map<string, Set<(e: LogEvent) => void>>();
  private listening: Promise<{ unlisten(): Promise<void> } | undefined> | undefined;

  constructor(private readonly o: { listener: postgres.Sql; run<T>(fn: (sql: Queryable) => Promise<T>): Promise<T>; logger: Logger }) {}

  async visible(executionId: string, type: 'function' | 'job' | 'rpc', who: { userId: string | null; isAdmin: boolean }): Promise<boolean> {
    if (type === 'function' || !UUID.test(executionId)) return false;
    const job = await this.o.run((sql) => findJob(sql, executionId));
    if (!job || (type === 'rpc') !== (job.kind === 'rpc')) return false;
    return who.isAdmin || (who.userId !== null && job.created_by === who.userId);
  }

  subscribe(executionId: string, listener: (e: LogEvent) => void): () => void {
    let set = this.listeners.get(executionId);
    if (!set) this.listeners.set(executionId, (set = new Set()));
    set.add(listener);
    this.listening ??= this.o.listener.listen(JOB_LOGS_CHANNEL, (payload) => this.dispatch(payload)).catch((err: unknown) => {
      this.o.logger.warn({ err }, 'jobs: could not LISTEN for live job logs');
      this.listening = undefined;
      return undefined;
    });
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(executionId);
    };
  }

  async close(): Promise<void> {
    const l = await this.listening;
    this.listening = undefined;
    this.listeners.clear();
    await l?.unlisten().catch(() => {});
  }

  private dispatch(payload: string): void {
    let e: LogEvent;
    try {
      e = JSON.parse(payload) as LogEvent;
    } catch {
      return;
    }
    const set = this.listeners.get(e.execution_id);
    if (!set) return;
    for (const l of set) l(e);
  }
}
