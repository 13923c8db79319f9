// The Fluxbase realtime protocol at GET /realtime (docs/realtime.md "Protocol"): authenticates
// the upgrade (credentials per docs/getting-started.md "Keys", plus ?token= / ?apikey=), admits
// the connection against the limits, turns client frames into engine calls and engine
// messages into frames, and runs the WebSocket ping and heartbeat timers. Nothing here
// decides who receives what: that is the engine's job (engine/engine.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { AppError, requireAdmin, type Principal, type PrincipalResolver } from '../../http/index.ts';
import { isQueryError } from '../../query/index.ts';
import { RealtimeError, validChannelName, type RealtimeEngine } from '../engine/engine.ts';
import type { Connection } from '../engine/connection.ts';
import type { RealtimeMetrics } from '../engine/metrics.ts';
import { isFrameError, parseFrame, render, renderAck, renderError, type ClientFrame, type FrameError } from './frames.ts';
import { identityOf } from './identity.ts';

export interface SocketOptions {
  engine: RealtimeEngine;
  principals: PrincipalResolver;
  metrics: RealtimeMetrics;
  maxMessageSize: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  heartbeatIntervalMs: number;
  now: () => number;
  /** Live execution logs (subscribe_logs): the jobs subsystem's, passed in by app.ts; absent: none exist. */
  executionLogs?: ExecutionLogs | undefined;
}

/** One execution's log lines as they are written (API.md §9.2 subscribe_logs). */
export interface ExecutionLogEvent {
  execution_id: string;
  execution_type: string;
  line_number: number;
  level: string;
  message: string;
  timestamp: string;
}

export interface ExecutionLogs {
  /** Whether the execution exists and this user (or an admin) may read its logs. */
  visible(executionId: string, type: 'function' | 'job' | 'rpc', who: { userId: string | null; isAdmin: boolean }): Promise<boolean>;
  /** Calls `listener` with each new line; returns the unsubscribe. */
  subscribe(executionId: string, listener: (event: ExecutionLogEvent) => void): () => void;
}

interface Session {
  socket: WebSocket;
  conn: Connection;
  /** When the oldest unanswered ping was sent; undefined once a pong came back. */
  pingSentAt: number | undefined;
  /** The frame being handled; the next one waits for it. */
  handling: Promise<void>;
  /** The credential the connection runs as, re-checked periodically (signed out, key revoked). */
  credential: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    realtimeAdmin?: boolean;
  }
}

/** The envelope fields of an ack: the channel, and the client's messageId echoed so it can match answers. */
function ackFields(frame: ClientFrame, channel: string | undefined): Record<string, unknown> {
  return { ...(channel !== undefined ? { channel } : {}), ...(frame.messageId !== undefined ? { messageId: frame.messageId } : {}) };
}

function requireConnectScope(principal: Principal): void {
  if (principal.kind !== 'service_key') return;
  const scopes = principal.scopes ?? [];
  if (!scopes.includes('*') && !scopes.includes('realtime:connect')) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', { message: 'This service key lacks the realtime:connect scope', details: { required_scope: 'realtime:connect' } });
  }
}

async function isAdmin(request: FastifyRequest): Promise<boolean> {
  try {
    await requireAdmin(request);
    return true;
  } catch {
    return false;
  }
}

