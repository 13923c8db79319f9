// The Fluxbase side: the real server (startServer) with the bench config, process metrics
// on, silent logs, and optional extra routes registered on the real pipeline. It is loaded
// from a bundle built as `npm start`'s is (packages/server/dist/lib/index.js, rebuilt by run.ts before
// the benchmarks start), not from the TypeScript sources through tsx, whose transform adds
// work to every closure (keepNames) that users' servers never do.
import { rmSync } from 'node:fs';
import type * as ServerApi from '../../packages/server/src/index.ts';
import type { StartOptions } from '../../packages/server/src/main.ts';
import { benchConfig, type Overrides } from './config.ts';
import type { ServeOptions, SideServer } from './types.ts';

// dist/lib/ is as deep as src/db/, so paths a module resolves from its own URL (the migrations) hold in the bundle too.
const BUNDLE = new URL('../../packages/server/dist/lib/index.js', import.meta.url).href;

export async function fluxbaseServer(serve: ServeOptions, plugins: StartOptions['plugins'] = [], overrides: Overrides = {}): Promise<SideServer> {
  const config = benchConfig(serve, overrides);
  const { startServer, createLogger } = (await import(BUNDLE)) as typeof ServerApi;
  const server = await startServer({
    config, plugins, processMetrics: true,
    logger: createLogger({ level: 'silent', format: 'json' }),
  });
  return {
    url: server.url,
    async close() {
      await server.close();
      rmSync(config.data_dir, { recursive: true, force: true });
    },
  };
}
