// The GraphQL benchmarks (issue 18), group `graphql`:
// - G1 `graphql-pk`, G2 `graphql-nested`, G3 `graphql-insert`: Fluxbase's /api/v1/graphql against
//   PostGraphile 5 (postgraphile/server.ts) on the same database, same RLS, same role
//   (`authenticated`) and claims per request; each side in its own process (lib/serve.ts).
//   Before loading, both must answer the same data (lib/graphql-fixture.ts normalises
//   PostGraphile's connection/payload wrappers and scalar spellings) and hide another user's row.
// - `graphql-rest`: G1 against Fluxbase's own REST R1 (`GET /rest/v1/items?id=eq.<random>`) on the
//   same server process and the same rows: GraphQL's overhead over REST, reported.
// - `graphql-sub`: `gqlTicksChanges` subscription over graphql-ws; the runner INSERTs rows through
//   SQL at a fixed rate (BENCH_GQL_SUB_RATE, 20/s) for duration × rounds seconds; p50/p99 of
//   INSERT (sent) → delivery and of INSERT acknowledged (committed) → delivery, reported.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startSide, withSides, type ChildSide } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import {
  BENCH_USER, G2_PAGE, GQL_CASES, ITEM_COUNT, POSTGRAPHILE_PATH, TICKS_TABLE, graphqlFixture, normalize, randomItemId, requestBody,
  serviceToken, userToken, type GqlCase, type SideKind,
} from './lib/graphql-fixture.ts';
import { alternate, type Target } from './lib/load.ts';
import type { Benchmark, Row, ServeMap, ServeOptions, SideServer } from './lib/types.ts';

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options),
  // Imported here, in the baseline's process only: the runner never loads PostGraphile. Grafast
  // reads GRAPHILE_ENV when loaded; unset it means production but says so on stderr.
  async baseline(options) {
    process.env.GRAPHILE_ENV ??= 'production';
    // A computed specifier: the project's typecheck must not follow it into packages that are
    // only installed when this benchmark runs (ensurePostgraphile).
    const server = POSTGRAPHILE_SERVER;
    const { postgraphileServer } = (await import(server)) as { postgraphileServer: (o: ServeOptions) => Promise<SideServer> };
    return postgraphileServer(options);
  },
};

const POSTGRAPHILE_DIR = fileURLToPath(new URL('./postgraphile/', import.meta.url));
const POSTGRAPHILE_SERVER = './postgraphile/server.ts';

/**
 * PostGraphile 5 is installed apart from the project, on the first GraphQL benchmark run: its
 * packages declare Node >= 22, and the project's own install keeps to Node 20
 * (scripts/engines.test.ts). `npm ci` from bench/postgraphile/package-lock.json.
 */
function ensurePostgraphile(log: (m: string) => void): void {
  if (existsSync(path.join(POSTGRAPHILE_DIR, 'node_modules', 'postgraphile', 'package.json'))) return;
  log('installing PostGraphile 5 into bench/postgraphile (first GraphQL benchmark run; npm may warn that it wants Node 22)');
  execFileSync('npm', ['ci', '--prefix', POSTGRAPHILE_DIR, '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
}

const FLUXBASE_PATH = '/api/v1/graphql';
const SUB_RATE = Number(process.env.BENCH_GQL_SUB_RATE ?? 20);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function endpoint(side: ChildSide, kind: SideKind): string {
  return `${side.url}${kind === 'fluxbase' ? FLUXBASE_PATH : POSTGRAPHILE_PATH}`;
}

interface GqlAnswer {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

async function post(url: string, token: string, body: string): Promise<GqlAnswer> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 400)}`);
  const answer = JSON.parse(text) as GqlAnswer;
  if (answer.errors) throw new Error(`${url} answered errors: ${text.slice(0, 400)}`);
  return answer;
}

/** Both sides answer `variables` with the same normalised data; returns it. */
async function sameData(c: GqlCase, urls: Record<SideKind, string>, token: string, variables: Record<string, unknown>): Promise<unknown> {
  const got: Partial<Record<SideKind, string>> = {};
  for (const kind of ['postgraphile', 'fluxbase'] as const) {
    const answer = await post(urls[kind], token, JSON.stringify({ query: c.query[kind], variables }));
    got[kind] = JSON.stringify(normalize(answer.data, c.id === 'G3'));
  }
  if (got.postgraphile !== got.fluxbase) {
    throw new Error(`${c.name}: the two sides answer different data:\n  postgraphile ${got.postgraphile!.slice(0, 500)}\n  fluxbase     ${got.fluxbase!.slice(0, 500)}`);
  }
  return JSON.parse(got.fluxbase!);
}

async function preflight(c: GqlCase, urls: Record<SideKind, string>, token: string): Promise<void> {
  if (c.id === 'G1') {
    const seen = await sameData(c, urls, token, { id: String(randomItemId()) }) as { item: unknown };
    if (seen.item === null) throw new Error(`${c.name}: the bench user's row is not visible`);
    // RLS is in force on both sides: another user's row is not visible.
    const hidden = await sameData(c, urls, token, { id: String(ITEM_COUNT + 1) }) as { item: unknown };
    if (hidden.item !== null) throw new Error(`${c.name}: another user's row is visible: ${JSON.stringify(hidden)}`);
  } else if (c.id === 'G2') {
    const seen = await sameData(c, urls, token, {}) as { projects: { id: number; tasks: unknown[] }[] };
    const ids = seen.projects.map((p) => p.id);
    if (seen.projects.length !== G2_PAGE || ids.some((id) => id % 10 === 0) || seen.projects.some((p) => p.tasks.length === 0)) {
      throw new Error(`${c.name}: unexpected page (RLS must hide every 10th project; each has tasks): ids ${ids.join(',')}`);
    }
  } else {
    await sameData(c, urls, token, c.variables(false));
  }
}

