// The webhooks benchmarks (group `webhooks`; README "Webhooks"). The Fluxbase side is the real
// server in its own process (webhooks.allow_private_targets on, so it may post to 127.0.0.1;
// the default webhooks.workers, 4); a global webhook is registered through
// POST /api/v1/webhooks with a service-role token and posts to a bare receiver in the runner
// (lib/wh-receiver.ts: answers 200 at once, records every arrival).
//   wh-deliver  W1: 10,000 rows inserted into a watched table (batches of 500, one INSERT …
//               SELECT generate_series per batch, autocommit, as fast as they go) → deliveries/s
//               from the first INSERT to the 10,000th arrival, against a bare loop in its own
//               process (lib/wh-baseline.ts) POSTing 10,000 bodies of the same shape, signed the
//               same way, 4 in flight, a new connection per POST (as postPinned). Every delivery
//               must arrive exactly once (distinct X-Fluxbase-Delivery) with valid signatures
//               (a sample). Goal: ≥ 80% of the baseline. Also CPU per delivery, and the latency
//               from the change (statement_timestamp() in the payload) to arrival, at a fixed
//               rate and under the 10,000-row load.
//   wh-write    W2: single-row INSERTs through one direct postgres.js connection into two
//               identical tables, one watched by an enabled webhook (the outbox trigger
//               installed), alternating; the Fluxbase server runs with webhooks.enabled false, so
//               no worker competes for the CPU and only the trigger's cost differs. Goal: p50
//               added ≤ 10%. Also, informative: the same with the delivery workers running.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import { startSide, withSides, type ChildSide } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { rtServiceToken } from './lib/rt-fixture.ts';
import { backendCpu, backendCpuDelta, cpuMicros } from './lib/rt-load.ts';
import type { Benchmark, LoadStats, Row, ServeMap, ServeOptions } from './lib/types.ts';
import { bareDeliveryLoop, type BaselineResult, type BaselineRun } from './lib/wh-baseline.ts';
import { Receiver } from './lib/wh-receiver.ts';

const GROUP = 'webhooks';
/** W1: Fluxbase deliveries/s ≥ this share of the bare loop's. */
const DELIVER_GOAL = 0.8;
/** W2: the watched table's p50 may exceed the plain one's by this many percent. */
const WRITE_GOAL_PCT = 10;
/** W1 deliveries per round (BENCH_WH_DELIVERIES), inserted in batches of BATCH rows. */
const DELIVERIES = Number(process.env.BENCH_WH_DELIVERIES ?? 10_000);
const BATCH = 500;
/** In flight at once: webhooks.workers' default, and the bare loop's lanes. */
const CONCURRENCY = 4;
/** W1's latency rounds: this many single-row changes at this rate. */
const LATENCY_N = 200;
const LATENCY_RATE = 50;
/** W2 samples per table (BENCH_WH_WRITE_SAMPLES) after WRITE_WARMUP each; the live variant takes half. */
const WRITE_SAMPLES = Number(process.env.BENCH_WH_WRITE_SAMPLES ?? 2_000);
const WRITE_WARMUP = 200;
const ROUND_TIMEOUT_MS = 300_000;
/** Analysis only (README "Webhooks"): EXPLAIN of the workers' claim mid-round (W1), the trigger taken apart (W2). */
const PROBE = process.env.BENCH_WH_PROBE === '1';

const TABLE = 'wh_bench';
/** The due-row scan of store.ts claimDeliveries (its CTE), for the probe's EXPLAIN. */
const CLAIM_SELECT = `
  select d.id from webhooks.deliveries d join webhooks.webhooks w on w.id = d.webhook_id
  where d.status in ('pending', 'failed') and d.next_retry_at <= now()
    and (d.locked_until is null or d.locked_until < now()) and w.enabled
  order by d.next_retry_at limit 4
  for update of d skip locked`;
const WATCHED = 'wh_w_watched';
const PLAIN = 'wh_w_plain';

