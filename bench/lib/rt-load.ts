// Load and measurement for the realtime benchmarks: the client sockets (in the runner
// process), the row writer (its own postgres.js connection), and one measured round.
//
// Clients: `ws` sockets to `<side>/realtime?token=…`; a round subscribes the measured side's
// sockets (waiting for every ack) and unsubscribes them after, so the idle side has no
// subscribers while the other is measured (it still receives and drops the notifications,
// as the measured side does for the other's rounds). A postgres_changes frame is read by
// scanning its text for `"seq":`, `"sent_at":` and `"user_id":` (no JSON.parse: the runner's
// CPU is shared with both servers and PostgreSQL).
//
// Writer: multi-row INSERTs (jsonb_to_recordset) on ONE connection, pipelined, so commit
// order is `seq` order. Two modes:
//   - closed loop: at most `window` rows written and not yet delivered to every socket that
//     should get them; a new INSERT of `batch` rows goes out as soon as there is room. Each side
//     then runs as fast as it can absorb (its deliveries/s is its capacity), without unbounded
//     backlog and below Fluxbase's queue bounds (no drops by design).
//   - fixed rate: `rate` rows/s, whatever the side does (for latency: p50/p99 at a load both
//     sides sustain).
// A row is done when every socket that should receive it did; one not done 10 s after it was
// written counts its remaining deliveries as missed.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import WebSocket from 'ws';
import { ROW_BODY } from './rt-fixture.ts';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** User + system CPU time of a process in µs (/proc/<pid>/stat, 10 ms ticks). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** The main thread's [time on a CPU, time runnable but waiting for one] in µs (/proc/<pid>/schedstat, ns). */
export function schedMicros(pid: number): [number, number] {
  const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return [(run ?? NaN) / 1000, (wait ?? NaN) / 1000];
}

