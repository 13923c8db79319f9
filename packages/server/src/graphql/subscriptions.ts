// GraphQL subscriptions over WebSocket (API.md §13 "Subscriptions"): the graphql-transport-ws
// protocol of the graphql-ws library, on the socket @fastify/websocket hands over when
// /api/v1/graphql is upgraded. graphql-ws's transport-agnostic makeServer speaks the protocol;
// this file authenticates connection_init, admits the connection into realtime's limits
// through the ChangeFeed app.ts passes in (feed.ts), checks each subscription against the
// current schema and the query limits, and bridges realtime deliveries into the async
// iterators graphql-js's subscribe() consumes. Who receives which change (capture, filters,
// RLS, token expiry) is decided by realtime, exactly as on /realtime.
import type { FastifyRequest } from 'fastify';
import { GraphQLError, subscribe, type ExecutionArgs, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { makeServer, type Context } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Config } from '../config/index.ts';
import { AppError, type Principal, type PrincipalResolver } from '../http/index.ts';
import type { Logger } from '../observability/index.ts';
import { formatError, prepare } from './execute.ts';
import type { ChangeEventType, ChangeFeed, FeedConnection, FeedError, FeedEvent } from './feed.ts';

export interface ChangesInput {
  schema: string;
  table: string;
  events: readonly ChangeEventType[];
  filter?: string | undefined;
}

/** What the `<list>Changes` subscribe resolvers find in their context on this socket. */
export interface SubscriptionContext {
  subscribeChanges(input: ChangesInput): AsyncIterableIterator<FeedEvent>;
}

export interface SubscriptionDeps {
  /** The current schema (it changes when the schema cache reloads); read for each subscribe message. */
  schema: () => GraphQLSchema;
  feed: ChangeFeed;
  principals: PrincipalResolver;
  /** graphql.* (limits, introspection, fragments): a subscribe message is checked exactly as a POST (execute.ts prepare). */
  config: Config;
  logger: Logger;
  /** More members of every operation's context (e.g. `filterText`, which the Changes resolvers use to hand filters on). */
  context?: Record<string, unknown> | undefined;
  /** Changes one subscription may hold while the client is not reading; past it the subscription ends with SLOW_CLIENT. Default 256 (realtime.client_message_queue_size). */
  maxQueuedEvents?: number | undefined;
  /** WebSocket ping period and how long a pong may take before the socket is dropped (realtime.ping_interval / pong_timeout). */
  pingIntervalMs?: number | undefined;
  pongTimeoutMs?: number | undefined;
  /** How long a socket may stay open without connection_init (graphql-ws closes it with 4408). */
  connectionInitWaitMs?: number | undefined;
}

/** Bytes the socket may hold unsent before sending waits for it to drain (as realtime's connection.ts). */
const HIGH_WATER = 64 * 1024;
/** Close codes: graphql-ws's Forbidden (its clients retry it, re-reading connectionParams: a fresh token). */
const FORBIDDEN = 4403;
const INTERNAL_ERROR = 4500;

/** The per-socket state graphql-ws carries as `ctx.extra`. */
interface Session {
  socket: WebSocket;
  request: FastifyRequest;
  conn: FeedConnection | undefined;
  /** Errors are worded for anonymous callers as on HTTP (execute.ts formatError). */
  anonymous: boolean;
  /** The socket closed (possibly while connection_init was being authenticated). */
  closed: boolean;
  pingSentAt: number | undefined;
}

type InitPayload = Record<string, unknown> | undefined;

/** A close reason is at most 123 bytes (RFC 6455 §5.5); cut on a character boundary. */
function limitReason(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = reason.slice(0, 120);
  while (Buffer.byteLength(out) > 120) out = out.slice(0, -1);
  return `${out}...`;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  // graphql-ws may close after we did (onConnect refusal): the first close wins.
  if (socket.readyState === socket.OPEN) socket.close(code, limitReason(reason));
}

function codedError(message: string, code: string, nodes?: GraphQLError['nodes']): GraphQLError {
  return new GraphQLError(message, { nodes: nodes ?? undefined, extensions: { code } });
}