// The per-URL limit (default 60/1m, per instance) would hold one receiver at 1 delivery/s;
// like the global request limiter in lib/config.ts it stays in the path but never refuses.
const DELIVER = { webhooks: { allow_private_targets: true, per_url_rate_limit: '1000000000/1m' } };
const OVERRIDES: Record<string, Record<string, unknown>> = {
  deliver: DELIVER,
  // Triggers are installed (registration, and syncTriggers at start) but no worker runs.
  write: { webhooks: { enabled: false, allow_private_targets: true } },
};

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options, [], OVERRIDES[options.variant ?? 'deliver'] ?? DELIVER),
  baseline: () => bareDeliveryLoop(),
};

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
};
const median = (xs: number[]) => quantile(xs, 0.5);
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);
const int = (x: number) => Math.round(x).toLocaleString('en-US');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const owner = (serve: ServeOptions) => postgres(serve.databaseUrl, { max: 1, onnotice: () => {} });

/** A global webhook on INSERTs of `table` (service-role token: the admin principal); its id and the secret shown once. */
async function createWebhook(url: string, jwtSecret: string, table: string, target: string): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${url}/api/v1/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rtServiceToken(jwtSecret)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench ${table}`, url: target, events: [{ table: `public.${table}`, operations: ['INSERT'] }], scope: 'global' }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST /api/v1/webhooks answered ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { id: string; secret: string };
  return { id: body.id, secret: body.secret };
}

async function deleteWebhook(url: string, jwtSecret: string, id: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${rtServiceToken(jwtSecret)}` } });
  await res.arrayBuffer();
}

interface Round {
  ms: number;
  rps: number;
  /** Fluxbase: the INSERTs' time; baseline: NaN. */
  insertMs: number;
  arrivals: number;
  distinct: number;
  /** CPU µs per delivery: [node process, PostgreSQL backends of the server, the writer's backend]. */
  cpu: [number, number, number];
  latencies: number[];
  /** The runner process (the receiver, and for Fluxbase the writer's client), CPU µs per delivery. */
  runner: number;
  /** Cores the whole machine kept busy over the round (/proc/stat). */
  busyCores: number;
}

/** Busy and total jiffies of the machine (/proc/stat, all CPUs); [0, 0] where it cannot be read. */
function machineJiffies(): [number, number] {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return [total - idle, total];
  } catch {
    return [0, 0];
  }
}
const busyCores = (j0: [number, number], j1: [number, number]) => (j1[1] > j0[1] ? ((j1[0] - j0[0]) / (j1[1] - j0[1])) * cpus().length : NaN);

