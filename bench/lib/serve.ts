// Child-process entry: `node --import tsx bench/lib/serve.ts <benchmark> <side>` starts one
// side of a benchmark (options in BENCH_SERVE_OPTIONS), prints {"ready":true,"url":…} on
// stdout, and stops on SIGTERM.
import type { ServeMap, ServeOptions, SideName } from './types.ts';

const [bench, side] = process.argv.slice(2) as [string | undefined, string | undefined];
if (!bench || !/^[a-z][a-z0-9-]*$/.test(bench) || (side !== 'baseline' && side !== 'fluxbase')) {
  console.error('usage: serve.ts <benchmark> baseline|fluxbase');
  process.exit(2);
}
const options = JSON.parse(process.env.BENCH_SERVE_OPTIONS ?? '{}') as ServeOptions;
const mod = (await import(`../${bench}.ts`)) as { serve?: ServeMap };
if (!mod.serve) {
  console.error(`benchmark ${bench} has no servers`);
  process.exit(2);
}
const server = await mod.serve[side as SideName](options);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(`${JSON.stringify({ ready: true, url: server.url })}\n`);