/** A refusal prepare() worded for HTTP, as the GraphQLError graphql-ws sends in an `error` message. */
function fromFormatted(e: GraphQLFormattedError): GraphQLError {
  return Object.assign(new GraphQLError(e.message, { extensions: e.extensions }), e.locations ? { locations: e.locations } : {});
}

/**
 * Credentials of connection_init (`{Authorization: "Bearer …"}`, `{apikey}`, `{token}`), else
 * those of the upgrade request (headers, `?token=` / `?apikey=`), resolved by the same
 * resolver and rules as REST and /realtime (API.md §2.1): when both Authorization and apikey
 * are given both must be valid, and a bad credential never falls back to a weaker one.
 */
function resolvePrincipal(principals: PrincipalResolver, payload: InitPayload, request: FastifyRequest): Promise<Principal> {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const p = payload ?? {};
  const authorization = str(p.Authorization) ?? str(p.authorization);
  const apikey = str(p.apikey);
  const token = str(p.token);
  if (authorization !== undefined || apikey !== undefined || token !== undefined) {
    return principals.resolve({ authorization, apikey }, { token });
  }
  const query = request.query as { token?: unknown; apikey?: unknown } | undefined;
  return principals.resolve(request.headers, { token: str(query?.token), apikey: str(query?.apikey) });
}

/**
 * One subscription's deliveries as the async iterator graphql-js consumes. Changes wait in a
 * bounded queue while the client is slower than the feed (sending waits for the socket to
 * drain); a full queue ends the subscription with SLOW_CLIENT instead of growing. return()
 * (client `complete`, socket closed) unsubscribes from the feed.
 */
