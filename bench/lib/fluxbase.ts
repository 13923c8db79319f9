// The Fluxbase side: the real server (startServer) with the bench config, process metrics
// on, silent logs, and optional extra routes registered on the real pipeline.
import { rmSync } from 'node:fs';
import { startServer, type StartOptions } from '../../packages/server/src/main.ts';
import { createLogger } from '../../packages/server/src/observability/index.ts';
import { benchConfig, type Overrides } from './config.ts';
import type { ServeOptions, SideServer } from './types.ts';

export async function fluxbaseServer(serve: ServeOptions, plugins: StartOptions['plugins'] = [], overrides: Overrides = {}): Promise<SideServer> {
  const config = benchConfig(serve, overrides);
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