/** CPU µs of every PostgreSQL backend connected to `database` (by its process title), by pid. */
export function backendCpu(database: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (!cmd.startsWith('postgres: ') || !cmd.includes(` ${database} `)) continue;
      out.set(pid, cpuMicros(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU µs the backends used between two backendCpu samples (a backend new in `after` counts whole). */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** Resident set size of a process in bytes (/proc/<pid>/status VmRSS). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

// ── frame scanning ─────────────────────────────────────────────────────────

function numberAfter(s: string, key: string): number {
  const i = s.indexOf(key);
  if (i < 0) return NaN;
  let j = i + key.length;
  while (s.charCodeAt(j) === 32) j++;
  let k = j;
  for (;;) {
    const c = s.charCodeAt(k);
    if ((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43 || c === 101 || c === 69) k++;
    else break;
  }
  return Number(s.slice(j, k));
}

function uuidAfter(s: string, key: string): string {
  const i = s.indexOf(key);
  if (i < 0) return '';
  let j = i + key.length;
  while (s.charCodeAt(j) === 32) j++;
  return s.slice(j + 1, j + 37);
}

const CHANGE_PREFIX = '{"type":"postgres_changes"';

// ── latency histogram (20 µs buckets up to 20 s) ──────────────────────────

const BUCKET_MS = 0.02;
const BUCKETS = 1_000_000;

export class Histogram {
  private readonly counts = new Uint32Array(BUCKETS + 1);
  n = 0;

  add(ms: number): void {
    const b = ms <= 0 ? 0 : Math.min(BUCKETS, Math.floor(ms / BUCKET_MS));
    this.counts[b]!++;
    this.n++;
  }

  /** The q-quantile in ms (bucket upper edge); NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const target = Math.ceil(q * this.n);
    let seen = 0;
    for (let b = 0; b <= BUCKETS; b++) {
      seen += this.counts[b]!;
      if (seen >= target) return (b + 1) * BUCKET_MS;
    }
    return BUCKETS * BUCKET_MS;
  }
}

// ── one round's bookkeeping ───────────────────────────────────────────────

interface PendingRow {
  remaining: number;
  writtenAt: number;
}

export class Round {
  readonly rows = new Map<number, PendingRow>();
  measuring = false;
  deliveries = 0;
  /** A socket received another user's row (RLS benchmarks). */
  wrong = 0;
  /** A socket received a seq not above the last one it received (duplicate or out of order). */
  disordered = 0;
  /** Deliveries of rows already done or expired (or never expected). */
  late = 0;
  missed = 0;
  /** Frames on sockets that were not subscribed in this round. */
  stray = 0;
  /** Any other frame during the round (error, system), by type. */
  readonly other = new Map<string, number>();
  readonly latency = new Histogram();
  onDone: () => void = () => {};

  constructor(readonly checkUser: boolean) {}

  expect(seq: number, count: number, at: number): void {
    if (count > 0) this.rows.set(seq, { remaining: count, writtenAt: at });
  }

  onChange(client: RtClient, text: string, at: number): void {
    if (!client.measured) {
      this.stray++;
      return;
    }
    const seq = numberAfter(text, '"seq":');
    if (this.checkUser && uuidAfter(text, '"user_id":') !== client.user) {
      this.wrong++;
      return;
    }
    if (seq <= client.lastSeq) this.disordered++;
    else client.lastSeq = seq;
    const row = this.rows.get(seq);
    if (!row) this.late++;
    else if (--row.remaining === 0) {
      this.rows.delete(seq);
      this.onDone();
    }
    if (this.measuring) {
      this.deliveries++;
      this.latency.add(at - numberAfter(text, '"sent_at":'));
    }
  }

  /** Rows not done `timeoutMs` after they were written: their remaining deliveries are missed. */
  expire(at: number, timeoutMs: number): void {
    let freed = false;
    for (const [seq, row] of this.rows) {
      if (at - row.writtenAt < timeoutMs) break; // insertion order = write order
      this.missed += row.remaining;
      this.rows.delete(seq);
      freed = true;
    }
    if (freed) this.onDone();
  }
}

// ── client sockets ───────────────────────────────────────────────────────

export interface RtClient {
  ws: WebSocket;
  /** The user the token names (null: anon), for the wrong-delivery check. */
  user: string | null;
  lastSeq: number;
  measured: boolean;
  waiter: ((frame: { type?: string; payload?: { message?: string } }) => void) | undefined;
}

/** Where frames go: the current round (none between rounds). */
export interface Sink {
  round: Round | undefined;
}

export function wsUrl(httpUrl: string, token: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/realtime?token=${encodeURIComponent(token)}`;
}

export function connectClient(url: string, user: string | null, sink: Sink): Promise<RtClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  const client: RtClient = { ws, user, lastSeq: -1, measured: false, waiter: undefined };
  ws.on('message', (data: Buffer) => {
    const at = now();
    const text = data.toString('latin1');
    if (text.startsWith(CHANGE_PREFIX)) {
      const round = sink.round;
      if (round) round.onChange(client, text, at);
      return;
    }
    const frame = JSON.parse(text) as { type?: string; payload?: { message?: string } };
    if ((frame.type === 'ack' || frame.type === 'error') && client.waiter) {
      const w = client.waiter;
      client.waiter = undefined;
      w(frame);
      return;
    }
    if (frame.type === 'heartbeat' || frame.type === 'broadcast') return;
    const round = sink.round;
    if (round) round.other.set(frame.type ?? '?', (round.other.get(frame.type ?? '?') ?? 0) + 1);
  });
  ws.on('error', () => {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`${url.split('?')[0]}: HTTP ${res.statusCode} on upgrade`)));
    ws.once('error', reject);
  });
}

/** Open `n` sockets, `concurrency` at a time. */
export async function connectMany(n: number, concurrency: number, open: (i: number) => Promise<RtClient>): Promise<RtClient[]> {
  const out: RtClient[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await open(i);
    }
  }));
  return out;
}

/** Send a frame and wait for its ack; throws on an error frame or after 30 s. */
export function request(client: RtClient, frame: unknown): Promise<{ type?: string; payload?: unknown }> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ack within 30 s for ${JSON.stringify(frame)}`)), 30_000);
    client.waiter = (f) => {
      clearTimeout(t);
      if (f.type === 'error') reject(new Error(`error frame for ${JSON.stringify(frame)}: ${JSON.stringify(f)}`));
      else resolve(f);
    };
    client.ws.send(JSON.stringify(frame));
  });
}

/** Run `fn` over all clients, `concurrency` at a time. */
export async function each(clients: RtClient[], concurrency: number, fn: (c: RtClient, i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, async () => {
    while (next < clients.length) {
      const i = next++;
      await fn(clients[i]!, i);
    }
  }));
}

