// The functions benchmarks' handler and their bare-Deno baselines. The handler source is
// deployed to Fluxbase as the function `hello` and written, unchanged, as `handler.ts` next
// to the baselines' entry files, which import it:
//   - cold (fn-cold): `main.ts` builds a Request, calls the handler and writes the body to
//     stdout; `deno run` of it, spawned from Node once per sample (bareColdRun);
//   - warm (fn-warm): `server.ts` is `Deno.serve` of the handler on a loopback port, in its
//     own long-lived Deno process (bareDenoServer).
// Both run with the flags Fluxbase's runtime gives Deno (runtime/permission-flags.ts) minus
// the permissions and the heap limit, and the env it gives (DENO_DIR, NO_COLOR,
// DENO_NO_UPDATE_CHECK) with a DENO_DIR kept for the whole benchmark, so Deno's caches are warm
// after the first run, as Fluxbase's shared `<data dir>/deno` is.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { resolveDenoBinary } from '../../packages/server/src/functions/runtime/deno-binary.ts';
import type { SideServer } from './types.ts';

/** What both sides answer. */
export const BODY = 'hello';
/** The function: Fluxbase's deployed code and the baselines' handler.ts. */
export const HANDLER_SOURCE = `export default (_req: Request): Response => new Response(${JSON.stringify(BODY)});\n`;

const DENO_FLAGS = ['run', '--no-prompt', '--quiet', '--no-config', '--no-lock', '--no-check'];

const COLD_MAIN = `import handler from "./handler.ts";
const res = await handler(new Request("http://127.0.0.1/functions/v1/hello"));
await Deno.stdout.write(new Uint8Array(await res.arrayBuffer()));
`;

const SERVER_MAIN = `import handler from "./handler.ts";
Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(JSON.stringify({ port })) }, handler);
`;

export interface DenoWorkspace {
  deno: string;
  dir: string;
  env: Record<string, string>;
  remove(): void;
}

/** A temp dir with handler.ts and `entry` (as `main.ts`), and its own DENO_DIR. */
function workspace(entry: string): DenoWorkspace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-bench-deno-'));
  writeFileSync(path.join(dir, 'handler.ts'), HANDLER_SOURCE);
  writeFileSync(path.join(dir, 'main.ts'), entry);
  return {
    deno: resolveDenoBinary(),
    dir,
    env: { DENO_DIR: path.join(dir, 'deno-dir'), NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const coldWorkspace = (): DenoWorkspace => workspace(COLD_MAIN);

/** One `deno run main.ts`: wall time from spawn to exit (all pipes closed), ms; checks it printed BODY. */
export function bareColdRun(ws: DenoWorkspace): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(ws.deno, [...DENO_FLAGS, path.join(ws.dir, 'main.ts')], { cwd: ws.dir, env: ws.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 || out !== BODY) reject(new Error(`bare deno run exited with ${code}, stdout ${JSON.stringify(out)}, stderr ${err.slice(0, 500)}`));
      else resolve(ms);
    });
  });
}

/** `Deno.serve` of the handler on 127.0.0.1 (a free port), in its own Deno process; close() stops it. */
export async function bareDenoServer(): Promise<SideServer> {
  const ws = workspace(SERVER_MAIN);
  const child = spawn(ws.deno, [...DENO_FLAGS, '--allow-net=127.0.0.1', path.join(ws.dir, 'main.ts')], { cwd: ws.dir, env: ws.env, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error('the bare Deno.serve process exited before listening')));
    createInterface({ input: child.stdout }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      child.kill('SIGTERM');
      await exited;
      ws.remove();
    },
  };
}