function benchmarkFor(c: GqlCase): Benchmark {
  return {
    name: c.name,
    group: 'graphql',
    description: `${c.description}; vs PostGraphile 5`,
    needsDatabase: true,
    async run(ctx) {
      const serveOptions = ctx.serve!;
      await graphqlFixture(serveOptions, ctx.log);
      const token = userToken(serveOptions.jwtSecret);
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      ensurePostgraphile(ctx.log);
      return withSides('graphql', serveOptions, async ({ baseline, fluxbase }) => {
        const urls: Record<SideKind, string> = { postgraphile: endpoint(baseline, 'postgraphile'), fluxbase: endpoint(fluxbase, 'fluxbase') };
        await preflight(c, urls, token);
        const target = (kind: SideKind, side: ChildSide): Target => ({
          url: urls[kind], method: 'POST', headers, pid: side.pid, graphqlErrors: true,
          body: c.perRequest ? () => requestBody(c, kind) : requestBody(c, kind, false),
        });
        const result = await alternate(c.name, { baseline: target('postgraphile', baseline), fluxbase: target('fluxbase', fluxbase) }, ['baseline', 'fluxbase'], ctx.options, ctx.log);
        const row: Row = {
          kind: 'compare', bench: c.name, what: `${c.what}, vs PostGraphile 5`,
          baseline: result.baseline, fluxbase: result.fluxbase, ratio: result.fluxbase.rps / result.baseline.rps, goal: c.goal,
        };
        return [row];
      });
    },
  };
}

const G1 = GQL_CASES.find((c) => c.id === 'G1')!;

/** REST's R1 row with snake_case keys, as GraphQL's camelCase, normalised like the G1 data. */
function restAsGraphql(rows: Record<string, unknown>[]): unknown {
  const row = rows[0];
  if (!row) return { item: null };
  const camel = Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase()), v]));
  if (typeof camel.id === 'number') camel.id = String(camel.id); // BigInt: a string in GraphQL
  return normalize({ item: camel });
}

