// The realtime benchmarks (group `realtime`; README "Realtime"): table change feeds over
// WebSocket. The Fluxbase side is the real server (its realtime engine: listener pool →
// change queue → RLS → per-connection send queues), the baseline a bare `ws` server that
// LISTENs to the same notifications and sends each to the sockets that should get it
// (lib/rt-baseline.ts). Both run in their own processes; the client sockets and the row
// writer run in the runner (lib/rt-load.ts). Rounds alternate baseline, Fluxbase, …:
//   rt1  1,000 anon sockets, table without RLS, unfiltered: deliveries/s (≥ 70%); also the
//        RSS per idle connection and the change → delivery latency at a fixed row rate.
//   rt2  RLS on (user_id = auth.uid()), 100 users × 10 sockets, unfiltered (≥ 20%); wrong
//        deliveries (another user's row) must be 0; missed deliveries reported.
//   rt3  rt2 with each subscription filtered by user_id=eq.<its user> (≥ 50%).
//   rt6  rt1's sockets at a fixed row rate, Fluxbase only: rounds without and with one more
//        client that stopped reading; the others' p99 latency may grow by at most 20%.
import { performance } from 'node:perf_hooks';
import { withSides, type ChildSide } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { OPEN_TABLE, RLS_TABLE, rtAnonToken, rtFixture, rtServiceToken, rtUser, rtUserToken } from './lib/rt-fixture.ts';
import { rtBaseline } from './lib/rt-baseline.ts';
import {
  backendCpu, backendCpuDelta, connectClient, connectMany, cpuMicros, schedMicros, each, request, rssBytes, Round, sleep, Writer, wsUrl,
  type RtClient, type Sink, type WriteMode,
} from './lib/rt-load.ts';
import type { BenchContext, Benchmark, LoadStats, Row, ServeMap, SideName } from './lib/types.ts';

const GROUP = 'realtime';
const CHANNEL = 'bench';
/** Row owners (rt2/rt3: one user per 10 sockets; rt1/rt6 rows carry them too). */
const USERS = 100;
const SOCKETS_PER_USER = 10;
const SOCKETS = USERS * SOCKETS_PER_USER;
/** Sockets opened / subscribed at a time. */
const CONNECT_CONCURRENCY = 50;
/** Unmeasured seconds at the start of every round (the pipeline fills), and the drain bound at its end. */
const RAMP_MS = 500;
const DRAIN_MS = 5_000;
/**
 * Offered load of the fixed-rate rounds (rt1 latency, rt6), rows/s: every row goes to all
 * 1,000 sockets, so 20 rows/s = 20,000 deliveries/s, about half of what Fluxbase absorbs on
 * this 2-core machine in rt1 (README "Realtime"), so latency is not queueing at saturation.
 * BENCH_RT_RATE overrides it.
 */
const FIXED_RATE = Number(process.env.BENCH_RT_RATE ?? 20);

// Fluxbase's realtime limits for 1,000+ sockets from one address (anon: per IP; users: per
// user); everything else (queues, workers, listener pool, RLS cache) keeps its default.
const OVERRIDES = { realtime: { max_connections: 10_000, max_connections_per_user: 100, max_connections_per_ip: 10_000 } };

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options, [], OVERRIDES),
  baseline: (options) => rtBaseline(options),
};

interface Case {
  name: 'rt1' | 'rt2' | 'rt3';
  what: string;
  table: string;
  /** RLS benchmarks: user tokens, rows routed to their owner's 10 sockets, wrong deliveries checked. */
  perUser: boolean;
  filtered: boolean;
  goal: number;
  /** Closed-loop writer: rows written and not yet delivered everywhere, and rows per INSERT. */
  window: number;
  batch: number;
}

