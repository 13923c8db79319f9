// The change feed GraphQL subscriptions (`<list>Changes`) consume: a third protocol adapter
// over the engine, beside the Fluxbase frames (socket.ts). It owns no socket: the GraphQL
// subsystem speaks graphql-transport-ws and calls this through the narrow ChangeFeed
// interface app.ts hands it (DESIGN.md "Layout": subsystems never import each other, so the
// types below are declared here, structurally identical to graphql/feed.ts). Everything that
// decides who receives what stays in the engine: capture, filters, RLS, connection limits,
// token expiry. Each FeedConnection is one engine Connection whose Transport turns the
// engine's Outgoing messages into calls of the subscribers' callbacks.
import { AppError, type Principal, type PrincipalResolver } from '../../http/index.ts';
import { isQueryError } from '../../query/index.ts';
import type { Logger } from '../../observability/index.ts';
import { RealtimeError, type RealtimeEngine } from '../engine/engine.ts';
import type { Connection } from '../engine/connection.ts';
import type { RealtimeMetrics } from '../engine/metrics.ts';
import type { Outgoing, Transport } from '../engine/types.ts';
import { identityOf } from './identity.ts';

export type ChangeEventType = 'INSERT' | 'UPDATE' | 'DELETE';

export interface FeedEvent {
  type: ChangeEventType;
  /** The row after the change (null on DELETE), columns excluded from realtime removed. */
  record: Record<string, unknown> | null;
  /** The row before (UPDATE, DELETE), when the table sends it; else null. */
  oldRecord: Record<string, unknown> | null;
  commitTimestamp: string;
}

/**
 * A refusal with realtime's error code. `closeCode` is set when the refusal is a connection
 * limit: the close code /realtime uses for it (1008 per user / per IP, 1013 instance total),
 * so the GraphQL socket closes the same way.
 */
export interface FeedError extends Error {
  code: string;
  closeCode?: number | undefined;
}

export interface FeedConnection {
  subscribe(
    input: { schema: string; table: string; events: readonly ChangeEventType[]; filter?: string | undefined },
    deliver: (event: FeedEvent) => void,
    end: (error: FeedError) => void,
  ): () => void;
  close(): void;
}

export interface ChangeFeed {
  connect(principal: Principal, remoteAddr: string): FeedConnection;
  subscriptionCount(): number;
}

export interface ChangeFeedOptions {
  principals: PrincipalResolver;
  /** How often the credentials of open feed connections are checked again (sign-out, revoked key), ms. */
  revalidateIntervalMs: number;
  metrics?: RealtimeMetrics | undefined;
  logger?: Logger | undefined;
}

const EVENTS: readonly ChangeEventType[] = ['INSERT', 'UPDATE', 'DELETE'];
/** The channel name engine subscriptions of this adapter carry (only stats and logs show it). */
const CHANNEL = 'graphql';
/** Credential errors that end a connection's identity when a periodic check meets them (as socket.ts). */
const ENDING = new Set(['EXPIRED_TOKEN', 'TOKEN_REVOKED', 'INVALID_TOKEN', 'INVALID_API_KEY']);

function feedError(code: string, message: string, closeCode?: number): FeedError {
  return Object.assign(new Error(message), { code, ...(closeCode !== undefined ? { closeCode } : {}) });
}

/** Stored service keys need realtime:connect here as on /realtime (API.md §9.1): this is a realtime connection. */
function checkConnectScope(principal: Principal): void {
  if (principal.kind !== 'service_key') return;
  const scopes = principal.scopes ?? [];
  if (!scopes.includes('*') && !scopes.includes('realtime:connect')) {
    throw feedError('INSUFFICIENT_PERMISSIONS', 'This service key lacks the realtime:connect scope');
  }
}

// The Transport contract is text (render once, write later, possibly after the engine's send
// queue held it), so each Outgoing this adapter cares about is encoded as one line-tagged
// string: `C<subscription ids JSON>\n<payload JSON>`, `E<code>\n<ids JSON>`, `S<event>`.
// JSON.stringify never emits a raw newline, so the first one splits safely.
function render(message: Outgoing): string {
  switch (message.kind) {
    case 'change':
      return `C${JSON.stringify(message.subscriptionIds)}\n${message.payload()}`;
    case 'expired':
      return `E${message.code}\n${JSON.stringify(message.subscriptionIds)}`;
    case 'system':
      return `S${message.event}`;
    default:
      // Broadcast and presence need a channel membership, which feed connections never take.
      return '';
  }
}

interface Entry {
  deliver: (event: FeedEvent) => void;
  end: (error: FeedError) => void;
  /** The event types wanted when the engine subscription takes more ('*' for two of three). */
  only: ReadonlySet<ChangeEventType> | undefined;
}

interface Live {
  conn: Connection;
  subs: Map<string, Entry>;
  /** The credential re-checked periodically; undefined for anonymous connections. */
  credential: string | undefined;
}

