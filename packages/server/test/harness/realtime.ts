// A realtime test client over `ws`: it records every frame and waits for the next one that
// matches, so tests assert on what arrived without sleeping.
import postgres from 'postgres';
import WebSocket from 'ws';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read nested frame fields freely
export type Frame = Record<string, any>;

export class RtClient {
  readonly frames: Frame[] = [];
  private taken = 0;
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private readonly closedPromise: Promise<void>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)) as Frame);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        for (const w of this.waiters.splice(0)) w();
        resolve();
      });
    });
    ws.on('error', () => {});
  }

  /** Open a socket to `${url}/realtime${query}`; resolves once open (or rejects with the HTTP status). */
  static connect(url: string, query = '', headers: Record<string, string> = {}, options: WebSocket.ClientOptions = {}): Promise<RtClient> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/realtime${query}`, { headers, ...options });
    const client = new RtClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += String(c)));
        res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (after those already taken) that matches; frames before it are skipped. */
  async next(match: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.taken < this.frames.length) {
        const f = this.frames[this.taken++]!;
        if (match(f)) return f;
      }
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) while waiting; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; last frames: ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Send a frame and wait for its ack or error. */
  async request(frame: Frame): Promise<Frame> {
    this.send(frame);
    return this.next((f) => f.type === 'ack' || f.type === 'error');
  }

  /** Subscribe to table changes; returns the subscription id (throws on an error frame). */
  async subscribe(table: string, config: Frame = {}, channel = `room:${table}`): Promise<string> {
    const f = await this.request({ type: 'subscribe', channel, config: { table, ...config } });
    if (f.type !== 'ack') throw new Error(`subscribe failed: ${JSON.stringify(f)}`);
    return f.payload.subscription_id as string;
  }

  /** Frames of one type received so far and not yet taken, without waiting. */
  pending(type: string): Frame[] {
    return this.frames.slice(this.taken).filter((f) => f.type === type);
  }

  all(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  closed(): Promise<void> {
    return this.closedPromise;
  }

  close(): Promise<void> {
    if (this.closeCode === undefined) this.ws.close();
    return this.closedPromise;
  }
}

/** Enable a table for realtime through the admin route (docs/realtime.md "Enabling a table"). */
export async function enableRealtime(app: { fetch(path: string, init?: RequestInit): Promise<Response>; keys: { service_role: string } }, table: string, body: Record<string, unknown> = {}): Promise<void> {
  const res = await app.fetch('/api/v1/admin/realtime/tables', {
    method: 'POST', headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' }, body: JSON.stringify({ table, ...body }),
  });
  if (res.status !== 201) throw new Error(`enabling ${table} for realtime failed: ${res.status} ${await res.text()}`);
}

/**
 * One realtime test file's world, closed together: a fresh database and an owner connection
 * (create the tables with it), then the app (its schema reloaded), and the sockets opened.
 */
export class RealtimeHarness {
  db!: TestDatabase;
  sql!: postgres.Sql;
  app!: TestApp;
  readonly clients: RtClient[] = [];

  async openDatabase(): Promise<postgres.Sql> {
    this.db = await createTestDatabase();
    this.sql = postgres(this.db.url, { max: 4, onnotice: () => {} });
    return this.sql;
  }

  async startApp(options: Parameters<typeof startTestApp>[1] = {}): Promise<TestApp> {
    this.app = await startTestApp(this.db.url, options);
    await this.app.server.schema.reload();
    return this.app;
  }

  async connect(query = ''): Promise<RtClient> {
    const c = await RtClient.connect(this.app.url, query);
    this.clients.push(c);
    return c;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await this.app?.close();
    await this.sql?.end();
    await this.db?.drop();
  }
}