const wh1: Benchmark = {
  name: 'wh-deliver',
  group: GROUP,
  description: `W1 ${DELIVERIES} changes -> deliveries/s to a local receiver vs a bare signed-POST loop (4 in flight): >= ${Math.round(DELIVER_GOAL * 100)}%`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    const database = new URL(serveOptions.databaseUrl).pathname.slice(1);
    const receiver = new Receiver();
    await receiver.start();
    try {
      return await withSides(GROUP, { ...serveOptions, variant: 'deliver' }, async ({ baseline, fluxbase }) => {
        const sql = owner(serveOptions);
        let hookId: string | undefined;
        try {
          await sql.unsafe(`create table if not exists public.${TABLE} (id bigserial primary key, n int)`);
          const hook = await createWebhook(fluxbase.url, serveOptions.jwtSecret, TABLE, receiver.url);
          hookId = hook.id;
          const bareSecret = `whsec_${randomBytes(32).toString('base64url')}`;
          const [{ pid: writerPid }] = await sql<[{ pid: number }]>`select pg_backend_pid() as pid`;
          let nextN = 0;

          const flux = async (n: number): Promise<Round> => {
            receiver.reset();
            const pg0 = backendCpu(database);
            const node0 = cpuMicros(fluxbase.pid);
            const self0 = process.cpuUsage();
            const j0 = machineJiffies();
            const t0 = performance.now();
            for (let done = 0; done < n; done += BATCH) {
              const a = nextN + done + 1;
              const b = nextN + Math.min(done + BATCH, n);
              await sql`insert into public.wh_bench (n) select g from generate_series(${a}::int, ${b}::int) g`;
            }
            const insertMs = performance.now() - t0;
            nextN += n;
            if (PROBE && n === DELIVERIES) {
              await receiver.waitFor(n / 2, ROUND_TIMEOUT_MS);
              const rollback = new Error('rollback');
              await sql.begin(async (tx) => {
                const plan = await tx.unsafe(`explain (analyze, buffers) ${CLAIM_SELECT}`);
                ctx.log(`wh-deliver probe, claim mid-round:\n  ${plan.map((r) => String(Object.values(r)[0])).join('\n  ')}`);
                throw rollback; // release the rows it locked
              }).catch((err: unknown) => {
                if (err !== rollback) throw err;
              });
            }
            const last = await receiver.waitFor(n, ROUND_TIMEOUT_MS);
            const node1 = cpuMicros(fluxbase.pid);
            const pg1 = backendCpu(database);
            const self1 = process.cpuUsage(self0);
            const j1 = machineJiffies();
            await sleep(300); // repeats would arrive now
            const writer = (pg1.get(writerPid) ?? 0) - (pg0.get(writerPid) ?? 0);
            const ms = last - t0;
            return {
              ms, rps: (n * 1000) / ms, insertMs, arrivals: receiver.arrivals.length, distinct: receiver.distinct(),
              cpu: [(node1 - node0) / n, (backendCpuDelta(pg0, pg1) - writer) / n, writer / n], latencies: receiver.latencies(),
              runner: (self1.user + self1.system) / n, busyCores: busyCores(j0, j1),
            };
          };
          const bare = async (n: number, rate?: number): Promise<Round> => {
            receiver.reset();
            const cpu0 = cpuMicros(baseline.pid);
            const self0 = process.cpuUsage();
            const j0 = machineJiffies();
            const t0 = performance.now();
            const run: BaselineRun = { target: receiver.url, n, concurrency: CONCURRENCY, secret: bareSecret, table: TABLE, ...(rate ? { rate } : {}) };
            const res = await fetch(`${baseline.url}/run`, { method: 'POST', body: JSON.stringify(run) });
            const result = (await res.json()) as BaselineResult;
            if (result.failed > 0) throw new Error(`the bare loop had ${result.failed} failed POSTs`);
            const last = await receiver.waitFor(n, ROUND_TIMEOUT_MS);
            const cpu1 = cpuMicros(baseline.pid);
            const self1 = process.cpuUsage(self0);
            const j1 = machineJiffies();
            await sleep(300);
            const ms = last - t0;
            return {
              ms, rps: (n * 1000) / ms, insertMs: NaN, arrivals: receiver.arrivals.length, distinct: receiver.distinct(), cpu: [(cpu1 - cpu0) / n, 0, 0], latencies: receiver.latencies(),
              runner: (self1.user + self1.system) / n, busyCores: busyCores(j0, j1),
            };
          };
          /** Fixed-rate single-row changes: change → arrival latency. */
          const fluxLatency = async (): Promise<number[]> => {
            receiver.reset();
            const t0 = performance.now();
            for (let i = 0; i < LATENCY_N; i++) {
              const due = (i * 1000) / LATENCY_RATE - (performance.now() - t0);
              if (due > 0) await sleep(due);
              await sql`insert into public.wh_bench (n) values (${++nextN})`;
            }
            await receiver.waitFor(LATENCY_N, ROUND_TIMEOUT_MS);
            return receiver.latencies();
          };
          const check = (side: string, r: Round, n: number) => {
            if (r.arrivals !== n || r.distinct !== n) throw new Error(`${side}: ${r.arrivals} arrivals, ${r.distinct} distinct deliveries; expected ${n} each`);
          };

          // Preflight and warm-up: a small round each, checked like the measured ones.
          const warm = ctx.options.warmupSec > 0 ? 1_000 : 100;
          check('baseline warm-up', await bare(warm), warm);
          check('fluxbase warm-up', await flux(warm), warm);
          const sig = await receiver.checkSignatures(hook.secret, 1);
          if (sig.bad > 0) throw new Error(`Fluxbase warm-up: ${sig.bad} of ${sig.checked} signatures did not verify`);

          const rounds: Record<'baseline' | 'fluxbase', Round[]> = { baseline: [], fluxbase: [] };
          let sigChecked = sig.checked;
          for (let i = 0; i < ctx.options.rounds; i++) {
            const b = await bare(DELIVERIES);
            check('baseline', b, DELIVERIES);
            const bs = await receiver.checkSignatures(bareSecret, 100);
            if (bs.bad > 0) throw new Error(`baseline: ${bs.bad} of ${bs.checked} signatures did not verify`);
            rounds.baseline.push(b);
            const f = await flux(DELIVERIES);
            check('fluxbase', f, DELIVERIES);
            const fs = await receiver.checkSignatures(hook.secret, 100);
            if (fs.bad > 0) throw new Error(`Fluxbase: ${fs.bad} of ${fs.checked} signatures did not verify`);
            sigChecked += fs.checked;
            rounds.fluxbase.push(f);
            const [st] = await sql<{ live: number; dead: number; autovacuums: number; autoanalyzes: number }[]>`
              select n_live_tup::int as live, n_dead_tup::int as dead, autovacuum_count::int as autovacuums, autoanalyze_count::int as autoanalyzes
              from pg_catalog.pg_stat_user_tables where schemaname = 'webhooks' and relname = 'deliveries'`;
            ctx.log(`wh-deliver round ${i + 1}: webhooks.deliveries ${JSON.stringify(st)}`);
            ctx.log(`wh-deliver round ${i + 1}: baseline ${int(b.rps)}/s (${int(b.ms)} ms), Fluxbase ${int(f.rps)}/s (${int(f.ms)} ms; inserts ${int(f.insertMs)} ms; ` +
              `statement -> arrival p50 ${int(median(f.latencies))} ms, p99 ${int(quantile(f.latencies, 0.99))} ms); CPU µs/delivery: bare ${int(b.cpu[0])}, ` +
              `Fluxbase node ${int(f.cpu[0])} + server backends ${int(f.cpu[1])} + writer backend ${int(f.cpu[2])}; ` +
              `runner (receiver, writer client): bare ${int(b.runner)}, Fluxbase ${int(f.runner)}; machine busy: bare ${f2(b.busyCores)}, Fluxbase ${f2(f.busyCores)} of ${cpus().length} cores`);
          }
          const bareLat = (await bare(LATENCY_N, LATENCY_RATE)).latencies;
          const fluxLat = await fluxLatency();
          await sleep(500);
          const states = await sql<{ status: string; n: number; attempts: number }[]>`
            select status, count(*)::int as n, max(attempt)::int as attempts from webhooks.deliveries where webhook_id = ${hook.id} group by status`;
          const stateText = states.map((s) => `${s.status} ${s.n} (max attempt ${s.attempts})`).join(', ');
          ctx.log(`wh-deliver: delivery rows: ${stateText}`);
          const notOnce = states.filter((s) => s.status !== 'success' || s.attempts !== 1);

          const pick = (side: 'baseline' | 'fluxbase'): Round => {
            const sorted = [...rounds[side]].sort((a, b) => a.rps - b.rps);
            return sorted[Math.floor((sorted.length - 1) / 2)]!;
          };
          const mb = pick('baseline');
          const mf = pick('fluxbase');
          const stats = (r: Round, lat: number[]): LoadStats => ({
            rps: r.rps, p50: Math.round(median(lat)), p99: Math.round(quantile(lat, 0.99)), requests: DELIVERIES,
            non2xx: 0, errors: r.arrivals - r.distinct, cpuUs: r.cpu[0] + r.cpu[1] + r.cpu[2],
          });
          const rows: Row[] = [
            {
              kind: 'compare', bench: 'wh-deliver', what: `W1 deliveries/s, ${int(DELIVERIES)} changes, ${CONCURRENCY} in flight; p50/p99: change -> arrival at ${LATENCY_RATE}/s`,
              baseline: stats(mb, bareLat), fluxbase: stats(mf, fluxLat), ratio: mf.rps / mb.rps, goal: DELIVER_GOAL,
            },
            {
              kind: 'measure', bench: 'wh-deliver', metric: `Fluxbase: first INSERT -> ${int(DELIVERIES)}th arrival (median round)`, value: mf.ms, unit: 'ms',
              detail: `rounds ${rounds.fluxbase.map((r) => `${int(r.rps)}/s`).join(', ')} (baseline ${rounds.baseline.map((r) => `${int(r.rps)}/s`).join(', ')}); ` +
                `the ${DELIVERIES / BATCH} INSERTs took ${int(mf.insertMs)} ms; informative`,
            },
            {
              kind: 'measure', bench: 'wh-deliver', metric: 'Fluxbase: statement -> arrival under the load (median round), p50', value: median(mf.latencies), unit: 'ms',
              detail: `p50 ${int(median(mf.latencies))} ms, p99 ${int(quantile(mf.latencies, 0.99))} ms (queueing: the rows are committed in ${int(mf.insertMs)} ms); ` +
                `at ${LATENCY_RATE}/s: Fluxbase p50 ${f1(median(fluxLat))} / p99 ${f1(quantile(fluxLat, 0.99))} ms, bare p50 ${f1(median(bareLat))} / p99 ${f1(quantile(bareLat, 0.99))} ms; informative`,
            },
            {
              kind: 'measure', bench: 'wh-deliver', metric: 'CPU per delivery, Fluxbase: node + server backends + writer backend (trigger)', value: mf.cpu[0] + mf.cpu[1] + mf.cpu[2], unit: 'µs',
              detail: `node ${int(mf.cpu[0])} µs, PostgreSQL backends of the server ${int(mf.cpu[1])} µs, the writer's backend (INSERT + trigger) ${int(mf.cpu[2])} µs; bare loop ${int(mb.cpu[0])} µs; the runner (receiver; Fluxbase: also the writer's client) ${int(mf.runner)} / bare ${int(mb.runner)} µs; machine busy ${f2(mf.busyCores)} / bare ${f2(mb.busyCores)} cores; informative`,
            },
            {
              kind: 'measure', bench: 'wh-deliver', metric: 'deliveries not exactly once (receiver: arrivals - distinct; rows not success at attempt 1)', value: notOnce.reduce((n, s) => n + s.n, 0) + rounds.fluxbase.reduce((n, r) => n + r.arrivals - r.distinct, 0), unit: '', max: 0,
              detail: `delivery rows: ${stateText}; signatures verified on ${sigChecked} Fluxbase deliveries (SDK verifyWebhookSignature + legacy), all valid`,
            },
          ];
          return rows;
        } finally {
          if (hookId) await deleteWebhook(fluxbase.url, serveOptions.jwtSecret, hookId).catch(() => {});
          await sql.end({ timeout: 5 });
        }
      });
    } finally {
      await receiver.close();
    }
  },
};