// Windows: enough rows in flight that each side is busy all the time, and few enough that
// Fluxbase's bounds (1,000 queued changes, 256 frames per connection) are never reached, so
// nothing is dropped by design. rt1: 64 rows = 64 frames queued per socket; rt2/rt3: 640
// rows ≈ 6.4 frames per socket, and ten of Fluxbase's 64-change batches.
const CASES: Case[] = [
  { name: 'rt1', what: 'RT1 1,000 anon sockets, no RLS, unfiltered: deliveries/s', table: OPEN_TABLE, perUser: false, filtered: false, goal: 0.7, window: 64, batch: 8 },
  { name: 'rt2', what: 'RT2 RLS user_id = auth.uid(), 100 users x 10 sockets, unfiltered: deliveries/s', table: RLS_TABLE, perUser: true, filtered: false, goal: 0.2, window: 640, batch: 64 },
  { name: 'rt3', what: 'RT3 as RT2, each filtered user_id=eq.<user>: deliveries/s', table: RLS_TABLE, perUser: true, filtered: true, goal: 0.5, window: 640, batch: 64 },
];

interface RoundStats extends LoadStats {
  written: number;
  wrong: number;
  disordered: number;
  missed: number;
  late: number;
  stray: number;
  other: string;
  /** The runner's CPU (the clients and the writer) over the measured window, % of one core. */
  clientCpu: number;
  /** The server's main thread: % of the window on a CPU, and % runnable but waiting for a CPU (the rest it was idle). */
  onCpu: number;
  cpuWait: number;
  /** CPU of the bench database's PostgreSQL backends (writer, listeners, both sides' pools) per delivery, µs. */
  pgUs: number;
  /** Sockets in this round that should receive each row (rt1/rt6) or each user's row (rt2/rt3). */
  expected: number;
  seconds: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;
const int = (n: number) => Math.round(n).toLocaleString('en-US');

async function enableTables(url: string, secret: string): Promise<void> {
  for (const table of [OPEN_TABLE, RLS_TABLE]) {
    const res = await fetch(`${url}/api/v1/admin/realtime/tables`, {
      method: 'POST', headers: { authorization: `Bearer ${rtServiceToken(secret)}`, 'content-type': 'application/json' }, body: JSON.stringify({ table }),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`enabling ${table} for realtime answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

/** The sockets of one side: 1,000 anon ones, or 10 per user. */
async function openClients(side: ChildSide, c: { perUser: boolean }, secret: string, sink: Sink): Promise<RtClient[]> {
  const anon = rtAnonToken(secret);
  const tokens = Array.from({ length: USERS }, (_, u) => rtUserToken(secret, rtUser(u)));
  return connectMany(SOCKETS, CONNECT_CONCURRENCY, (i) => {
    const u = i % USERS;
    return c.perUser ? connectClient(wsUrl(side.url, tokens[u]!), rtUser(u), sink) : connectClient(wsUrl(side.url, anon), null, sink);
  });
}

function subscribeFrame(table: string, user: string | null, filtered: boolean): unknown {
  return { type: 'subscribe', channel: CHANNEL, config: { table, event: '*', ...(filtered && user ? { filter: `user_id=eq.${user}` } : {}) } };
}

interface RoundSpec {
  side: SideName;
  /** The bench database's name (its backends' CPU is reported). */
  database: string;
  clients: RtClient[];
  pid: number;
  table: string;
  filtered: boolean;
  perUser: boolean;
  mode: WriteMode;
  seconds: number;
}

/** Subscribe the side's sockets, write for RAMP + seconds, drain, unsubscribe. */
async function runRound(spec: RoundSpec, writer: Writer, sink: Sink): Promise<RoundStats> {
  await each(spec.clients, CONNECT_CONCURRENCY, (c) => request(c, subscribeFrame(spec.table, c.user, spec.filtered)));
  for (const c of spec.clients) c.measured = true;
  const round = new Round(spec.perUser);
  sink.round = round;
  const expected = spec.perUser ? SOCKETS_PER_USER : spec.clients.length;
  writer.start(round, spec.mode, () => expected);
  await sleep(RAMP_MS);
  const cpu0 = cpuMicros(spec.pid);
  const sched0 = schedMicros(spec.pid);
  const pg0 = backendCpu(spec.database);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const written0 = writer.written;
  round.measuring = true;
  await sleep(spec.seconds * 1000);
  round.measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMicros(spec.pid) - cpu0;
  const sched1 = schedMicros(spec.pid);
  const client = process.cpuUsage(client0);
  const pg = backendCpuDelta(pg0, backendCpu(spec.database));
  const written = writer.written - written0;
  await writer.stop();
  await writer.drain(DRAIN_MS);
  for (const c of spec.clients) c.measured = false;
  await each(spec.clients, CONNECT_CONCURRENCY, (c) => request(c, { type: 'unsubscribe', channel: CHANNEL }));
  sink.round = undefined;
  if (writer.errors > 0) throw new Error(`the writer failed ${writer.errors} times: ${String(writer.lastError)}`);
  return {
    rps: round.deliveries / seconds,
    ...(round.deliveries > 0 ? { cpuUs: cpu / round.deliveries } : {}),
    p50: round1(round.latency.quantile(0.5)),
    p99: round1(round.latency.quantile(0.99)),
    requests: round.deliveries,
    non2xx: 0,
    errors: round.wrong + round.disordered,
    written,
    wrong: round.wrong,
    disordered: round.disordered,
    missed: round.missed,
    late: round.late,
    stray: round.stray,
    other: [...round.other].map(([k, v]) => `${k} ${v}`).join(', '),
    clientCpu: ((client.user + client.system) / 1e6 / seconds) * 100,
    pgUs: round.deliveries > 0 ? pg / round.deliveries : NaN,
    onCpu: ((sched1[0] - sched0[0]) / 1e6 / seconds) * 100,
    cpuWait: ((sched1[1] - sched0[1]) / 1e6 / seconds) * 100,
    expected,
    seconds,
  };
}

function describe(label: string, r: RoundStats): string {
  return `${label} ${int(r.rps)} deliveries/s (${int(r.written / r.seconds)} rows/s written), p50 ${r.p50} ms, p99 ${r.p99} ms`
    + `${r.cpuUs === undefined ? '' : `, server CPU ${r.cpuUs.toFixed(2)} µs/delivery`}, PostgreSQL ${r.pgUs.toFixed(2)} µs/delivery, runner CPU ${Math.round(r.clientCpu)}%`
    + `, server main thread on CPU ${Math.round(r.onCpu)}% / waiting for a CPU ${Math.round(r.cpuWait)}%`
    + `${r.missed + r.wrong + r.disordered + r.late + r.stray > 0 ? `; missed ${r.missed}, wrong ${r.wrong}, disordered ${r.disordered}, late ${r.late}, stray ${r.stray}` : ''}`
    + `${r.other ? `; other frames: ${r.other}` : ''}`;
}

function summarise(runs: RoundStats[]): LoadStats & { missed: number; wrong: number; disordered: number; late: number } {
  const cpu = runs.map((r) => r.cpuUs).filter((c): c is number => c !== undefined);
  return {
    rps: median(runs.map((r) => r.rps)),
    ...(cpu.length > 0 ? { cpuUs: median(cpu) } : {}),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    requests: runs.reduce((n, r) => n + r.requests, 0),
    non2xx: 0,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    missed: runs.reduce((n, r) => n + r.missed, 0),
    wrong: runs.reduce((n, r) => n + r.wrong, 0),
    disordered: runs.reduce((n, r) => n + r.disordered, 0),
    late: runs.reduce((n, r) => n + r.late, 0),
  };
}

/** Alternating rounds (after one warm-up round per side): the median of each side. */
async function compareRounds(
  label: string, ctx: BenchContext, specs: Record<SideName, Omit<RoundSpec, 'seconds'>>, writer: Writer, sink: Sink,
): Promise<Record<SideName, ReturnType<typeof summarise>>> {
  const order: SideName[] = ['baseline', 'fluxbase'];
  if (ctx.options.warmupSec > 0) {
    for (const side of order) {
      const r = await runRound({ ...specs[side], seconds: ctx.options.warmupSec }, writer, sink);
      ctx.log(`${label}: warm-up ${side.padEnd(8)} ${describe('', r)}`);
    }
  }
  const runs: Record<SideName, RoundStats[]> = { baseline: [], fluxbase: [] };
  for (let i = 1; i <= ctx.options.rounds; i++) {
    for (const side of order) {
      const r = await runRound({ ...specs[side], seconds: ctx.options.durationSec }, writer, sink);
      runs[side].push(r);
      ctx.log(`${label}: round ${i}/${ctx.options.rounds} ${side.padEnd(8)} ${describe('', r)}`);
    }
  }
  return { baseline: summarise(runs.baseline), fluxbase: summarise(runs.fluxbase) };
}

/** Both sides up, tables enabled, both sides' sockets open; `fn` gets them. */
async function withRealtime<T>(
  ctx: BenchContext, c: { perUser: boolean }, table: string,
  fn: (env: { sides: Record<SideName, ChildSide>; clients: Record<SideName, RtClient[]>; writer: Writer; sink: Sink; beforeRss: Record<SideName, number>; database: string }) => Promise<T>,
): Promise<T> {
  const serveOptions = ctx.serve!;
  await rtFixture(serveOptions, ctx.log);
  return withSides('realtime', serveOptions, async (sides) => {
    await enableTables(sides.fluxbase.url, serveOptions.jwtSecret);
    await sleep(1000);
    const beforeRss = { baseline: rssBytes(sides.baseline.pid), fluxbase: rssBytes(sides.fluxbase.pid) };
    const sink: Sink = { round: undefined };
    const clients: Partial<Record<SideName, RtClient[]>> = {};
    const writer = new Writer({ databaseUrl: serveOptions.databaseUrl, table, owners: Array.from({ length: USERS }, (_, u) => rtUser(u)) });
    try {
      for (const side of ['baseline', 'fluxbase'] as const) {
        const started = performance.now();
        clients[side] = await openClients(sides[side], c, serveOptions.jwtSecret, sink);
        ctx.log(`${side}: ${SOCKETS} sockets open in ${Math.round(performance.now() - started)} ms`);
      }
      await writer.prepare();
      const database = new URL(serveOptions.databaseUrl).pathname.slice(1);
      return await fn({ sides, clients: clients as Record<SideName, RtClient[]>, writer, sink, beforeRss, database });
    } finally {
      for (const list of Object.values(clients)) for (const cl of list) cl.ws.terminate();
      await writer.close();
    }
  });
}

function throughputBenchmark(c: Case): Benchmark {
  return {
    name: c.name,
    group: GROUP,
    description: c.what,
    needsDatabase: true,
    async run(ctx) {
      return withRealtime(ctx, c, c.table, async ({ sides, clients, writer, sink, beforeRss, database }) => {
        const rows: Row[] = [];
        if (c.name === 'rt1') {
          // Idle: open, nothing subscribed yet. Mean of 5 samples 0.5 s apart, after 2 s.
          await sleep(2000);
          const samples: Record<SideName, number[]> = { baseline: [], fluxbase: [] };
          for (let k = 0; k < 5; k++) {
            for (const side of ['baseline', 'fluxbase'] as const) samples[side].push(rssBytes(sides[side].pid));
            await sleep(500);
          }
          const after = (side: SideName) => samples[side].reduce((a, x) => a + x, 0) / samples[side].length;
          const per = (side: SideName) => (after(side) - beforeRss[side]) / SOCKETS / 1024;
          const f = per('fluxbase');
          const b = per('baseline');
          ctx.log(`rt1: RSS per idle connection: Fluxbase ${f.toFixed(1)} KB, baseline ${b.toFixed(1)} KB`);
          rows.push({
            kind: 'measure', bench: 'rt1', metric: 'RSS per idle connection (Fluxbase server, 1,000 sockets)', value: f, unit: 'KB',
            detail: `RSS ${(beforeRss.fluxbase / 2 ** 20).toFixed(1)} -> ${(after('fluxbase') / 2 ** 20).toFixed(1)} MB; baseline ${b.toFixed(1)} KB (${(beforeRss.baseline / 2 ** 20).toFixed(1)} -> ${(after('baseline') / 2 ** 20).toFixed(1)} MB); informative`,
          });
        }
        const spec = (side: SideName, mode: WriteMode): Omit<RoundSpec, 'seconds'> => ({
          side, database, clients: clients[side], pid: sides[side].pid, table: c.table, filtered: c.filtered, perUser: c.perUser, mode,
        });
        const closed: WriteMode = { kind: 'closed', window: c.window, batch: c.batch };
        const result = await compareRounds(c.name, ctx, { baseline: spec('baseline', closed), fluxbase: spec('fluxbase', closed) }, writer, sink);
        rows.push({
          kind: 'compare', bench: c.name, what: c.what, baseline: result.baseline, fluxbase: result.fluxbase,
          ratio: result.fluxbase.rps / result.baseline.rps, goal: c.goal,
        });
        const missed = (side: SideName) => `${int(result[side].missed)} missed of ${int(result[side].requests + result[side].missed)} (${result[side].late} late)`;
        rows.push({
          kind: 'measure', bench: c.name, metric: 'missed deliveries, Fluxbase (all rounds)', value: result.fluxbase.missed, unit: '',
          detail: `${missed('fluxbase')}; baseline ${missed('baseline')}; informative`,
        });
        if (c.perUser) {
          rows.push({
            kind: 'measure', bench: c.name, metric: "wrong deliveries (another user's row), Fluxbase", value: result.fluxbase.wrong, unit: '', max: 0,
            detail: `baseline ${result.baseline.wrong}; disordered: Fluxbase ${result.fluxbase.disordered}, baseline ${result.baseline.disordered}`,
          });
        }
        if (c.name === 'rt1') {
          const rate: WriteMode = { kind: 'rate', rowsPerSec: FIXED_RATE, maxBatch: 64 };
          const lat = await compareRounds(`rt1 latency @${FIXED_RATE} rows/s`, ctx, { baseline: spec('baseline', rate), fluxbase: spec('fluxbase', rate) }, writer, sink);
          for (const q of ['p50', 'p99'] as const) {
            rows.push({
              kind: 'measure', bench: 'rt1', metric: `change -> delivery latency ${q}, Fluxbase, ${FIXED_RATE} rows/s (${int(FIXED_RATE * SOCKETS)} deliveries/s offered)`,
              value: lat.fluxbase[q] * 1000, unit: 'µs',
              detail: `baseline ${int(lat.baseline[q] * 1000)} µs; delivered ${int(lat.fluxbase.rps)} / ${int(lat.baseline.rps)} per s; informative`,
            });
          }
        }
        return rows;
      });
    },
  };
}

// ── RT6: one client stops reading ────────────────────────────────────────

const STALL_CHANNEL = 'stall';
/** Broadcast payload used to fill the stalled client's socket buffers and send queue quickly. */
const FILL = 'x'.repeat(60_000);
/** Pause after the fill, before the round: the server finishes the fill's own work (bus notifications). */
const SETTLE_MS = 2_000;

interface Stalled {
  client: RtClient;
  closeCode: number | undefined;
  fills: number;
  /** Frames Fluxbase dropped for a full send queue during the round (its metrics), and rows written. */
  dropped?: number;
  written?: number;
}

/** fluxbase_realtime_dropped_messages_total{reason="client_queue_full"} from /metrics. */
async function droppedFull(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^fluxbase_realtime_dropped_messages_total\{reason="client_queue_full"\} (\S+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * A client that subscribes like the others, then stops reading (its socket paused). To reach
 * the stalled state within a round instead of after minutes (at the fixed rate a socket's
 * kernel buffers take long to fill), it also joins a broadcast channel of its own, and 60 KB
 * broadcasts go to it until the server reports 0 recipients: its send queue is full and
 * every further frame for it is dropped. Only it is a member of that channel.
 */
async function stallClient(url: string, secret: string, sink: Sink): Promise<Stalled> {
  const client = await connectClient(wsUrl(url, rtAnonToken(secret)), null, sink);
  await request(client, subscribeFrame(OPEN_TABLE, null, false));
  await request(client, { type: 'subscribe', channel: STALL_CHANNEL });
  const stalled: Stalled = { client, closeCode: undefined, fills: 0 };
  client.ws.on('close', (code) => {
    stalled.closeCode = code;
  });
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const service = rtServiceToken(secret);
  for (;;) {
    const res = await fetch(`${url}/api/v1/realtime/broadcast`, {
      method: 'POST', headers: { authorization: `Bearer ${service}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: STALL_CHANNEL, event: 'fill', payload: { fill: FILL } }),
    });
    const body = (await res.json()) as { recipients?: number };
    if (res.status !== 200) throw new Error(`broadcast answered ${res.status}: ${JSON.stringify(body)}`);
    stalled.fills++;
    if (body.recipients === 0) return stalled;
    if (stalled.fills > 5000) throw new Error('rt6: the stalled client still accepted broadcasts after 5,000 (300 MB)');
  }
}

