// Tracing's cost on R1 (issue 19, docs/tracing.md). `trace-sampled`: the real server with
// tracing on at 10% sampling (`tracing.sample_rate: 0.1`, OTLP/HTTP to a span sink in the
// runner process) against the same build with tracing off (the default), both serving R1 of
// the REST benchmarks. The other figure, tracing off against a build without the tracing code
// path, is the A/B mode of `rest-read` (bench/README.md, "Tracing").
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { signJwt } from '../packages/server/src/http/index.ts';
import { withSides } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { compareSides, type Target } from './lib/load.ts';
import { REST_CASES, casePath } from './lib/rest-cases.ts';
import { BENCH_USER, restFixture } from './lib/rest-fixture.ts';
import type { Benchmark, ServeMap } from './lib/types.ts';

const R1 = REST_CASES.find((c) => c.id === 'R1')!;
/** Analysis only: BENCH_TRACE_SAMPLE_RATE replaces the 10% of the goal. */
const SAMPLE_RATE = Number(process.env.BENCH_TRACE_SAMPLE_RATE ?? '0.1');

export const serve: ServeMap = {
  baseline: (options) => fluxbaseServer({ ...options, variant: R1.name }),
  fluxbase: (options) => fluxbaseServer({ ...options, variant: R1.name }, [], {
    tracing: { enabled: true, sample_rate: SAMPLE_RATE, otlp_endpoint: options.otlpEndpoint },
  }),
};

/** An OTLP/HTTP receiver that accepts what arrives and counts the spans (JSON encoding). */
async function spanSink(): Promise<{ url: string; spans(): number; posts(): number; close(): Promise<void> }> {
  let spans = 0;
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[] };
        for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += ss.spans?.length ?? 0;
      } catch {
        // Not JSON (protobuf): counted as a post only.
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => spans,
    posts: () => posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export const benchmarks: Benchmark[] = [{
  name: 'trace-sampled',
  group: 'tracing',
  description: 'T2: R1 with tracing on at 10% sampling (OTLP/HTTP to a local sink) vs tracing off',
  needsDatabase: true,
  async run(ctx) {
    const sink = await spanSink();
    try {
      const serveOptions = { ...ctx.serve!, variant: R1.name, otlpEndpoint: sink.url };
      await restFixture(serveOptions, ctx.log);
      const now = Math.floor(Date.now() / 1000);
      const token = signJwt({ iss: 'fluxbase', aud: 'authenticated', sub: BENCH_USER, role: 'authenticated', iat: now, exp: now + 3600 }, serveOptions.jwtSecret);
      const target = (url: string): Target => ({ url: `${url}${casePath(R1, 1)}`, headers: { authorization: `Bearer ${token}` }, path: () => casePath(R1) });
      return await withSides('tracing', serveOptions, async ({ baseline, fluxbase }) => {
        const result = await compareSides('trace-sampled', { baseline: { ...target(baseline.url), pid: baseline.pid }, fluxbase: { ...target(fluxbase.url), pid: fluxbase.pid } }, ctx.options, ctx.log);
        // Spans leave in batches: stop the traced side first so it flushes, then count.
        await fluxbase.stop();
        const requests = result.fluxbase.requests;
        ctx.log(`trace-sampled: ${sink.spans()} spans in ${sink.posts()} OTLP posts for ${requests} measured requests (plus warm-up)`);
        if (sink.spans() === 0 && SAMPLE_RATE > 0) throw new Error('trace-sampled: tracing was on but no span reached the sink');
        return [
          { kind: 'compare', bench: 'trace-sampled', what: 'T2 R1, tracing on at 10% ÷ tracing off', baseline: result.baseline, fluxbase: result.fluxbase, ratio: result.fluxbase.rps / result.baseline.rps, goal: 0.9 },
          { kind: 'measure', bench: 'trace-sampled', metric: 'spans exported', value: sink.spans(), unit: 'spans', detail: `${sink.posts()} OTLP posts` },
        ];
      });
    } finally {
      await sink.close();
    }
  },
}];