export function registerRealtimeSocket(app: FastifyInstance, options: SocketOptions): { close(): void } {
  const { engine } = options;
  const sessions = new Map<Connection, Session>();

  app.route({
    method: 'GET',
    url: '/realtime',
    config: { public: true },
    preHandler: async (request) => {
      const query = request.query as { token?: unknown; apikey?: unknown };
      const principal = await options.principals.resolve(request.headers, {
        token: typeof query.token === 'string' ? query.token : undefined,
        apikey: typeof query.apikey === 'string' ? query.apikey : undefined,
      });
      requireConnectScope(principal);
      request.principal = principal;
      request.realtimeAdmin = await isAdmin(request);
    },
    handler: async () => {
      throw new AppError('UPGRADE_REQUIRED', { message: 'GET /realtime is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)' });
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest) => {
      const identity = identityOf(request.principal, request.realtimeAdmin === true);
      const remoteAddr = request.ip;
      const admission = engine.admit(identity, remoteAddr);
      if (!admission.ok) {
        options.metrics.rejections.inc({ reason: admission.reason });
        socket.send(JSON.stringify({ type: 'error', error: 'max_connections_reached', code: 'MAX_CONNECTIONS_REACHED', payload: { message: admission.message } }));
        socket.close(admission.closeCode, 'Connection limit reached');
        return;
      }
      // ws keeps its net.Socket private; corking it makes one writev of a batch of frames.
      const raw = (socket as unknown as { _socket?: Socket })._socket;
      const conn = engine.open(identity, remoteAddr, {
        render,
        write: (texts) => {
          raw?.cork();
          for (const text of texts) socket.send(text);
          raw?.uncork();
        },
        buffered: () => socket.bufferedAmount,
        onDrain: (callback) => raw?.on('drain', callback),
        close: (code, reason) => socket.close(code, reason),
        pause: () => socket.pause(),
        resume: () => socket.resume(),
      });
      const session: Session = { socket, conn, pingSentAt: undefined, handling: Promise.resolve(), credential: request.principal.token };
      sessions.set(conn, session);
      socket.on('pong', () => {
        session.pingSentAt = undefined;
      });
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
        if (size > options.maxMessageSize) {
          socket.send(renderError({ code: 'MESSAGE_TOO_LARGE', message: `Messages are limited to ${options.maxMessageSize} bytes (realtime.max_message_size)` }));
          socket.close(1009, 'Message too large');
          return;
        }
        if (isBinary) {
          reply(conn, { code: 'INVALID_MESSAGE', message: 'Binary frames are not supported; send JSON text frames' });
          return;
        }
        const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
        const frame = parseFrame(text);
        if (isFrameError(frame)) {
          reply(conn, frame);
          return;
        }
        // One frame at a time, in arrival order: a subscribe sent right after an access_token
        // runs under the new identity.
        session.handling = session.handling.then(() => handle(conn, frame)).catch((err: unknown) => {
          request.log.error({ err }, 'realtime: handling a message failed');
          reply(conn, { code: 'INTERNAL_ERROR', message: 'The server could not handle this message', channel: frame.channel });
        });
      });
      socket.on('close', () => {
        for (const off of logSubscriptions.get(conn) ?? []) off();
        logSubscriptions.delete(conn);
        sessions.delete(conn);
        engine.closed(conn);
      });
      socket.on('error', (err: Error) => request.log.debug({ err }, 'realtime: socket error'));
    },
  });

  function reply(conn: Connection, e: FrameError): void {
    conn.reply(renderError(e));
  }

  const logSubscriptions = new Map<Connection, (() => void)[]>();
  /** At most this many live log subscriptions per connection. */
  const MAX_LOG_SUBSCRIPTIONS = 20;

  async function subscribeLogs(conn: Connection, frame: ClientFrame): Promise<void> {
    const c = (frame.config ?? {}) as { execution_id?: unknown; type?: unknown };
    const id = c.execution_id;
    const type = c.type ?? 'job';
    if (typeof id !== 'string' || id === '') {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'subscribe_logs needs config.execution_id (the job or execution id)', channel: frame.channel, messageId: frame.messageId });
      return;
    }
    if (type !== 'job' && type !== 'rpc' && type !== 'function') {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'config.type must be "job", "rpc" or "function"', channel: frame.channel, messageId: frame.messageId });
      return;
    }
    const logs = options.executionLogs;
    const who = { userId: conn.identity.userId, isAdmin: conn.identity.isAdmin };
    if (!logs || !(await logs.visible(id, type, who))) {
      const why = type === 'function' ? ' (edge function logs are recorded when the call ends: GET /api/v1/functions/:name/executions)' : '';
      reply(conn, { code: 'NOT_FOUND', message: `Execution ${id} not found${why}`, channel: frame.channel, messageId: frame.messageId });
      return;
    }
    const subs = logSubscriptions.get(conn) ?? [];
    if (subs.length >= MAX_LOG_SUBSCRIPTIONS) {
      reply(conn, { code: 'TOO_MANY_SUBSCRIPTIONS', message: `At most ${MAX_LOG_SUBSCRIPTIONS} log subscriptions per connection`, channel: frame.channel, messageId: frame.messageId });
      return;
    }
    subs.push(logs.subscribe(id, (event) => conn.reply(JSON.stringify({ type: 'execution_log', ...(frame.channel !== undefined ? { channel: frame.channel } : {}), payload: event }))));
    logSubscriptions.set(conn, subs);
    conn.reply(renderAck({ subscribed: true, execution_id: id, execution_type: type }, ackFields(frame, frame.channel)));
  }

  async function handle(conn: Connection, frame: ClientFrame): Promise<void> {
    const channel = frame.channel;
    const fail = (err: unknown): void => {
      if (err instanceof RealtimeError) reply(conn, { code: err.code, message: err.message, channel, messageId: frame.messageId, details: err.details });
      else if (isQueryError(err)) {
        reply(conn, { code: 'INVALID_FILTER', message: err.message + (err.hint ? ` (${err.hint})` : ''), channel, messageId: frame.messageId });
      } else if (err instanceof AppError) reply(conn, { code: err.code, message: err.message, channel, messageId: frame.messageId });
      else throw err;
    };
    if (channel !== undefined && !validChannelName(channel)) {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'Channel names are 1 to 255 printable ASCII characters and do not start with a space', messageId: frame.messageId });
      return;
    }
    try {
      switch (frame.type) {
        case 'subscribe':
          return subscribe(conn, frame);
        case 'unsubscribe': {
          const removed = engine.unsubscribe(conn, { subscriptionId: frame.subscription_id, channel });
          conn.reply(renderAck({ unsubscribed: true, ...(frame.subscription_id !== undefined ? { subscription_id: frame.subscription_id } : { subscription_ids: removed }) }, ackFields(frame, channel)));
          return;
        }
        case 'broadcast':
          return await broadcast(conn, frame);
        case 'presence':
          return presence(conn, frame);
        case 'access_token':
          return await accessToken(conn, frame);
        case 'heartbeat':
          return;
        case 'subscribe_logs':
          return await subscribeLogs(conn, frame);
        default:
          reply(conn, { code: 'UNKNOWN_MESSAGE_TYPE', message: `Unknown message type ${JSON.stringify(frame.type)}; expected subscribe, unsubscribe, broadcast, presence, access_token or heartbeat`, channel });
      }
    } catch (err) {
      fail(err);
    }
  }

  function subscribe(conn: Connection, frame: ClientFrame): void {
    const c = frame.config ?? {};
    const table = c.table ?? frame.table;
    if (table !== undefined && table !== '') {
      const schema = c.schema ?? frame.schema ?? 'public';
      const event = c.event ?? frame.event ?? '*';
      const filter = c.filter ?? frame.filter;
      const channel = frame.channel ?? `realtime:${schema}:${table}`;
      const sub = engine.subscribe(conn, { channel, schema, table, event, filter });
      conn.reply(renderAck({
        subscribed: true, subscription_id: sub.id, channel, schema, table, event: sub.event, ...(sub.filterText ? { filter: sub.filterText } : {}),
      }, ackFields(frame, channel)));
      return;
    }
    if (frame.channel === undefined) {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'subscribe needs a "channel" (broadcast and presence) or a "table" (database changes)' });
      return;
    }
    const joined = !conn.channels.has(frame.channel);
    engine.join(conn, frame.channel, { self: c.broadcast?.self, ack: c.broadcast?.ack, presenceKey: c.presence?.key });
    conn.reply(renderAck({ subscribed: true, channel: frame.channel }, ackFields(frame, frame.channel)));
    if (joined) engine.presenceSync(conn, frame.channel);
  }

  async function broadcast(conn: Connection, frame: ClientFrame): Promise<void> {
    if (frame.channel === undefined) {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'broadcast needs a "channel"', messageId: frame.messageId });
      return;
    }
    const { published } = await engine.broadcast(conn, frame.channel, frame.event ?? 'broadcast', frame.payload ?? null);
    if (frame.messageId !== undefined) {
      const status = published ? 'ok' : 'error';
      conn.reply(JSON.stringify({ type: 'ack', channel: frame.channel, messageId: frame.messageId, status, payload: { messageId: frame.messageId, status } }));
    }
  }

  function presence(conn: Connection, frame: ClientFrame): void {
    const channel = frame.channel;
    const p = (frame.payload && typeof frame.payload === 'object' ? frame.payload : {}) as { event?: unknown; key?: unknown; state?: unknown };
    const event = typeof p.event === 'string' ? p.event : frame.event;
    if (channel === undefined) {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'presence needs a "channel"' });
      return;
    }
    if (p.key !== undefined && (typeof p.key !== 'string' || p.key.length === 0 || p.key.length > 256)) {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'A presence key is a string of 1 to 256 characters', channel });
      return;
    }
    if (event === 'track') engine.track(conn, channel, p.key as string | undefined, p.state ?? {});
    else if (event === 'untrack') engine.untrack(conn, channel);
    else reply(conn, { code: 'INVALID_MESSAGE', message: 'presence needs event "track" or "untrack"', channel });
  }

  async function accessToken(conn: Connection, frame: ClientFrame): Promise<void> {
    const fromPayload = frame.payload && typeof frame.payload === 'object' ? (frame.payload as { token?: unknown }).token : undefined;
    const token = frame.token ?? (typeof fromPayload === 'string' ? fromPayload : undefined);
    if (!token) {
      reply(conn, { code: 'INVALID_MESSAGE', message: 'access_token needs a "token"' });
      return;
    }
    let principal: Principal;
    try {
      principal = await options.principals.fromCredential(token);
      requireConnectScope(principal);
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'INVALID_TOKEN';
      reply(conn, { code: code === 'EXPIRED_TOKEN' || code === 'INSUFFICIENT_PERMISSIONS' || code === 'TOKEN_REVOKED' ? code : 'INVALID_TOKEN', message: `The token was not accepted; the connection keeps its identity: ${(err as Error).message}` });
      return;
    }
    // The admin flag follows the new principal (a user token: its auth.users role).
    const admin = principal.role === 'service_role' ? principal.kind !== 'service_key' || (principal.scopes ?? []).includes('*') : principal.userId !== null && (await app.isAdminUser(principal.userId));
    engine.reauthenticate(conn, identityOf(principal, admin));
    const session = sessions.get(conn);
    if (session) session.credential = principal.token;
    conn.reply(renderAck({ type: 'access_token', updated: true }, ackFields(frame, undefined)));
  }

  /**
   * A credential can stop being valid while its socket is open: the user signs out, an admin
   * bans them or revokes their sessions, a stored key is revoked. Each is checked again here
   * (on the heartbeat timer); an outage of the database changes nothing.
   */
  const ENDING = new Set(['EXPIRED_TOKEN', 'TOKEN_REVOKED', 'INVALID_TOKEN', 'INVALID_API_KEY']);
  async function revalidate(): Promise<void> {
    await Promise.all([...sessions.values()].map(async (s) => {
      if (s.credential === undefined || s.conn.expired || s.conn.closed) return;
      try {
        await options.principals.fromCredential(s.credential);
      } catch (err) {
        if (err instanceof AppError && ENDING.has(err.code)) engine.endIdentity(s.conn, err.code === 'EXPIRED_TOKEN' ? 'EXPIRED_TOKEN' : 'TOKEN_REVOKED');
      }
    }));
  }
  engine.addRevalidator(revalidate);

  // Pings keep proxies from closing idle sockets and find dead peers; heartbeats are the
  // application-level keepalive the SDK watches.
  const ping = setInterval(() => {
    const now = options.now();
    for (const s of sessions.values()) {
      if (s.pingSentAt === undefined) {
        s.pingSentAt = now;
        s.socket.ping();
      } else if (now - s.pingSentAt > options.pongTimeoutMs) {
        s.socket.terminate(); // no pong within realtime.pong_timeout: the peer is gone
      } else {
        s.socket.ping();
      }
    }
  }, options.pingIntervalMs);
  ping.unref();
  const heartbeat = setInterval(() => {
    for (const s of sessions.values()) s.conn.sendText('{"type":"heartbeat"}');
    void revalidate();
  }, options.heartbeatIntervalMs);
  heartbeat.unref();

  return {
    close() {
      clearInterval(ping);
      clearInterval(heartbeat);
    },
  };
}
