// The storage benchmarks (group `storage`; README "Storage (issue 15)"). The Fluxbase side is the
// real server in its own process (lib/fluxbase.ts: local backend under its temp data dir,
// `server.body_limits.storage_limit` raised above the transfer size); the baseline is a bare
// `node:http` file server in its own process (lib/storage-baseline.ts). A public bucket `bench`
// is created with a service-role token; uploads carry that token, downloads carry no
// credentials at all (the anonymous principal reading a public bucket: the cheapest auth path).
//   storage-transfer  S1: upload, then download, BENCH_STORAGE_MB (1024) MiB per round through
//                     POST/GET /api/v1/storage/bench/<path> vs the bare server's pipe-to-file and
//                     createReadStream; MB/s each side each direction (goal ≥ 80% of bare) and the
//                     server process's peak VmRSS growth during each transfer (goal < 64 MB).
//   storage-download  S2: 100 connections (BENCH_STORAGE_CONNECTIONS) GETting the same 1 MiB
//                     object, autocannon (lib/load.ts), alternating rounds; req/s (goal ≥ 80%), p50/p99.
import { randomBytes } from 'node:crypto';
import { withSides, type ChildSide } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { compareSides, type Target } from './lib/load.ts';
import { rtServiceToken } from './lib/rt-fixture.ts';
import { cpuMicros, rssBytes } from './lib/rt-load.ts';
import { storageBaseline } from './lib/storage-baseline.ts';
import { download, fetchBytes, MiB, repeatedMd5, RssSampler, upload, type TransferResult } from './lib/storage-client.ts';
import type { Benchmark, LoadStats, Row, ServeMap, SideName } from './lib/types.ts';

const GROUP = 'storage';
/** S1: MiB per transfer (BENCH_STORAGE_MB; record figures with the default, 1 GiB). */
const TRANSFER_MB = Number(process.env.BENCH_STORAGE_MB ?? 1024);
/** S2: concurrent connections (BENCH_STORAGE_CONNECTIONS; the 100, not --connections). */
const S2_CONNECTIONS = Number(process.env.BENCH_STORAGE_CONNECTIONS ?? 100);
const S2_OBJECT_BYTES = MiB;
const TRANSFER_GOAL = 0.8;
const RSS_GOAL_MB = 64;
const DOWNLOAD_GOAL = 0.8;
/** Unmeasured transfer per side per direction before S1's rounds (when --warmup > 0). */
const WARMUP_MB = Math.min(64, TRANSFER_MB);
const BUCKET = 'bench';
const CHUNK = randomBytes(MiB);

export const serve: ServeMap = {
  // One request carries the whole object: the per-request limit (default 100MB) must exceed it.
  fluxbase: (o) => fluxbaseServer(o, [], { server: { body_limits: { storage_limit: Math.max(100, TRANSFER_MB + 64) * MiB } } }),
  baseline: () => storageBaseline(),
};

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const f1 = (x: number) => x.toFixed(1);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const mb = (bytes: number) => bytes / MiB;