/** Single-row INSERTs into each table in turn (the order rotates each time, so none always follows another); ms per INSERT. */
async function writeSamples(sql: postgres.Sql, tables: string[], n: number, start: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(tables.map((t) => [t, []]));
  for (let i = start; i < start + n; i++) {
    for (let k = 0; k < tables.length; k++) {
      const t = tables[(i + k) % tables.length]!;
      const t0 = performance.now();
      await sql.unsafe(`insert into public.${t} (n, note) values ($1, 'webhook benchmark row')`, [i], { prepare: true });
      out[t]!.push(performance.now() - t0);
    }
  }
  return out;
}

/**
 * The probe's tables (BENCH_WH_PROBE=1): queue_event taken apart, each step a trigger on its own table.
 * `wh_w_outbox` writes the payload into the leanest outbox there could be (identity key, no other
 * index, no lookup, no foreign key: what queue_event writes since migration 019); `wh_w_notify` only
 * calls pg_notify. `wh_w_nonotify` is the queue_event before migration 019 without pg_notify:
 * subscribed to the same webhook (a row written into webhooks.subscriptions), it finds the webhook
 * and writes the delivery row in the writer's transaction.
 */
const PROBE_TABLES = ['wh_w_noop', 'wh_w_payload', 'wh_w_outbox', 'wh_w_notify', 'wh_w_nonotify'];
function probeSql(hookId: string): string {
  const payload = `
    event_id uuid := pg_catalog.gen_random_uuid();
    rec jsonb := pg_catalog.to_jsonb(new);
    owner text := coalesce(rec->>'user_id', rec->>'owner_id', rec->>'created_by');
    payload jsonb;
  begin
    payload := pg_catalog.jsonb_build_object('id', event_id, 'event', tg_op, 'schema', tg_table_schema, 'table', tg_table_name, 'record', rec,
      'timestamp', pg_catalog.to_char(pg_catalog.statement_timestamp() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));`;
  return `
    ${PROBE_TABLES.map((t) => `create table if not exists public.${t} (id bigserial primary key, n int, note text);`).join('\n')}
    create or replace function public.wh_probe_noop() returns trigger language plpgsql as $$ begin return null; end $$;
    create or replace function public.wh_probe_payload() returns trigger language plpgsql security definer set search_path = '' as $$
    declare ${payload} return null; end $$;
    create table if not exists public.wh_probe_outbox (id bigint generated always as identity primary key, payload jsonb not null);
    create or replace function public.wh_probe_outbox() returns trigger language plpgsql security definer set search_path = '' as $$
    declare ${payload} insert into public.wh_probe_outbox (payload) values (payload); return null; end $$;
    create or replace function public.wh_probe_notify() returns trigger language plpgsql security definer set search_path = '' as $$
    begin perform pg_catalog.pg_notify('fluxbase_webhooks', ''); return null; end $$;
    create or replace function public.wh_probe_nonotify() returns trigger language plpgsql security definer set search_path = '' as $$
    declare ${payload}
      insert into webhooks.deliveries (webhook_id, event_id, event, payload)
      select w.id, event_id, tg_op, payload
      from webhooks.subscriptions s join webhooks.webhooks w on w.id = s.webhook_id
      where s.schema_name = tg_table_schema and s.table_name = tg_table_name
        and (tg_op = any (s.operations) or '*' = any (s.operations)) and w.enabled
        and (w.scope = 'global' or (owner is not null and owner = w.created_by::text));
      return null;
    end $$;
    create or replace trigger wh_probe after insert on public.wh_w_noop for each row execute function public.wh_probe_noop();
    create or replace trigger wh_probe after insert on public.wh_w_payload for each row execute function public.wh_probe_payload();
    create or replace trigger wh_probe after insert on public.wh_w_outbox for each row execute function public.wh_probe_outbox();
    create or replace trigger wh_probe after insert on public.wh_w_notify for each row execute function public.wh_probe_notify();
    create or replace trigger wh_probe after insert on public.wh_w_nonotify for each row execute function public.wh_probe_nonotify();
    insert into webhooks.subscriptions (webhook_id, schema_name, table_name, operations) values ('${hookId}', 'public', 'wh_w_nonotify', '{INSERT}')
      on conflict do nothing;`;
}

