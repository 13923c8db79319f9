// What GraphQL subscriptions need from realtime, passed in by app.ts (DESIGN.md: subsystems
// never import each other; a narrow interface crosses instead). The realtime subsystem
// implements it over its engine, so `<list>Changes` fields get the same capture, RLS rules,
// connection limits and slow-client handling as /realtime.
import type { Principal } from '../http/index.ts';

export type ChangeEventType = 'INSERT' | 'UPDATE' | 'DELETE';

export interface FeedEvent {
  type: ChangeEventType;
  /** The row after the change (null on DELETE), columns excluded from realtime removed. */
  record: Record<string, unknown> | null;
  /** The row before (UPDATE, DELETE), when the table sends it; else null. */
  oldRecord: Record<string, unknown> | null;
  commitTimestamp: string;
}

/** A refusal with realtime's error code (TABLE_NOT_ENABLED, INVALID_FILTER, TOO_MANY_SUBSCRIPTIONS, EXPIRED_TOKEN, …). */
export interface FeedError extends Error {
  code: string;
}

export interface FeedConnection {
  /**
   * Subscribes to changes of one table. `filter` is in the REST filter grammar
   * (`col=eq.1&or=(…)`), as realtime subscriptions take it. Throws a FeedError when refused.
   * `deliver` is called for each matching change the caller may see (RLS); `end` when the
   * subscription is ended by the server (token expired, shutdown), with the reason.
   * Returns the function that unsubscribes.
   */
  subscribe(
    input: { schema: string; table: string; events: readonly ChangeEventType[]; filter?: string | undefined },
    deliver: (event: FeedEvent) => void,
    end: (error: FeedError) => void,
  ): () => void;
  /** The socket is gone: drop every subscription and the connection's slot in the limits. */
  close(): void;
}

export interface ChangeFeed {
  /** Admits a connection for `principal` (realtime's per-user / per-IP / instance limits) or throws a FeedError. */
  connect(principal: Principal, remoteAddr: string): FeedConnection;
  /** Live subscriptions in the engine (tests: nothing leaks after disconnects). */
  subscriptionCount(): number;
}