const graphqlVsRest: Benchmark = {
  name: 'graphql-rest',
  group: 'graphql',
  description: 'G1 (GraphQL item by pk) vs R1 (REST GET /rest/v1/items?id=eq.<random>) on the same Fluxbase server and rows: GraphQL overhead, reported',
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    await graphqlFixture(serveOptions, ctx.log);
    const token = userToken(serveOptions.jwtSecret);
    const auth = { authorization: `Bearer ${token}` };
    const side = await startSide('graphql', 'fluxbase', serveOptions);
    try {
      const gqlUrl = endpoint(side, 'fluxbase');
      // Same row, same data through both APIs.
      for (const id of [randomItemId(), ITEM_COUNT + 1]) {
        const res = await fetch(`${side.url}/rest/v1/items?id=eq.${id}`, { headers: auth });
        if (res.status !== 200) throw new Error(`graphql-rest: REST answered ${res.status}`);
        const rest = JSON.stringify(restAsGraphql(await res.json() as Record<string, unknown>[]));
        const gql = JSON.stringify(normalize((await post(gqlUrl, token, JSON.stringify({ query: G1.query.fluxbase, variables: { id: String(id) } }))).data));
        if (rest !== gql) throw new Error(`graphql-rest: REST and GraphQL differ for id ${id}:\n  rest    ${rest}\n  graphql ${gql}`);
      }
      const result = await alternate('graphql-rest', {
        rest: { url: `${side.url}/rest/v1/items?id=eq.1`, method: 'GET', headers: auth, path: () => `/rest/v1/items?id=eq.${randomItemId()}`, pid: side.pid },
        graphql: { url: gqlUrl, method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: () => requestBody(G1, 'fluxbase'), pid: side.pid, graphqlErrors: true },
      }, ['rest', 'graphql'], ctx.options, ctx.log);
      const { rest, graphql } = result;
      const bad = rest.non2xx + rest.errors + graphql.non2xx + graphql.errors;
      const cpu = rest.cpuUs !== undefined && graphql.cpuUs !== undefined ? `; server CPU ${int(rest.cpuUs)} -> ${int(graphql.cpuUs)} µs/req` : '';
      return [{
        kind: 'measure', bench: 'graphql-rest', metric: 'G1 GraphQL req/s as % of R1 REST req/s (Fluxbase, same row)',
        value: (graphql.rps / rest.rps) * 100, unit: '%',
        detail: `R1 ${int(rest.rps)} req/s p99 ${rest.p99} ms; G1 ${int(graphql.rps)} req/s p99 ${graphql.p99} ms${cpu}; informative${bad > 0 ? `; ERRORS: ${bad}` : ''}`,
      }];
    } finally {
      await side.stop();
    }
  },
};

// ── Subscription delivery latency ─────────────────────────────────────────────────────────────

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function enableRealtime(url: string, secret: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/admin/realtime/tables`, {
    method: 'POST', headers: { authorization: `Bearer ${serviceToken(secret)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ table: TICKS_TABLE, events: ['INSERT'] }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`enabling ${TICKS_TABLE} for realtime answered ${res.status}: ${text.slice(0, 300)}`);
}

/** graphql-ws reports an Error, a CloseEvent, a ws ErrorEvent or GraphQL errors. */
function subscriptionFailure(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Array.isArray(err)) return new Error(`graphql-sub: subscription errors: ${JSON.stringify(err).slice(0, 300)}`);
  const e = err as { code?: unknown; reason?: unknown; message?: unknown; error?: unknown };
  if (e.error instanceof Error) return new Error(`graphql-sub: socket error: ${e.error.message}`);
  if (typeof e.message === 'string') return new Error(`graphql-sub: ${e.message}`);
  if (typeof e.code === 'number') return new Error(`graphql-sub: socket closed ${e.code} ${String(e.reason ?? '')}`);
  return new Error(`graphql-sub: ${String(err)}`);
}

interface Delivery {
  sentAt: number;
  receivedAt: number;
}

const SUB_QUERY = 'subscription S { gqlTicksChanges(events: [INSERT]) { type record { id sentAt } commitTimestamp } }';

