// What the REST subsystem is built from (passed in by app.ts).
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';
import type { ReadStatementCache } from './read-cache.ts';

export interface RestDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
  /** Compiled reads by request shape (absent when api.statement_cache_size is 0). */
  readCache?: ReadStatementCache;
  /** Asynchronous RPC (the jobs subsystem's queue, passed in by app.ts); absent: `async: true` answers 501. */
  asyncRpc?: AsyncRpcPort | undefined;
}

/** A call as the job queue keeps it: enough to run it later as the caller did. */
export interface QueuedRpcCall {
  schema: string;
  name: string;
  params: unknown;
  role: string;
  claims: Record<string, unknown>;
  sub: string;
}

export interface AsyncRpcPort {
  /** `requestId`: the calling request, whose trace the queued job continues (docs/tracing.md). */
  enqueue(call: QueuedRpcCall, owner: { userId: string | null; role: string; anonymous: boolean }, timeoutSeconds: number, requestId?: string): Promise<string>;
  get(id: string, who: { userId: string | null; isAdmin: boolean }): Promise<unknown>;
  logs(id: string, who: { userId: string | null; isAdmin: boolean }, afterLine: number): Promise<unknown>;
}
