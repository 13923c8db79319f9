// Each side's server runs in its own Node process (bench/lib/serve.ts), so the load
// generator (autocannon, in the runner) never shares an event loop with either side.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServeOptions, SideName } from './types.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVE_ENTRY = path.join(REPO_ROOT, 'bench', 'lib', 'serve.ts');

export interface ChildSide {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// If the runner dies early, do not leave servers behind: ask them to stop themselves.
process.once('exit', () => {
  for (const c of live) c.kill('SIGTERM');
});

/** Send SIGTERM and wait for the exit (SIGKILL after `timeoutMs`). */
export function stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

export function startSide(bench: string, side: SideName, options: ServeOptions): Promise<ChildSide> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") goes to the servers' node.
  const extra = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  // BENCH_AB_CHECKOUT=<another checkout, installed>: A/B mode. The baseline side is that
  // checkout's Fluxbase side, so the ratio is this build ÷ that build (e.g. "R1 unchanged").
  const ab = side === 'baseline' ? process.env.BENCH_AB_CHECKOUT : undefined;
  const root = ab ? path.resolve(ab) : REPO_ROOT;
  const entry = ab ? path.join(root, 'bench', 'lib', 'serve.ts') : SERVE_ENTRY;
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', entry, bench, ab ? 'fluxbase' : side], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', BENCH_SERVE_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(child);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const onExit = (code: number | null) => reject(new Error(`${bench}/${side} server exited before it was ready (code ${code})`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      if (!line.startsWith('{"ready"')) return;
      child.off('exit', onExit);
      const { url } = JSON.parse(line) as { url: string };
      resolve({ url, pid: child.pid!, stop: () => stopChild(child) });
    });
  });
}

/** Start both sides of a benchmark, run `fn` with them, and always stop both. */
export async function withSides<T>(bench: string, serve: ServeOptions, fn: (sides: { baseline: ChildSide; fluxbase: ChildSide }) => Promise<T>): Promise<T> {
  const baseline = await startSide(bench, 'baseline', serve);
  const fluxbase = await startSide(bench, 'fluxbase', serve).catch(async (err: unknown) => {
    await baseline.stop();
    throw err;
  });
  try {
    return await fn({ baseline, fluxbase });
  } finally {
    await Promise.all([baseline.stop(), fluxbase.stop()]);
  }
}