const rt6: Benchmark = {
  name: 'rt6',
  group: GROUP,
  description: `RT6: ${SOCKETS} sockets at ${FIXED_RATE} rows/s, with and without one client that stopped reading: the others' p99 latency`,
  needsDatabase: true,
  async run(ctx) {
    return withRealtime(ctx, { perUser: false }, OPEN_TABLE, async ({ sides, clients, writer, sink, database }) => {
      const secret = ctx.serve!.jwtSecret;
      const rate: WriteMode = { kind: 'rate', rowsPerSec: FIXED_RATE, maxBatch: 64 };
      const spec = (seconds: number): RoundSpec => ({
        side: 'fluxbase', database, clients: clients.fluxbase, pid: sides.fluxbase.pid, table: OPEN_TABLE, filtered: false, perUser: false, mode: rate, seconds,
      });
      const stalledRound = async (seconds: number): Promise<{ r: RoundStats; s: Stalled }> => {
        const started = performance.now();
        const s = await stallClient(sides.fluxbase.url, secret, sink);
        ctx.log(`rt6: stalled client's send queue full after ${s.fills} broadcasts of 60 KB (${Math.round(performance.now() - started)} ms)`);
        await sleep(SETTLE_MS);
        try {
          const before = await droppedFull(sides.fluxbase.url);
          const r = await runRound(spec(seconds), writer, sink);
          s.dropped = (await droppedFull(sides.fluxbase.url)) - before;
          s.written = writer.written;
          return { r, s };
        } finally {
          s.client.ws.terminate();
        }
      };
      if (ctx.options.warmupSec > 0) {
        ctx.log(`rt6: warm-up ${describe('', await runRound(spec(ctx.options.warmupSec), writer, sink))}`);
      }
      const plain: RoundStats[] = [];
      const stalled: RoundStats[] = [];
      const closes: (number | undefined)[] = [];
      const drops: string[] = [];
      for (let i = 1; i <= ctx.options.rounds; i++) {
        const a = await runRound(spec(ctx.options.durationSec), writer, sink);
        plain.push(a);
        ctx.log(`rt6: round ${i}/${ctx.options.rounds} no stall  ${describe('', a)}`);
        const { r: b, s } = await stalledRound(ctx.options.durationSec);
        stalled.push(b);
        closes.push(s.closeCode);
        ctx.log(`rt6: round ${i}/${ctx.options.rounds} one stall ${describe('', b)}; frames dropped for a full send queue ${s.dropped} of ${s.written} rows written`
          + `${s.closeCode !== undefined ? `; the stalled client was closed (${s.closeCode})` : ''}`);
        drops.push(`${s.dropped}/${s.written}`);
      }
      const p = summarise(plain);
      const s = summarise(stalled);
      const change = ((s.p99 - p.p99) / p.p99) * 100;
      const closedText = closes.every((c) => c === undefined) ? `the stalled client stayed connected, its frames dropped (queue full): ${drops.join(', ')} dropped/rows per round` : `stalled client close codes: ${closes.map((c) => c ?? 'open').join(', ')}`;
      return [
        {
          kind: 'measure', bench: 'rt6', metric: `others' p99 latency with one stalled client vs without (${FIXED_RATE} rows/s to ${SOCKETS} sockets)`,
          value: change, unit: '%', max: 20,
          detail: `p99 ${p.p99} -> ${s.p99} ms (${change >= 0 ? '+' : ''}${change.toFixed(1)}%), p50 ${p.p50} -> ${s.p50} ms; delivered ${int(p.rps)} / ${int(s.rps)} per s; missed ${p.missed} / ${s.missed}; ${closedText}`,
        },
      ];
    });
  },
};

export const benchmarks: Benchmark[] = [...CASES.map(throughputBenchmark), rt6];
