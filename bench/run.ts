// Benchmark runner. `npm run bench` runs every benchmark; `npm run bench -- health context`
// runs the named ones (or a group: `rest` = the five REST benchmarks, `auth` = the auth ones,
// `realtime` = rt1, rt2, rt3, rt6, `functions` = fn-cold, fn-warm, `webhooks` = wh-deliver, wh-write,
// `jobs` = jobs-drain, `storage` = storage-transfer, storage-download, `graphql` = graphql-pk, graphql-nested,
// graphql-insert, graphql-rest, graphql-sub). Options (flag or environment variable):
//   --duration=<s>     BENCH_DURATION     seconds each side is loaded per round (10)
//   --connections=<n>  BENCH_CONNECTIONS  concurrent connections, both sides (50)
//   --rounds=<n>       BENCH_ROUNDS       measured rounds per side, A,B,A,B,… (3; median)
//   --warmup=<s>       BENCH_WARMUP       unmeasured seconds per side first (2)
//   --starts=<n>       BENCH_STARTS       timed warm starts in `startup` (3)
// One PostgreSQL serves the run: embedded in a temp dir, or FLUXBASE_DATABASE_URL /
// DATABASE_URL (an owner URL) when set; a fresh database is created and dropped.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { benchmarks as auth } from './auth.ts';
import { benchmarks as backup } from './backup.ts';
import { benchmark as context } from './context.ts';
import { benchmarks as functions } from './functions.ts';
import { benchmarks as graphql } from './graphql.ts';
import { benchmark as health } from './health.ts';
import { benchmarks as jobs } from './jobs.ts';
import { openBenchDatabase, type BenchDatabase } from './lib/db.ts';
import { compareVerdict, render } from './lib/report.ts';
import type { BenchOptions, Benchmark, Row } from './lib/types.ts';
import { benchmarks as realtime } from './realtime.ts';
import { benchmarks as rest } from './rest.ts';
import { benchmark as startup } from './startup.ts';
import { benchmarks as storage } from './storage.ts';
import { benchmarks as tracing } from './tracing.ts';
import { benchmarks as webhooks } from './webhooks.ts';

const BENCHMARKS: Benchmark[] = [health, context, ...rest, ...auth, ...realtime, ...functions, ...webhooks, ...jobs, ...storage, ...graphql, ...tracing, ...backup, startup];
const GROUPS = [...new Set(BENCHMARKS.flatMap((b) => (b.group ? [b.group] : [])))];
const POOL_SIZE = 50; // database.max_connections default; both sides of `context` use it

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

function parseArgs(argv: string[]): { names: string[]; options: BenchOptions } {
  const flags = new Map<string, string>();
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [${[...BENCHMARKS.map((b) => b.name), ...GROUPS].join('|')} …] [--duration=10] [--connections=50] [--rounds=3] [--warmup=2] [--starts=3]`);
      for (const b of BENCHMARKS) console.log(`  ${b.name.padEnd(11)} ${b.description}`);
      process.exit(0);
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else flags.set(a.slice(2), argv[++i] ?? '');
    } else {
      names.push(a);
    }
  }
  const num = (flag: string, env: string, dflt: number, min: number): number => {
    const raw = flags.get(flag) ?? process.env[env];
    flags.delete(flag);
    if (raw === undefined || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${flag} (${env}) must be a number ≥ ${min}, got "${raw}"`);
    return n;
  };
  const options: BenchOptions = {
    durationSec: num('duration', 'BENCH_DURATION', 10, 1),
    connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 50, 1)),
    rounds: Math.round(num('rounds', 'BENCH_ROUNDS', 3, 1)),
    warmupSec: num('warmup', 'BENCH_WARMUP', 2, 0),
    starts: Math.round(num('starts', 'BENCH_STARTS', 3, 1)),
  };
  if (flags.size > 0) throw new Error(`unknown option(s): ${[...flags.keys()].map((f) => `--${f}`).join(', ')}`);
  return { names, options };
}

async function main(): Promise<number> {
  const { names, options } = parseArgs(process.argv.slice(2));
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n) && !GROUPS.includes(n));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${[...BENCHMARKS.map((b) => b.name), ...GROUPS].join(', ')}`);
  const selected = names.length > 0 ? BENCHMARKS.filter((b) => names.includes(b.name) || (b.group !== undefined && names.includes(b.group))) : BENCHMARKS;

  log(`node ${process.version}, ${os.cpus().length} cores; ${options.connections} connections, ${options.durationSec}s × ${options.rounds} rounds per side, ${options.warmupSec}s warm-up`);
  let db: BenchDatabase | undefined;
  const rows: Row[] = [];
  const failures: string[] = [];
  try {
    // The Fluxbase sides load the server bundle (lib/fluxbase.ts): build it from these sources.
    execFileSync('npm', ['run', 'build', '--workspace', 'fluxbase'], { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'ignore', 'inherit'] });
    log('server bundle built (packages/server/dist)');
    if (selected.some((b) => b.needsDatabase)) {
      db = await openBenchDatabase(log);
      log(`database: ${db.where}`);
    }
    const serve = db && {
      databaseUrl: db.url,
      jwtSecret: randomBytes(32).toString('hex'),
      encryptionKey: randomBytes(32).toString('hex'),
      maxConnections: POOL_SIZE,
    };
    for (const b of selected) {
      log(`── ${b.name}: ${b.description}`);
      try {
        rows.push(...(await b.run({ options, serve, log })));
      } catch (err) {
        failures.push(b.name);
        log(`${b.name} failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  } finally {
    await db?.close();
  }
  console.log(`\nFluxbase benchmarks — ${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus().length} cores, ` +
    `${options.connections} connections, ${options.durationSec}s × ${options.rounds} rounds per side (median)\n`);
  console.log(render(rows));
  if (failures.length > 0) console.log(`\nfailed to run: ${failures.join(', ')}`);
  const errored = rows.some((r) => r.kind === 'compare' && compareVerdict(r) === 'ERROR');
  return failures.length > 0 || errored ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  },
);
