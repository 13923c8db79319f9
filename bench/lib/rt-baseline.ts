// The realtime baseline: a bare `ws` server at /realtime that does what a hand-written
// change feed would do, nothing more. It LISTENs (its own postgres.js connection, sql.listen)
// on the same 64 channels the capture trigger sends on (fluxbase_realtime_0…63, all of
// them, as Fluxbase's listener pool does), JSON-parses each notification, and sends every
// subscriber that should see the row a frame of the same kind Fluxbase sends:
//   {"type":"postgres_changes","channel":…,"subscription_id":…,"subscription_ids":[…],"payload":<the notification>}
// Who should see a row is decided without RLS: on `rt_open` every subscriber of the table,
// on `rt_rls` the subscribers whose token's `sub` is the row's `user_id` (what the policy
// `user_id = auth.uid()` decides). The token is decoded, not verified (as the REST baseline
// does); the filter of a subscription is not evaluated (the benchmarks filter on the
// subscriber's own user, which the routing already implies). The payload text is forwarded as
// PostgreSQL wrote it (no re-serialisation); subscribe and unsubscribe answer Fluxbase's acks.
// No send queue, no drops, no pings, heartbeats, limits or metrics.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { WebSocketServer, type WebSocket } from 'ws';
import { changeChannels } from '../../packages/server/src/realtime/capture/index.ts';
import { ROUTE_BY_USER } from './rt-fixture.ts';
import type { ServeOptions, SideServer } from './types.ts';

interface Sub {
  id: string;
  ws: WebSocket;
  table: string;
  user: string;
  /** The frame up to the payload: per subscriber, as Fluxbase renders one per connection. */
  prefix: string;
}

interface TableSubs {
  all: Set<Sub>;
  byUser: Map<string, Set<Sub>>;
}

function claimsOf(token: string | null): { role: string; sub: string } {
  if (!token) return { role: 'anon', sub: '' };
  const part = token.split('.')[1] ?? '';
  try {
    const c = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as { role?: unknown; sub?: unknown };
    return { role: typeof c.role === 'string' ? c.role : 'anon', sub: typeof c.sub === 'string' ? c.sub : '' };
  } catch {
    return { role: 'anon', sub: '' };
  }
}

export async function rtBaseline(options: ServeOptions): Promise<SideServer> {
  const tables = new Map<string, TableSubs>();
  const subsOf = new Map<WebSocket, Sub[]>();

  const add = (sub: Sub) => {
    let t = tables.get(sub.table);
    if (!t) tables.set(sub.table, (t = { all: new Set(), byUser: new Map() }));
    t.all.add(sub);
    let u = t.byUser.get(sub.user);
    if (!u) t.byUser.set(sub.user, (u = new Set()));
    u.add(sub);
  };
  const remove = (sub: Sub) => {
    const t = tables.get(sub.table);
    if (!t) return;
    t.all.delete(sub);
    const u = t.byUser.get(sub.user);
    u?.delete(sub);
    if (u?.size === 0) t.byUser.delete(sub.user);
  };

  const onNotify = (payload: string) => {
    let n: { table?: string; record?: { user_id?: string } | null };
    try {
      n = JSON.parse(payload) as typeof n;
    } catch {
      return;
    }
    const t = n.table === undefined ? undefined : tables.get(n.table);
    if (!t) return;
    const targets = ROUTE_BY_USER.has(n.table!) ? t.byUser.get(n.record?.user_id ?? '') : t.all;
    if (!targets) return;
    for (const sub of targets) sub.ws.send(`${sub.prefix}${payload}}`);
  };

  const sql = postgres(options.databaseUrl, { max: 1, idle_timeout: 0, max_lifetime: null, fetch_types: false, onnotice: () => {} });
  for (const channel of changeChannels()) await sql.listen(channel, onNotify);

  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('GET /realtime is a WebSocket endpoint');
  });
  const wss = new WebSocketServer({ server, path: '/realtime', perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    const { sub: user } = claimsOf(token);
    subsOf.set(ws, []);
    ws.on('message', (data) => {
      let f: { type?: string; channel?: string; config?: { table?: string; schema?: string; event?: string; filter?: string } };
      try {
        f = JSON.parse(String(data)) as typeof f;
      } catch {
        ws.send(JSON.stringify({ type: 'error', error: 'invalid_message', code: 'INVALID_MESSAGE', payload: { message: 'The message is not valid JSON' } }));
        return;
      }
      const channel = f.channel ?? '';
      if (f.type === 'subscribe' && f.config?.table) {
        const id = randomUUID();
        const table = f.config.table;
        const sub: Sub = {
          id, ws, table, user,
          prefix: `{"type":"postgres_changes","channel":${JSON.stringify(channel)},"subscription_id":"${id}","subscription_ids":["${id}"],"payload":`,
        };
        add(sub);
        subsOf.get(ws)!.push(sub);
        ws.send(JSON.stringify({
          type: 'ack', channel,
          payload: { subscribed: true, subscription_id: id, channel, schema: f.config.schema ?? 'public', table, event: f.config.event ?? '*', ...(f.config.filter ? { filter: f.config.filter } : {}) },
        }));
      } else if (f.type === 'unsubscribe') {
        const mine = subsOf.get(ws) ?? [];
        const removed = mine.filter((s) => f.channel === undefined || s.prefix.includes(`"channel":${JSON.stringify(channel)},`));
        for (const s of removed) remove(s);
        subsOf.set(ws, mine.filter((s) => !removed.includes(s)));
        ws.send(JSON.stringify({ type: 'ack', channel, payload: { unsubscribed: true, subscription_ids: removed.map((s) => s.id) } }));
      } else if (f.type !== 'heartbeat') {
        ws.send(JSON.stringify({ type: 'error', error: 'unknown_message_type', code: 'UNKNOWN_MESSAGE_TYPE', payload: { message: `Unknown message type ${JSON.stringify(f.type)}` }, channel }));
      }
    });
    ws.on('close', () => {
      for (const s of subsOf.get(ws) ?? []) remove(s);
      subsOf.delete(ws);
    });
    ws.on('error', () => {});
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sql.end({ timeout: 1 });
    },
  };
}