async function createPublicBucket(url: string, token: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/storage/buckets/${BUCKET}`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ public: true }),
  });
  const text = await res.text();
  // 409: an earlier benchmark of the run (same database) created it.
  if (res.status !== 201 && res.status !== 409) throw new Error(`POST /api/v1/storage/buckets/${BUCKET} answered ${res.status}: ${text.slice(0, 500)}`);
}

/** Where each side keeps an object, and the headers of its upload and delete. */
function locate(side: SideName, server: ChildSide, name: string, token: string): { url: string; auth: Record<string, string> } {
  return side === 'fluxbase'
    ? { url: `${server.url}/api/v1/storage/${BUCKET}/${name.replace(/-/g, '/')}`, auth: { authorization: `Bearer ${token}` } }
    : { url: `${server.url}/files/${name}`, auth: {} };
}

async function remove(url: string, auth: Record<string, string>): Promise<void> {
  const res = await fetch(url, { method: 'DELETE', headers: auth });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`DELETE ${url} answered ${res.status}`);
}

function checkUpload(side: SideName, r: TransferResult, total: number, md5: string | undefined): void {
  if (r.status !== 201) throw new Error(`${side} upload answered ${r.status}: ${r.body.slice(0, 500)}`);
  const body = JSON.parse(r.body) as { size?: number; etag?: string | null };
  if (body.size !== total) throw new Error(`${side} upload stored ${body.size} bytes, sent ${total}`);
  if (md5 !== undefined && side === 'fluxbase' && body.etag?.replace(/"/g, '') !== md5) throw new Error(`fluxbase upload etag ${body.etag}, expected the MD5 ${md5}`);
}

function checkDownload(side: SideName, r: TransferResult, total: number): void {
  if (r.status !== 200) throw new Error(`${side} download answered ${r.status}`);
  if (r.bytes !== total) throw new Error(`${side} download gave ${r.bytes} bytes, expected ${total}`);
}

interface Leg {
  mbps: number;
  ms: number;
  /** Peak VmRSS growth over the value at the start, bytes. */
  rssGrowth: number;
  rssBefore: number;
  /** Server process CPU µs per MiB. */
  cpuPerMb: number;
}

type Direction = 'upload' | 'download';

async function leg(side: SideName, server: ChildSide, dir: Direction, name: string, total: number, token: string, md5?: string): Promise<Leg> {
  const at = locate(side, server, name, token);
  const rss = new RssSampler(server.pid, 100);
  const cpu0 = cpuMicros(server.pid);
  rss.start();
  const pending = dir === 'upload' ? upload(at.url, at.auth, CHUNK, total) : download(at.url);
  const r = await pending.catch((err: unknown) => {
    rss.stop();
    throw err;
  });
  const sampled = rss.stop();
  const cpu1 = cpuMicros(server.pid);
  if (dir === 'upload') checkUpload(side, r, total, md5);
  else checkDownload(side, r, total);
  return { mbps: mb(total) / (r.ms / 1000), ms: r.ms, rssGrowth: sampled.growth, rssBefore: sampled.before, cpuPerMb: (cpu1 - cpu0) / mb(total) };
}

/** The round whose MB/s is the median (the lower middle of an even count). */
function medianLeg(legs: Leg[]): Leg {
  const s = [...legs].sort((a, b) => a.mbps - b.mbps);
  return s[Math.floor((s.length - 1) / 2)]!;
}

const transfer: Benchmark = {
  name: 'storage-transfer',
  group: GROUP,
  description: `S1 ${TRANSFER_MB} MiB upload then download, Fluxbase storage vs bare node:http pipe to/from a file: >= ${TRANSFER_GOAL * 100}% MB/s, RSS growth < ${RSS_GOAL_MB} MB`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    const token = rtServiceToken(serveOptions.jwtSecret);
    const total = TRANSFER_MB * MiB;
    return withSides(GROUP, serveOptions, async (servers) => {
      await createPublicBucket(servers.fluxbase.url, token);
      ctx.log(`storage-transfer: MD5 of the ${TRANSFER_MB} MiB payload (to check Fluxbase's etag)…`);
      const md5 = repeatedMd5(CHUNK, total);
      // Each server's RSS before its first transfer: the goal row's growth counts from here, so
      // memory kept after the warm-up or an earlier round still counts against the transfer.
      const idle: Record<SideName, number> = { baseline: rssBytes(servers.baseline.pid), fluxbase: rssBytes(servers.fluxbase.pid) };
      ctx.log(`storage-transfer: RSS before any transfer: bare ${f1(mb(idle.baseline))} MB, Fluxbase ${f1(mb(idle.fluxbase))} MB`);
      const runOne = async (side: SideName, dir: Direction, name: string, bytes: number, hash?: string) =>
        leg(side, servers[side], dir, name, bytes, token, hash);

      if (ctx.options.warmupSec > 0) {
        const w = WARMUP_MB * MiB;
        const wmd5 = repeatedMd5(CHUNK, w);
        for (const side of ['baseline', 'fluxbase'] as const) {
          await runOne(side, 'upload', 'warm-0.bin', w, wmd5);
          await runOne(side, 'download', 'warm-0.bin', w);
          const at = locate(side, servers[side], 'warm-0.bin', token);
          await remove(at.url, at.auth);
        }
        ctx.log(`storage-transfer: warm-up done (${WARMUP_MB} MiB each way, each side)`);
      }

      const legs: Record<Direction, Record<SideName, Leg[]>> = {
        upload: { baseline: [], fluxbase: [] }, download: { baseline: [], fluxbase: [] },
      };
      for (let round = 1; round <= ctx.options.rounds; round++) {
        // The order of the sides alternates from round to round, so neither always goes first.
        const order: SideName[] = round % 2 === 1 ? ['baseline', 'fluxbase'] : ['fluxbase', 'baseline'];
        const name = `s1-r${round}.bin`;
        for (const dir of ['upload', 'download'] as const) {
          for (const side of order) {
            const l = await runOne(side, dir, name, total, md5);
            legs[dir][side].push(l);
            ctx.log(`storage-transfer: round ${round}/${ctx.options.rounds} ${dir.padEnd(8)} ${side.padEnd(8)} ${f1(l.mbps)} MB/s (${int(l.ms)} ms), ` +
              `server RSS ${f1(mb(l.rssBefore))} MB + peak ${f1(mb(l.rssGrowth))} MB, CPU ${int(l.cpuPerMb)} µs/MiB`);
          }
        }
        for (const side of order) {
          const at = locate(side, servers[side], name, token);
          await remove(at.url, at.auth);
        }
      }

      const rows: Row[] = [];
      for (const dir of ['upload', 'download'] as const) {
        const b = medianLeg(legs[dir].baseline);
        const f = medianLeg(legs[dir].fluxbase);
        const stats = (l: Leg): LoadStats => ({ rps: l.mbps, p50: Math.round(l.ms), p99: Math.round(l.ms), cpuUs: l.cpuPerMb, requests: ctx.options.rounds, non2xx: 0, errors: 0 });
        const perRound = legs[dir].fluxbase.map((l, i) => pct(l.mbps / legs[dir].baseline[i]!.mbps)).join(', ');
        rows.push({
          kind: 'compare', bench: 'storage-transfer',
          what: `S1 ${dir} ${TRANSFER_MB} MiB: "req/s" = MB/s (MiB/s), p50/p99 = the median round's time, CPU = µs per MiB; per-round ratios ${perRound}`,
          baseline: stats(b), fluxbase: stats(f), ratio: f.mbps / b.mbps, goal: TRANSFER_GOAL,
        });
      }
      for (const dir of ['upload', 'download'] as const) {
        const f = legs[dir].fluxbase;
        const overIdle = (side: SideName, l: Leg) => l.rssBefore + l.rssGrowth - idle[side];
        const worst = Math.max(...f.map((l) => overIdle('fluxbase', l)));
        rows.push({
          kind: 'measure', bench: 'storage-transfer', metric: `Fluxbase peak RSS during the ${dir} - RSS before any transfer (largest round)`, value: mb(worst), unit: 'MB', max: RSS_GOAL_MB,
          detail: `idle ${f1(mb(idle.fluxbase))} MB; per round, peak over idle ${f.map((l) => f1(mb(overIdle('fluxbase', l)))).join(', ')} MB, ` +
            `over the transfer's own start ${f.map((l) => f1(mb(l.rssGrowth))).join(', ')} MB; bare server (idle ${f1(mb(idle.baseline))} MB): ` +
            `${legs[dir].baseline.map((l) => f1(mb(overIdle('baseline', l)))).join(', ')} MB over idle; VmRSS every 100 ms`,
        });
      }
      return rows;
    });
  },
};

