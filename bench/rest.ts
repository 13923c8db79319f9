// The REST benchmarks (R1, R3–R6): the real server's /rest/v1 routes against a bare
// node:http server running the same SQL (rest-sql.ts) through a postgres.js pool of the same
// size, with the same per-request transaction context (lib/rest-baseline.ts). One benchmark
// per case (lib/rest-cases.ts); `npm run bench -- rest` selects all five. Both sides send a
// user JWT whose `sub` owns the fixture's rows (lib/rest-fixture.ts); before loading, both
// must give the same status, Content-Range and body, and hide another user's row.
import { signJwt } from '../packages/server/src/http/index.ts';
import { withSides } from './lib/child.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { bodyOf, compareSides, type Target } from './lib/load.ts';
import { REST_CASES, casePath, randomItemId, type RestCase } from './lib/rest-cases.ts';
import { restBaseline } from './lib/rest-baseline.ts';
import { BENCH_USER, ITEM_COUNT, restFixture } from './lib/rest-fixture.ts';
import type { Benchmark, SideName, ServeMap } from './lib/types.ts';

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options),
  baseline: (options) => restBaseline(options),
};

// A custom JWT signed with the secret, as PostgREST accepts: no `session_id`, since the
// auth core refuses (TOKEN_REVOKED) a session_id that is not a live auth.sessions row.
function userToken(secret: string, sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ iss: 'fluxbase', aud: 'authenticated', sub, role: 'authenticated', iat: now, exp: now + 3600 }, secret);
}

interface Answer {
  status: number;
  contentRange: string | null;
  /** Location without the new row's id. */
  location: string | null;
  body: string;
}

async function ask(t: Target, path: string): Promise<Answer> {
  const res = await fetch(new URL(path, t.url), { method: t.method ?? 'GET', headers: t.headers ?? {}, ...(t.body !== undefined ? { body: bodyOf(t) } : {}) });
  const location = res.headers.get('location')?.replace(/=eq\.\d+$/, '=eq.<id>') ?? null;
  return { status: res.status, contentRange: res.headers.get('content-range'), location, body: await res.text() };
}

/** Same request to both sides: same status (the case's), Content-Range, Location and body text. */
async function sameAnswer(c: RestCase, sides: Record<SideName, Target>, path: string, status = c.status): Promise<void> {
  const a = await ask(sides.baseline, path);
  const b = await ask(sides.fluxbase, path);
  for (const [side, x] of [['baseline', a], ['fluxbase', b]] as const) {
    if (x.status !== status) throw new Error(`${c.name}: ${side} ${path} answered ${x.status} (want ${status}): ${x.body.slice(0, 300)}`);
  }
  if (a.contentRange !== b.contentRange) throw new Error(`${c.name}: Content-Range differs: baseline ${a.contentRange}, fluxbase ${b.contentRange}`);
  if (a.location !== b.location) throw new Error(`${c.name}: Location differs: baseline ${a.location}, fluxbase ${b.location}`);
  if (a.body !== b.body) throw new Error(`${c.name}: bodies differ on ${path}:\n  baseline ${a.body.slice(0, 300)}\n  fluxbase ${b.body.slice(0, 300)}`);
}

function preflightFor(c: RestCase): (sides: Record<SideName, Target>) => Promise<void> {
  return async (sides) => {
    if (c.method === 'GET' && c.query.includes('{id}')) {
      await sameAnswer(c, sides, casePath(c, randomItemId()));
      // RLS is in force on both sides: another user's row is not visible.
      await sameAnswer(c, sides, casePath(c, ITEM_COUNT + 1));
      const hidden = await ask(sides.fluxbase, casePath(c, ITEM_COUNT + 1));
      if (hidden.body !== '[]') throw new Error(`${c.name}: another user's row is visible: ${hidden.body.slice(0, 200)}`);
    } else {
      await sameAnswer(c, sides, casePath(c));
    }
  };
}

function benchmarkFor(c: RestCase): Benchmark {
  return {
    name: c.name,
    group: 'rest',
    description: c.description,
    needsDatabase: true,
    async run(ctx) {
      const serveOptions = { ...ctx.serve!, variant: c.name };
      await restFixture(serveOptions, ctx.log);
      const headers: Record<string, string> = { authorization: `Bearer ${userToken(serveOptions.jwtSecret, BENCH_USER)}` };
      if (c.prefer) headers.prefer = c.prefer;
      if (c.body !== undefined) headers['content-type'] = 'application/json';
      const target = (url: string): Target => ({
        url: `${url}${casePath(c, 1)}`, headers, method: c.method,
        ...(c.body !== undefined ? { body: c.body } : {}),
        ...(c.query.includes('{id}') ? { path: () => casePath(c) } : {}),
      });
      return withSides('rest', serveOptions, async ({ baseline, fluxbase }) => {
        const result = await compareSides(c.name, { baseline: { ...target(baseline.url), pid: baseline.pid }, fluxbase: { ...target(fluxbase.url), pid: fluxbase.pid } }, ctx.options, ctx.log, preflightFor(c));
        return [{
          kind: 'compare', bench: c.name, what: c.what,
          baseline: result.baseline, fluxbase: result.fluxbase,
          ratio: result.fluxbase.rps / result.baseline.rps, goal: c.goal,
          ...(c.p99Factor !== undefined ? { p99Factor: c.p99Factor } : {}),
        }];
      });
    },
  };
}

export const benchmarks: Benchmark[] = REST_CASES.map(benchmarkFor);