export function createChangeFeed(engine: RealtimeEngine, options: ChangeFeedOptions): ChangeFeed {
  const live = new Set<Live>();
  let timer: NodeJS.Timeout | undefined;

  async function revalidate(): Promise<void> {
    await Promise.all([...live].map(async (l) => {
      if (l.credential === undefined || l.conn.expired || l.conn.closed) return;
      try {
        await options.principals.fromCredential(l.credential);
      } catch (err) {
        if (err instanceof AppError && ENDING.has(err.code)) engine.endIdentity(l.conn, err.code === 'EXPIRED_TOKEN' ? 'EXPIRED_TOKEN' : 'TOKEN_REVOKED');
      }
    }));
  }
  // Tests (and anything else that calls engine.revalidateIdentities) check feed connections too.
  engine.addRevalidator(revalidate);

  // The periodic check runs only while feed connections exist, so the feed needs no stop().
  function track(l: Live): void {
    live.add(l);
    if (!timer) {
      timer = setInterval(() => {
        revalidate().catch((err: unknown) => options.logger?.warn({ err }, 'realtime: re-checking GraphQL subscription credentials failed'));
      }, options.revalidateIntervalMs);
      timer.unref();
    }
  }
  function untrack(l: Live): void {
    live.delete(l);
    if (live.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    subscriptionCount: () => engine.subscriptionCount,

    connect(principal, remoteAddr) {
      checkConnectScope(principal);
      // The admin flag only opens realtime:admin:* channels, which feed connections never join.
      const identity = identityOf(principal, principal.role === 'service_role' && (principal.kind !== 'service_key' || (principal.scopes ?? []).includes('*')));
      const admission = engine.admit(identity, remoteAddr);
      if (!admission.ok) {
        options.metrics?.rejections.inc({ reason: admission.reason });
        throw feedError('MAX_CONNECTIONS_REACHED', admission.message, admission.closeCode);
      }
      const subs = new Map<string, Entry>();
      let closed = false;
      // Ends every subscription still open with `error` and releases the engine connection.
      const finish = (error: FeedError | undefined): void => {
        if (closed) return;
        closed = true;
        const ended = [...subs.values()];
        subs.clear();
        engine.closed(conn);
        untrack(l);
        if (error) for (const e of ended) e.end(error);
      };
      const transport: Transport = {
        render,
        write(texts) {
          for (const text of texts) {
            // A subscriber's callback failing must not stop the others (this runs in the engine's flush).
            try {
              dispatch(text);
            } catch (err) {
              options.logger?.error({ err }, 'realtime: delivering to a GraphQL subscription failed');
            }
          }
        },
        // Deliveries leave at once into the subscribers' own bounded queues (graphql/
        // subscriptions.ts), which end a subscription that falls behind; nothing waits here.
        buffered: () => 0,
        close(code, reason) {
          // The engine closes a connection on shutdown (1001) or when it stays slow (1008).
          finish(feedError(code === 1001 ? 'SERVICE_UNAVAILABLE' : 'SLOW_CLIENT', reason));
        },
      };
      const conn = engine.open(identity, remoteAddr, transport);
      const l: Live = { conn, subs, credential: principal.token };
      track(l);

      function dispatch(text: string): void {
        const tag = text.charCodeAt(0);
        if (tag === 0x43 /* C */) {
          const nl = text.indexOf('\n');
          const ids = JSON.parse(text.slice(1, nl)) as string[];
          const p = JSON.parse(text.slice(nl + 1)) as { type: ChangeEventType; commit_timestamp: string; record: Record<string, unknown> | null; old_record?: Record<string, unknown> };
          // One object per connection and change, shared by its matching subscriptions (read-only to them).
          const event: FeedEvent = { type: p.type, record: p.record, oldRecord: p.old_record ?? null, commitTimestamp: p.commit_timestamp };
          for (const id of ids) {
            const e = subs.get(id);
            if (e && (!e.only || e.only.has(event.type))) e.deliver(event);
          }
        } else if (tag === 0x45 /* E */) {
          // The engine already removed these subscriptions (token expired or revoked).
          const nl = text.indexOf('\n');
          const code = text.slice(1, nl);
          const error = feedError(code, code === 'EXPIRED_TOKEN'
            ? 'The access token expired, so this subscription ended; reconnect with a fresh token'
            : 'The session behind this connection was signed out or revoked, so this subscription ended; sign in again');
          for (const id of JSON.parse(text.slice(nl + 1)) as string[]) {
            const e = subs.get(id);
            if (!e) continue;
            subs.delete(id);
            e.end(error);
          }
        } else if (text === 'Sshutdown') {
          // The engine closes the connection right after; end the subscriptions with the reason first.
          finish(feedError('SERVICE_UNAVAILABLE', 'The server is shutting down; reconnect to another instance'));
        }
        // listener_reconnected / changes_dropped: graphql-transport-ws has no frame for a notice
        // beside a subscription's data, and ending every subscription on a feed reconnect would
        // be worse than the gap it reports.
      }

      return {
        subscribe(input, deliver, end) {
          if (closed) throw feedError('CONNECTION_CLOSED', 'This connection is closed');
          const wanted = new Set<ChangeEventType>();
          for (const e of input.events) {
            if (!EVENTS.includes(e)) throw feedError('INVALID_MESSAGE', `Unknown event ${JSON.stringify(e)}: use INSERT, UPDATE or DELETE`);
            wanted.add(e);
          }
          // One engine subscription per GraphQL subscription, so realtime.max_subscriptions_per_connection
          // counts what the client opened; two of three events filter here.
          const all = wanted.size === 0 || wanted.size === EVENTS.length;
          const event = all ? '*' : wanted.size === 1 ? [...wanted][0]! : '*';
          let sub;
          try {
            sub = engine.subscribe(conn, { channel: CHANNEL, schema: input.schema, table: input.table, event, filter: input.filter });
          } catch (err) {
            if (err instanceof RealtimeError) throw feedError(err.code, err.message);
            if (isQueryError(err)) throw feedError('INVALID_FILTER', err.message + (err.hint ? ` (${err.hint})` : ''));
            throw err;
          }
          const id = sub.id;
          subs.set(id, { deliver, end, only: all || wanted.size === 1 ? undefined : wanted });
          return () => {
            if (subs.delete(id) && !closed) engine.unsubscribe(conn, { subscriptionId: id });
          };
        },
        close: () => finish(undefined),
      };
    },
  };
}