// ── the writer ───────────────────────────────────────────────────────────

export type WriteMode = { kind: 'closed'; window: number; batch: number } | { kind: 'rate'; rowsPerSec: number; maxBatch: number };

export interface WriterOptions {
  databaseUrl: string;
  table: string;
  /** Row i belongs to owners[i % owners.length]. */
  owners: string[];
}

export class Writer {
  private readonly sql: postgres.Sql;
  private readonly text: string;
  private seq = 0;
  private running = false;
  private inFlight = new Set<Promise<unknown>>();
  private round: Round | undefined;
  private expected: (owner: number) => number = () => 0;
  private mode: WriteMode = { kind: 'closed', window: 1, batch: 1 };
  private timer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private started = 0;
  private writtenInRound = 0;
  errors = 0;
  lastError: unknown;

  constructor(private readonly options: WriterOptions) {
    this.sql = postgres(options.databaseUrl, { max: 1, idle_timeout: 0, max_lifetime: null, onnotice: () => {} });
    const body = ROW_BODY.replace(/'/g, "''");
    this.text = `insert into public.${options.table} (seq, user_id, sent_at, body) `
      + `select x.seq, x.user_id, x.sent_at, '${body}' from jsonb_to_recordset($1::text::jsonb) as x(seq bigint, user_id uuid, sent_at double precision)`;
  }

  /**
   * Run the INSERT once with no rows, so the statement is prepared before the rounds: the
   * first execution of a prepared statement waits for its description, and INSERTs pipelined
   * behind it would otherwise commit before it (out of seq order).
   */
  async prepare(): Promise<void> {
    await this.sql.unsafe(this.text, ['[]'], { prepare: true });
  }

  /** Rows written in the current (or last) round. */
  get written(): number {
    return this.writtenInRound;
  }

  /** Start writing for `round`; `expected(owner)` = how many measured sockets should receive a row of that owner. */
  start(round: Round, mode: WriteMode, expected: (owner: number) => number): void {
    this.round = round;
    this.mode = mode;
    this.expected = expected;
    this.running = true;
    this.started = now();
    this.writtenInRound = 0;
    round.onDone = () => this.pump();
    this.sweeper = setInterval(() => round.expire(now(), 10_000), 250);
    if (mode.kind === 'rate') this.timer = setInterval(() => this.pump(), 5);
    this.pump();
  }

  private pump(): void {
    const round = this.round;
    if (!this.running || !round) return;
    if (this.mode.kind === 'closed') {
      const { window, batch } = this.mode;
      while (round.rows.size + batch <= window && this.inFlight.size < 8) this.write(round, batch);
    } else {
      const due = Math.floor((this.mode.rowsPerSec * (now() - this.started)) / 1000) - this.writtenInRound;
      for (let left = due; left > 0; left -= this.mode.maxBatch) this.write(round, Math.min(left, this.mode.maxBatch));
    }
  }

  private write(round: Round, n: number): void {
    const at = now();
    const rows: { seq: number; user_id: string; sent_at: number }[] = [];
    for (let k = 0; k < n; k++) {
      const seq = this.seq++;
      const owner = seq % this.options.owners.length;
      rows.push({ seq, user_id: this.options.owners[owner]!, sent_at: at });
      round.expect(seq, this.expected(owner), at);
    }
    this.writtenInRound += n;
    const p = this.sql.unsafe(this.text, [JSON.stringify(rows)], { prepare: true }).then(
      () => {},
      (err: unknown) => {
        this.errors++;
        this.lastError = err;
      },
    );
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.pump();
    });
  }

  /** Stop writing and wait for the INSERTs already sent. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inFlight]);
  }

  /** After stop(): wait until every row is done (or `timeoutMs`), then count what is left as missed. */
  async drain(timeoutMs: number): Promise<void> {
    const round = this.round;
    if (!round) return;
    const deadline = now() + timeoutMs;
    while (round.rows.size > 0 && now() < deadline) await sleep(20);
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const row of round.rows.values()) round.missed += row.remaining;
    round.rows.clear();
    this.round = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    await this.sql.end({ timeout: 5 });
  }
}

export { sleep, now };