async function subscriptionLatency(serveOptions: ServeOptions, side: ChildSide, seconds: number, log: (m: string) => void): Promise<Row[]> {
  await enableRealtime(side.url, serveOptions.jwtSecret);
  const token = userToken(serveOptions.jwtSecret);
  const deliveries: Delivery[] = [];
  const onDelivery = new Set<(sentAt: number) => void>();
  const client: Client = createClient({
    url: `${side.url.replace(/^http/, 'ws')}${FLUXBASE_PATH}`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {}, // the subscription's error sink reports it
  });
  const sql = postgres(serveOptions.databaseUrl, { max: 1, onnotice: () => {} });
  let subError: unknown;
  try {
    const done = new Promise<void>((resolve) => {
      client.subscribe<{ gqlTicksChanges: { type: string; record: { sentAt: number } | null } }>({ query: SUB_QUERY }, {
        next: (msg) => {
          const receivedAt = performance.timeOrigin + performance.now();
          const sentAt = msg.data?.gqlTicksChanges.record?.sentAt;
          if (typeof sentAt !== 'number') {
            subError ??= new Error(`unexpected subscription message: ${JSON.stringify(msg).slice(0, 300)}`);
            return;
          }
          deliveries.push({ sentAt, receivedAt });
          for (const f of onDelivery) f(sentAt);
        },
        error: (err) => {
          subError ??= err;
          resolve();
        },
        complete: () => resolve(),
      });
    });
    const insert = async (body: string): Promise<{ sentAt: number; ackAt: number }> => {
      const sentAt = performance.timeOrigin + performance.now();
      await sql`insert into public.gql_ticks (owner, sent_at, body) values (${BENCH_USER}, ${sentAt}, ${body})`;
      return { sentAt, ackAt: performance.timeOrigin + performance.now() };
    };
    // The subscription is live once a probe row arrives (graphql-ws does not acknowledge subscribe).
    const started = performance.now();
    for (;;) {
      const arrived = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 500);
        onDelivery.add(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await insert('probe');
      if (await arrived) break;
      onDelivery.clear();
      if (subError) throw subscriptionFailure(subError);
      if (performance.now() - started > 15_000) throw new Error('graphql-sub: no delivery within 15 s of subscribing');
    }
    onDelivery.clear();
    await new Promise((r) => setTimeout(r, 300));
    deliveries.length = 0;
    // Fixed rate: one INSERT (autocommit: it is committed when acknowledged) every 1/rate s.
    const total = Math.max(1, Math.round(seconds * SUB_RATE));
    const acks = new Map<number, number>();
    log(`graphql-sub: ${total} INSERTs at ${SUB_RATE}/s`);
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / SUB_RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const { sentAt, ackAt } = await insert(`tick ${i}`);
      acks.set(sentAt, ackAt);
    }
    // Let the last deliveries arrive.
    const deadline = performance.now() + 5_000;
    while (deliveries.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (subError) throw subscriptionFailure(subError);
    client.dispose();
    await done;
    const fromSend = deliveries.map((d) => d.receivedAt - d.sentAt).sort((a, b) => a - b);
    const fromAck = deliveries.flatMap((d) => {
      const ack = acks.get(d.sentAt);
      return ack === undefined ? [] : [Math.max(0, d.receivedAt - ack)];
    }).sort((a, b) => a - b);
    const roundTrips = [...acks.entries()].map(([s, a]) => a - s).sort((a, b) => a - b);
    const missed = total - deliveries.length;
    log(`graphql-sub: ${deliveries.length}/${total} delivered; send->delivery p50 ${quantile(fromSend, 0.5).toFixed(2)} ms p99 ${quantile(fromSend, 0.99).toFixed(2)} ms; commit->delivery p50 ${quantile(fromAck, 0.5).toFixed(2)} ms p99 ${quantile(fromAck, 0.99).toFixed(2)} ms; INSERT round trip p50 ${quantile(roundTrips, 0.5).toFixed(2)} ms`);
    const detail = (q: number) =>
      `INSERT sent -> delivery ${int(quantile(fromSend, q) * 1000)} µs; INSERT round trip p50 ${int(quantile(roundTrips, 0.5) * 1000)} µs; ` +
      `${deliveries.length}/${total} delivered${missed > 0 ? ` (${missed} MISSED)` : ''}; 1 subscriber, ${SUB_RATE} rows/s; informative`;
    return (['p50', 'p99'] as const).map((name) => {
      const q = name === 'p50' ? 0.5 : 0.99;
      return {
        kind: 'measure', bench: 'graphql-sub', metric: `INSERT commit -> subscription delivery ${name}`,
        value: quantile(fromAck, q) * 1000, unit: 'µs', detail: detail(q),
      } satisfies Row;
    });
  } finally {
    client.dispose();
    await sql.end({ timeout: 5 });
  }
}

const graphqlSub: Benchmark = {
  name: 'graphql-sub',
  group: 'graphql',
  description: `subscription delivery latency: gqlTicksChanges (${TICKS_TABLE}) over graphql-ws, rows INSERTed through SQL at BENCH_GQL_SUB_RATE (${SUB_RATE})/s; p50/p99, reported`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    await graphqlFixture(serveOptions, ctx.log);
    const side = await startSide('graphql', 'fluxbase', serveOptions);
    try {
      return await subscriptionLatency(serveOptions, side, ctx.options.durationSec * ctx.options.rounds, ctx.log);
    } finally {
      await side.stop();
    }
  },
};

export const benchmarks: Benchmark[] = [...GQL_CASES.map(benchmarkFor), graphqlVsRest, graphqlSub];
