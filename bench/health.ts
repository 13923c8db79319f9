// health: GET /health on the real Fluxbase server (full pipeline: request id, security
// headers, CORS, metrics hooks, process metrics) against a bare node:http server that
// answers the same JSON body shape. Goal: Fluxbase ≥ 90% of the baseline's req/s.
import { bareServer } from './lib/bare.ts';
import { withSides } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { compareSides } from './lib/load.ts';
import type { Benchmark, ServeMap } from './lib/types.ts';

const GOAL = 0.9;

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options),
  baseline: () => bareServer('/health', () => ({
    status: 'ok', services: { database: true, realtime: false }, timestamp: new Date().toISOString(),
  })),
};

export const benchmark: Benchmark = {
  name: 'health',
  description: 'GET /health: real server vs bare node:http',
  needsDatabase: true,
  async run(ctx) {
    return withSides('health', ctx.serve!, async ({ baseline, fluxbase }) => {
      const result = await compareSides('health', {
        baseline: { url: `${baseline.url}/health`, pid: baseline.pid },
        fluxbase: { url: `${fluxbase.url}/health`, pid: fluxbase.pid },
      }, ctx.options, ctx.log);
      return [{
        kind: 'compare', bench: 'health', what: 'GET /health',
        baseline: result.baseline, fluxbase: result.fluxbase,
        ratio: result.fluxbase.rps / result.baseline.rps, goal: GOAL,
      }];
    });
  },
};
