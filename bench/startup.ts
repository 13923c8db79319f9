// startup (M1): `fluxbase serve` with the embedded database, as a user runs it. The first
// start initialises the data dir (initdb, migrations; not timed). Then several warm
// starts are timed from spawn to the first 200 from GET /ready (polled every 20 ms), and
// after ~3 s idle the RSS of the node process is read from /proc/<pid>/status (the
// embedded PostgreSQL processes are separate and not counted). Goals: warm start ≤ 2 s
// (median), RSS ≤ 120 MB (largest).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, stopChild, track } from './lib/child.ts';
import type { Benchmark, Row } from './lib/types.ts';

const START_GOAL_MS = 2000;
const RSS_GOAL_MB = 120;
const POLL_MS = 20;
const IDLE_MS = 3000;
const BIN = path.join(REPO_ROOT, 'packages', 'server', 'bin', 'fluxbase.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  child: ChildProcess;
  ms: number;
  output: () => string;
}

export async function startFluxbase(dataDir: string, port: number, timeoutMs: number): Promise<Started> {
  const env: NodeJS.ProcessEnv = {};
  // Only the embedded database counts here: drop any FLUXBASE_* or DATABASE_URL setting.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FLUXBASE_') && k !== 'DATABASE_URL') env[k] = v;
  Object.assign(env, {
    FLUXBASE_DATA_DIR: dataDir,
    FLUXBASE_SERVER_HOST: '127.0.0.1',
    FLUXBASE_SERVER_PORT: String(port),
    FLUXBASE_LOGGING_LEVEL: 'warn',
  });
  let output = '';
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}/ready`;
  const deadline = t0 + timeoutMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`fluxbase serve exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${output}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return { child, ms: performance.now() - t0, output: () => output };
    } catch {
      // not listening yet
    }
    await sleep(POLL_MS);
  }
  await stopChild(child);
  throw new Error(`fluxbase serve was not ready within ${timeoutMs} ms:\n${output}`);
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const benchmark: Benchmark = {
  name: 'startup',
  description: 'fluxbase serve (embedded DB): warm start to /ready, idle RSS',
  needsDatabase: false,
  async run(ctx) {
    // Under os.tmpdir(): as root, the `postgres` OS user must be able to traverse it.
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bench-startup-'));
    try {
      const port = await freePort();
      ctx.log(`startup: first start (initialises ${dataDir}, not timed)`);
      const first = await startFluxbase(dataDir, port, 120_000);
      await stopChild(first.child);
      ctx.log(`startup: first start ready in ${Math.round(first.ms)} ms`);

      const times: number[] = [];
      const rss: number[] = [];
      for (let i = 1; i <= ctx.options.starts; i++) {
        const s = await startFluxbase(dataDir, port, 30_000);
        times.push(s.ms);
        try {
          await sleep(IDLE_MS);
          rss.push(rssMb(s.child.pid!));
        } finally {
          await stopChild(s.child);
        }
        if (s.child.exitCode !== 0) ctx.log(`startup: warning: exit code ${s.child.exitCode}\n${s.output()}`);
        ctx.log(`startup: warm start ${i}/${ctx.options.starts}: ready in ${Math.round(s.ms)} ms, idle RSS ${rss.at(-1)!.toFixed(1)} MB`);
      }
      const rows: Row[] = [
        {
          kind: 'measure', bench: 'startup', metric: 'warm start to /ready (median)', value: median(times), unit: 'ms', max: START_GOAL_MS,
          detail: `runs: ${times.map((t) => Math.round(t)).join(', ')} ms`,
        },
        {
          kind: 'measure', bench: 'startup', metric: 'idle RSS of node (largest)', value: Math.max(...rss), unit: 'MB', max: RSS_GOAL_MB,
          detail: `runs: ${rss.map((r) => r.toFixed(1)).join(', ')} MB`,
        },
        { kind: 'measure', bench: 'startup', metric: 'first start (initdb + migrations)', value: first.ms, unit: 'ms', detail: 'informative' },
      ];
      return rows;
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
};