export function changeStream(
  conn: FeedConnection,
  input: ChangesInput,
  capacity: number,
  onServerEnd: (error: FeedError) => void,
): AsyncIterableIterator<FeedEvent> {
  let queue: FeedEvent[] = [];
  let head = 0;
  let waiting: { resolve: (r: IteratorResult<FeedEvent>) => void; reject: (err: unknown) => void } | undefined;
  let failure: GraphQLError | undefined;
  let finished = false;
  let unsubscribe: (() => void) | undefined;

  const stop = (): void => {
    finished = true;
    queue = [];
    head = 0;
    const off = unsubscribe;
    unsubscribe = undefined;
    off?.();
  };
  const fail = (err: GraphQLError): void => {
    if (finished) return;
    stop();
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w.reject(err);
    } else {
      failure = err;
    }
  };

  try {
    unsubscribe = conn.subscribe(input, (event) => {
      if (finished) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: event, done: false });
      } else if (queue.length - head >= capacity) {
        fail(codedError(`The client read too slowly: more than ${capacity} changes waited for it, so this subscription ended; subscribe again`, 'SLOW_CLIENT'));
      } else {
        queue.push(event);
      }
    }, (error) => {
      onServerEnd(error);
      fail(codedError(error.message, error.code));
    });
  } catch (err) {
    const code = (err as Partial<FeedError>).code;
    if (typeof code !== 'string') throw err;
    onServerEnd(err as FeedError);
    // Located by graphql-js at the field; the extensions keep realtime's code (TABLE_NOT_ENABLED, INVALID_FILTER, …).
    throw codedError((err as Error).message, code);
  }
  if (finished) unsubscribe?.();

  const done = (): IteratorResult<FeedEvent> => ({ value: undefined, done: true });
  const iterator: AsyncIterableIterator<FeedEvent> = {
    next() {
      if (head < queue.length) {
        const value = queue[head++]!;
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        return Promise.resolve({ value, done: false });
      }
      if (failure) {
        const f = failure;
        failure = undefined;
        return Promise.reject(f);
      }
      if (finished) return Promise.resolve(done());
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      stop();
      failure = undefined;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve(done());
      }
      return Promise.resolve(done());
    },
    throw(err?: unknown) {
      stop();
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * The WebSocket handler for the upgraded GraphQL route: `wsHandler` of a @fastify/websocket
 * route at /api/v1/graphql (the client must ask for subprotocol graphql-transport-ws; others
 * are closed with 4406).
 */
export function createSubscriptionHandler(deps: SubscriptionDeps): (socket: WebSocket, request: FastifyRequest) => void {
  const capacity = deps.maxQueuedEvents ?? 256;
  const pingIntervalMs = deps.pingIntervalMs ?? 15_000;
  const pongTimeoutMs = deps.pongTimeoutMs ?? 60_000;
  const sessions = new Set<Session>();
  let pinger: NodeJS.Timeout | undefined;

  /**
   * Realtime ended subscriptions for a reason that concerns the whole connection: close the
   * socket the way graphql-ws clients recover from (they reconnect with fresh connectionParams
   * and subscribe again), before the subscriptions' errors could reach them and end them for good.
   */
  function connectionEnded(session: Session, error: FeedError): void {
    switch (error.code) {
      case 'EXPIRED_TOKEN':
      case 'TOKEN_REVOKED':
        closeSocket(session.socket, FORBIDDEN, error.message);
        return;
      case 'SERVICE_UNAVAILABLE':
        closeSocket(session.socket, 1001, 'Server shutting down');
        return;
      case 'SLOW_CLIENT':
        closeSocket(session.socket, 1008, 'Connection too slow');
        return;
      case 'CONNECTION_CLOSED':
        closeSocket(session.socket, 1001, error.message);
        return;
    }
  }

  function contextFor(session: Session): SubscriptionContext & Record<string, unknown> {
    return {
      ...deps.context,
      subscribeChanges(input: ChangesInput) {
        const conn = session.conn;
        if (!conn) throw codedError('The connection is not initialised', 'UNAUTHORIZED');
        return changeStream(conn, input, capacity, (error) => connectionEnded(session, error));
      },
    };
  }

  const server = makeServer<InitPayload, Session>({
    connectionInitWaitTimeout: deps.connectionInitWaitMs ?? 3_000,

    async onConnect(ctx: Context<InitPayload, Session>) {
      const session = ctx.extra;
      let principal: Principal;
      try {
        principal = await resolvePrincipal(deps.principals, ctx.connectionParams, session.request);
      } catch (err) {
        if (err instanceof AppError) {
          // The database being away is not the client's fault: 1013 is "try again later".
          closeSocket(session.socket, err.code === 'SERVICE_UNAVAILABLE' ? 1013 : FORBIDDEN, `${err.code}: ${err.message}`);
        } else {
          deps.logger.error({ err }, 'graphql: authenticating a subscription connection failed');
          closeSocket(session.socket, INTERNAL_ERROR, 'Internal server error');
        }
        return false;
      }
      // The socket may have gone while the credential was checked: never take a limit slot for it.
      if (session.closed) return false;
      session.anonymous = principal.role === 'anon';
      try {
        session.conn = deps.feed.connect(principal, session.request.ip);
      } catch (err) {
        const e = err as Partial<FeedError>;
        if (typeof e.code !== 'string') throw err;
        // Connection limits close as on /realtime (1008 per user / per IP, 1013 instance); other refusals are 4403.
        const closeCode = typeof (e as { closeCode?: unknown }).closeCode === 'number' ? (e as { closeCode: number }).closeCode : FORBIDDEN;
        closeSocket(session.socket, closeCode, `${e.code}: ${e.message ?? ''}`);
        return false;
      }
      return true;
    },

    // Parse, limits, validation and the operation type here, so limit errors carry codes as
    // on the HTTP side (API.md §13) and queries are sent to POST.
    onSubscribe(ctx: Context<InitPayload, Session>, _id, payload) {
      const schema = deps.schema();
      const prepared = prepare({ config: deps.config }, schema, payload);
      if ('status' in prepared) return (prepared.body.errors ?? []).map(fromFormatted);
      const { document, operation, variables, operationName } = prepared;
      if (operation.operation !== 'subscription') {
        // The resolvers of queries and mutations need the HTTP request's context (one SQL statement per operation).
        return [codedError('This WebSocket serves subscriptions; send queries and mutations with POST /api/v1/graphql', 'GRAPHQL_VALIDATION_FAILED', [operation])];
      }
      const args: ExecutionArgs = { schema, document, variableValues: variables, operationName, contextValue: contextFor(ctx.extra) };
      return args;
    },

    // A subscription refused when its stream is created (table not enabled, bad filter, too many
    // subscriptions) ends with an `error` message like a validation failure, not graphql-ws's
    // default `next` with errors then `complete`: clients see every refusal in one place.
    async subscribe(args: ExecutionArgs) {
      const result = await subscribe(args);
      if (Symbol.asyncIterator in result || !result.errors?.length) return result;
      const refusal = result.errors[0]!; // a subscription has one root field, so one source error
      // graphql-ws turns an error thrown by the stream into an `error` message (code kept from extensions).
      return (async function* refused(): AsyncGenerator<never> {
        yield* [];
        throw refusal;
      })();
    },

    // Execution errors are worded as on HTTP: our catalog's message and code, never SQL or a stack.
    onNext(ctx: Context<InitPayload, Session>, _id, _payload, _args, result) {
      if (!result.errors?.length) return undefined;
      return { ...result, errors: result.errors.map((e) => (e instanceof GraphQLError ? formatError(e, ctx.extra.anonymous) : e)) };
    },
    onError(ctx: Context<InitPayload, Session>, _id, _payload, errors) {
      return errors.map((e) => formatError(e, ctx.extra.anonymous));
    },
  });

  function startPinging(): void {
    if (pinger) return;
    // Pings keep proxies from closing idle sockets and find dead peers, as on /realtime.
    pinger = setInterval(() => {
      const now = Date.now();
      for (const s of sessions) {
        if (s.pingSentAt === undefined) s.pingSentAt = now;
        else if (now - s.pingSentAt > pongTimeoutMs) {
          s.socket.terminate();
          continue;
        }
        s.socket.ping();
      }
    }, pingIntervalMs);
    pinger.unref();
  }

  return (socket, request) => {
    const session: Session = { socket, request, conn: undefined, anonymous: true, closed: false, pingSentAt: undefined };
    sessions.add(session);
    startPinging();
    socket.on('pong', () => {
      session.pingSentAt = undefined;
    });
    const closed = server.opened({
      protocol: socket.protocol,
      send: (data) => new Promise<void>((resolve) => {
        if (socket.readyState !== socket.OPEN) return resolve();
        // Sending waits only while the socket holds more than HIGH_WATER unsent bytes, so a slow
        // client backs up its subscriptions' bounded queues, never memory here.
        let settled = false;
        socket.send(data, () => {
          if (!settled) resolve();
          settled = true;
        });
        if (!settled && socket.bufferedAmount < HIGH_WATER) {
          settled = true;
          resolve();
        }
      }),
      close: (code, reason) => closeSocket(socket, code ?? 1000, reason ?? ''),
      onMessage: (cb) => {
        socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
          const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
          cb(text).catch((err: unknown) => {
            // graphql-ws rejects on protocol misuse it did not close for, or a bug of ours.
            request.log.error({ err }, 'graphql: handling a subscription message failed');
            closeSocket(socket, INTERNAL_ERROR, 'Internal server error');
          });
        });
      },
    }, session);
    socket.on('close', (code: number, reason: Buffer) => {
      session.closed = true;
      sessions.delete(session);
      if (sessions.size === 0 && pinger) {
        clearInterval(pinger);
        pinger = undefined;
      }
      // Everything of this connection leaves the engine now; the iterators' return() that
      // graphql-ws calls next finds nothing left to unsubscribe.
      session.conn?.close();
      closed(code, reason.toString()).catch((err: unknown) => request.log.debug({ err }, 'graphql: closing a subscription socket'));
    });
    socket.on('error', (err: Error) => request.log.debug({ err }, 'graphql: subscription socket error'));
  };
}