/**
 * Single-row INSERTs through the REST API (POST /rest/v1/<table>, service-role token, `Prefer:
 * return=minimal`, one keep-alive connection), the tables in turn as writeSamples; ms per request.
 */
async function restWriteSamples(url: string, token: string, tables: string[], n: number, start: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(tables.map((t) => [t, []]));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'return=minimal' };
  for (let i = start; i < start + n; i++) {
    for (let k = 0; k < tables.length; k++) {
      const t = tables[(i + k) % tables.length]!;
      const t0 = performance.now();
      const res = await fetch(`${url}/rest/v1/${t}`, { method: 'POST', headers, body: JSON.stringify({ n: i, note: 'webhook benchmark row' }) });
      await res.arrayBuffer();
      out[t]!.push(performance.now() - t0);
      if (res.status !== 201) throw new Error(`POST /rest/v1/${t} answered ${res.status}`);
    }
  }
  return out;
}

const summary = (xs: number[]) => `p50 ${f2(median(xs))} / p90 ${f2(quantile(xs, 0.9))} / p99 ${f2(quantile(xs, 0.99))} ms`;

const wh2: Benchmark = {
  name: 'wh-write',
  group: GROUP,
  description: `W2 INSERT latency, table with a webhook trigger vs without (direct connection): p50 added <= ${WRITE_GOAL_PCT}%`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    const receiver = new Receiver();
    await receiver.start();
    const sql = owner(serveOptions);
    let side: ChildSide | undefined;
    let hookId: string | undefined;
    try {
      side = await startSide(GROUP, 'fluxbase', { ...serveOptions, variant: 'write' });
      for (const t of [WATCHED, PLAIN]) await sql.unsafe(`create table if not exists public.${t} (id bigserial primary key, n int, note text)`);
      const hook = await createWebhook(side.url, serveOptions.jwtSecret, WATCHED, receiver.url);
      hookId = hook.id;
      const triggers = await sql<{ table: string }[]>`
        select c.relname::text as table from pg_catalog.pg_trigger t join pg_catalog.pg_class c on c.oid = t.tgrelid
        where t.tgname = 'fluxbase_webhook' and c.relname in (${WATCHED}, ${PLAIN})`;
      if (triggers.length !== 1 || triggers[0]!.table !== WATCHED) throw new Error(`expected the trigger on ${WATCHED} only, found it on: ${triggers.map((t) => t.table).join(', ') || 'none'}`);

      const tables = [WATCHED, PLAIN];
      if (PROBE) {
        await sql.unsafe(probeSql(hook.id));
        tables.push(...PROBE_TABLES);
      }
      await writeSamples(sql, tables, WRITE_WARMUP, 0);
      const samples = await writeSamples(sql, tables, WRITE_SAMPLES, WRITE_WARMUP);
      const off = { watched: samples[WATCHED]!, plain: samples[PLAIN]! };
      if (PROBE) {
        ctx.log(`wh-write probe (p50 / p90 ms): ${tables.map((t) => `${t} ${f2(median(samples[t]!))} / ${f2(quantile(samples[t]!, 0.9))}`).join('; ')}`);
        // NOTIFY's commit signals every backend LISTENing in the database, whatever its channels.
        const [{ listening }] = await sql<[{ listening: number }]>`
          select count(*)::int as listening from pg_catalog.pg_stat_activity
          where datname = current_database() and pid <> pg_catalog.pg_backend_pid() and query ilike 'listen %'`;
        ctx.log(`wh-write probe: ${listening} backends of the server LISTEN in this database`);
      }
      const [{ queued }] = await sql<[{ queued: number }]>`select count(*)::int as queued from webhooks.outbox where payload->>'table' = ${WATCHED}`;
      const expected = WRITE_WARMUP + WRITE_SAMPLES;
      if (queued !== expected) throw new Error(`the watched table's INSERTs queued ${queued} changes in the outbox, expected ${expected}`);
      const pct = (s: { watched: number[]; plain: number[] }) => (median(s.watched) / median(s.plain) - 1) * 100;
      ctx.log(`wh-write (no workers): watched ${summary(off.watched)}; plain ${summary(off.plain)}; p50 ${pct(off) >= 0 ? '+' : ''}${f1(pct(off))}%`);

      // The same writes through the REST API, the way an application writes.
      const token = rtServiceToken(serveOptions.jwtSecret);
      await restWriteSamples(side.url, token, tables, WRITE_WARMUP, 0);
      const restSamples = await restWriteSamples(side.url, token, tables, WRITE_SAMPLES, WRITE_WARMUP);
      const rest = { watched: restSamples[WATCHED]!, plain: restSamples[PLAIN]! };
      if (PROBE) {
        ctx.log(`wh-write probe, REST (p50 / p90 ms): ${tables.map((t) => `${t} ${f2(median(restSamples[t]!))} / ${f2(quantile(restSamples[t]!, 0.9))}`).join('; ')}`);
        await sql.unsafe(`drop table ${PROBE_TABLES.map((t) => `public.${t}`).join(', ')}, public.wh_probe_outbox`);
        await sql`delete from webhooks.subscriptions where table_name = 'wh_w_nonotify'`;
        await sql`delete from webhooks.deliveries where payload->>'table' = 'wh_w_nonotify'`;
      }
      const [{ queuedRest }] = await sql<[{ queuedRest: number }]>`select count(*)::int as "queuedRest" from webhooks.outbox where payload->>'table' = ${WATCHED}`;
      if (queuedRest !== 2 * expected) throw new Error(`after the REST writes ${queuedRest} changes are in the outbox, expected ${2 * expected}`);
      ctx.log(`wh-write (REST, no workers): watched ${summary(rest.watched)}; plain ${summary(rest.plain)}; p50 ${pct(rest) >= 0 ? '+' : ''}${f1(pct(rest))}%`);
      await side.stop();
      side = undefined;

      // Informative: the same server with its delivery workers on; they first drain the deliveries queued above.
      side = await startSide(GROUP, 'fluxbase', { ...serveOptions, variant: 'deliver' });
      const drain0 = performance.now();
      await receiver.waitFor(2 * expected, ROUND_TIMEOUT_MS);
      const drainMs = performance.now() - drain0;
      const liveN = Math.max(100, Math.floor(WRITE_SAMPLES / 2));
      const liveSamples = await writeSamples(sql, [WATCHED, PLAIN], liveN, 2 * expected);
      const live = { watched: liveSamples[WATCHED]!, plain: liveSamples[PLAIN]! };
      await receiver.waitFor(2 * expected + liveN, ROUND_TIMEOUT_MS);
      ctx.log(`wh-write (workers on): ${int(2 * expected)} queued deliveries drained in ${int(drainMs)} ms; watched ${summary(live.watched)}; plain ${summary(live.plain)}; p50 ${pct(live) >= 0 ? '+' : ''}${f1(pct(live))}%`);

      return [
        {
          kind: 'measure', bench: 'wh-write', metric: `W2 added INSERT p50, watched vs plain table (${WRITE_SAMPLES} each, direct connection, no workers)`, value: pct(off), unit: '%', max: WRITE_GOAL_PCT,
          detail: `watched ${summary(off.watched)}; plain ${summary(off.plain)}; p50 ratio ${f2(median(off.watched) / median(off.plain))}x; difference of the p50s ${f2(median(off.watched) - median(off.plain))} ms`,
        },
        {
          kind: 'measure', bench: 'wh-write', metric: `W2 added p50 through the REST API, watched vs plain table (${WRITE_SAMPLES} each, POST /rest/v1, no workers)`, value: pct(rest), unit: '%', max: WRITE_GOAL_PCT,
          detail: `watched ${summary(rest.watched)}; plain ${summary(rest.plain)}; difference of the p50s ${f2(median(rest.watched) - median(rest.plain))} ms`,
        },
        {
          kind: 'measure', bench: 'wh-write', metric: `the same with the delivery workers on (${liveN} each; deliveries posted meanwhile)`, value: pct(live), unit: '%',
          detail: `watched ${summary(live.watched)}; plain ${summary(live.plain)}; the ${int(2 * expected)} queued deliveries drained in ${int(drainMs)} ms first; informative`,
        },
      ];
    } finally {
      if (side && hookId) await deleteWebhook(side.url, serveOptions.jwtSecret, hookId).catch(() => {});
      await side?.stop();
      await sql.end({ timeout: 5 });
      await receiver.close();
    }
  },
};

export const benchmarks: Benchmark[] = [wh1, wh2];