const downloads: Benchmark = {
  name: 'storage-download',
  group: GROUP,
  description: `S2 ${S2_CONNECTIONS} connections GET the same 1 MiB object, Fluxbase public bucket (anonymous) vs bare node:http createReadStream: >= ${DOWNLOAD_GOAL * 100}% req/s`,
  needsDatabase: true,
  async run(ctx) {
    const serveOptions = ctx.serve!;
    const token = rtServiceToken(serveOptions.jwtSecret);
    return withSides(GROUP, serveOptions, async (servers) => {
      await createPublicBucket(servers.fluxbase.url, token);
      const object = randomBytes(S2_OBJECT_BYTES);
      const name = 's2-1mb.bin';
      const sides = {} as Record<SideName, Target>;
      for (const side of ['baseline', 'fluxbase'] as const) {
        const at = locate(side, servers[side], name, token);
        const r = await upload(at.url, at.auth, object, object.length);
        checkUpload(side, r, object.length, undefined);
        sides[side] = { url: at.url, pid: servers[side].pid };
      }
      const check = async (s: Record<SideName, Target>) => {
        for (const side of ['baseline', 'fluxbase'] as const) {
          const r = await fetchBytes(s[side].url);
          if (r.status !== 200) throw new Error(`${side} GET ${s[side].url} answered ${r.status}: ${r.bytes.toString('utf8').slice(0, 300)}`);
          if (!r.bytes.equals(object)) throw new Error(`${side} served ${r.bytes.length} bytes that differ from the object uploaded`);
          const missing = ['content-length', 'etag', 'last-modified', 'accept-ranges', 'content-type'].filter((h) => !r.headers.has(h));
          if (missing.length > 0) throw new Error(`${side} download lacks ${missing.join(', ')}`);
          ctx.log(`storage-download: ${side} headers: ${[...r.headers.keys()].join(', ')}`);
        }
      };
      const res = await compareSides('storage-download', sides, { ...ctx.options, connections: S2_CONNECTIONS }, ctx.log, check);
      return [{
        kind: 'compare', bench: 'storage-download',
        what: `S2 GET 1 MiB object, ${S2_CONNECTIONS} connections; Fluxbase anonymous on a public bucket; p50 ${res.baseline.p50} / ${res.fluxbase.p50} ms (bare / Fluxbase)`,
        baseline: res.baseline, fluxbase: res.fluxbase, ratio: res.fluxbase.rps / res.baseline.rps, goal: DOWNLOAD_GOAL,
      }];
    });
  },
};

export const benchmarks: Benchmark[] = [transfer, downloads];
