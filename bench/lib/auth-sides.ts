// Side processes for the auth benchmarks with a fixed libuv thread-pool size: A3 compares
// argon2 throughput, which runs on that pool, so both children get the same
// UV_THREADPOOL_SIZE. child.ts copies process.env when it spawns (synchronously inside
// startSide), so the variable is set only around that call and the runner's own env is restored.
import { startSide, type ChildSide } from './child.ts';
import type { ServeOptions, SideName } from './types.ts';

function spawnWithEnv(bench: string, side: SideName, serve: ServeOptions, env: Record<string, string>): Promise<ChildSide> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return startSide(bench, side, serve);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Start the named sides (in order) with `env` added, run `fn`, and always stop them. */
export async function withAuthSides<T>(
  bench: string, serve: ServeOptions, env: Record<string, string>, names: SideName[],
  fn: (sides: Partial<Record<SideName, ChildSide>>) => Promise<T>,
): Promise<T> {
  const started: Partial<Record<SideName, ChildSide>> = {};
  try {
    for (const name of names) started[name] = await spawnWithEnv(bench, name, serve, env);
    return await fn(started);
  } finally {
    await Promise.all(Object.values(started).map((s) => s.stop()));
  }
}
