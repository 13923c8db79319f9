// The auth benchmarks (group `auth`): A1 `auth-jwt` access-token verification in process
// against raw jose.jwtVerify; A2 `auth-rest` a REST GET with a signed-up user's token against
// the same GET with the anon key, on one real server; A3 `auth-signin` password sign-in on the
// real server against a bare node:http + argon2 verify server, same libuv thread-pool size.
import { randomBytes } from 'node:crypto';
import { anonKey, AUTH_ROWS, AUTH_TABLE, authFixture, SIGNIN_PASSWORD, signUp, withForeignSession } from './lib/auth-fixture.ts';
import { checkVerifiers, compareVerifiers, mintTokens, verifiers } from './lib/auth-jwt.ts';
import { withAuthSides } from './lib/auth-sides.ts';
import { SIGNIN_PATH, signinBaseline } from './lib/auth-signin-baseline.ts';
import { fluxbaseServer } from './lib/fluxbase.ts';
import { compareSides, type Target } from './lib/load.ts';
import type { Benchmark, Row, ServeMap, SideName } from './lib/types.ts';

const GROUP = 'auth';
/** A1: distinct tokens (as many as the verified-token cache holds) and verifications in flight. */
const TOKEN_COUNT = 10_000;
const IN_FLIGHT = 16;
/** A3: both children's libuv pool (the libuv default, set explicitly). */
const POOL_THREADS = 4;
const THREAD_POOL = { UV_THREADPOOL_SIZE: String(POOL_THREADS) };
// A3: 4 requests per pool thread. The baseline saturates the pool at 4 in flight; a Fluxbase
// sign-in also spends ~8 sequential database round trips outside the pool, so at 8
// connections the pool waits for requests in that phase (README, "Auth benchmarks").
const SIGNIN_CONNECTIONS = 4 * POOL_THREADS;

// A2's token must outlive a run (default auth.jwt_expiry is 15 min); A3's client makes every
// sign-in, so the per-IP and per-email login limits are raised (the limiter stays in the path).
const OVERRIDES: Record<string, Record<string, unknown>> = {
  'auth-rest': { auth: { jwt_expiry: '6h' } },
  'auth-signin': { rate_limit: { login: '1000000000/1m', login_per_email: '1000000000/1m' } },
  // A4 asks many emails for one address: limiters off (the one-per-60-s interval is not configurable).
  'auth-enum': { rate_limit: { enabled: false }, env: 'test', email: { smtp_url: '' } }, // mail to the development outbox (real inserts)
};

/** A4: requests per route and kind of address (sequential, alternating known and unknown). */
const ENUM_SAMPLES = 300;

export const serve: ServeMap = {
  fluxbase: (options) => fluxbaseServer(options, [], OVERRIDES[options.variant ?? ''] ?? {}),
  baseline: async (options) => {
    if (options.variant !== 'auth-signin') throw new Error(`auth: no baseline server for ${options.variant ?? '(none)'}`);
    return signinBaseline();
  },
};

const authJwt: Benchmark = {
  name: 'auth-jwt',
  group: GROUP,
  description: 'A1: access-token verification (verifyJwt) vs raw jose.jwtVerify, in process',
  needsDatabase: false,
  async run(ctx) {
    const secret = ctx.serve?.jwtSecret ?? randomBytes(32).toString('hex');
    const tokens = mintTokens(secret, TOKEN_COUNT);
    const all = await verifiers(secret);
    await checkVerifiers(all, tokens, randomBytes(32).toString('hex'));
    ctx.log(`auth-jwt: ${TOKEN_COUNT} distinct access tokens accepted by all three verifiers; tampered and foreign-secret tokens refused`);
    const { durationSec, rounds, warmupSec } = ctx.options;
    const r = await compareVerifiers(all, tokens, { durationSec, rounds, warmupSec, inFlight: IN_FLIGHT }, ctx.log);
    const rows: Row[] = [
      {
        kind: 'compare', bench: 'auth-jwt', what: 'A1 verifyJwt vs jose.jwtVerify, ops/s',
        baseline: r.jose, fluxbase: r.ours, ratio: r.ours.rps / r.jose.rps, goal: 0.95,
      },
      {
        kind: 'measure', bench: 'auth-jwt', metric: 'PrincipalResolver.fromJwt (verified-token cache hits)',
        value: r.resolver.rps, unit: 'ops/s', detail: `${((r.resolver.rps / r.jose.rps) * 100).toFixed(1)}% of jose; informative`,
      },
    ];
    if (r.resolver.errors > 0) throw new Error(`auth-jwt: the resolver path failed ${r.resolver.errors} times`);
    return rows;
  },
};

async function expectStatus(label: string, res: Response, status: number): Promise<string> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${label} answered ${res.status} (want ${status}): ${text.slice(0, 300)}`);
  return text;
}

const authRest: Benchmark = {
  name: 'auth-rest',
  group: GROUP,
  description: 'A2: REST GET with a signed-up user\'s token vs the same GET with the anon key',
  needsDatabase: true,
  async run(ctx) {
    const options = { ...ctx.serve!, variant: 'auth-rest' };
    await authFixture(options, ctx.log);
    const anon = anonKey(options.jwtSecret);
    // Both kinds of request go to ONE server process (see README, "Auth benchmarks").
    return withAuthSides('auth', options, {}, ['fluxbase'], async ({ fluxbase }) => {
      const base = fluxbase!.url;
      const { accessToken } = await signUp(base, anon, SIGNIN_PASSWORD);
      const pathFor = (id: number) => `/rest/v1/${AUTH_TABLE}?id=eq.${id}`;
      const target = (headers: Record<string, string>): Target => ({
        url: `${base}${pathFor(1)}`, headers, path: () => pathFor(1 + Math.floor(Math.random() * AUTH_ROWS)),
      });
      const sides: Record<SideName, Target> = {
        baseline: target({ apikey: anon }),
        fluxbase: target({ apikey: anon, authorization: `Bearer ${accessToken}` }),
      };
      const preflight = async () => {
        for (const id of [1, 500, AUTH_ROWS]) {
          const a = await expectStatus('auth-rest anon GET', await fetch(`${base}${pathFor(id)}`, { headers: sides.baseline.headers! }), 200);
          const b = await expectStatus('auth-rest user GET', await fetch(`${base}${pathFor(id)}`, { headers: sides.fluxbase.headers! }), 200);
          if (a !== b || !a.startsWith('[{')) throw new Error(`auth-rest: bodies differ for id ${id}: anon ${a.slice(0, 200)}, user ${b.slice(0, 200)}`);
        }
        // The token is a user's of a live session, and the session check is in the REST path:
        // the same claims, validly signed, with an unknown session_id are refused (401).
        await expectStatus('auth-rest GET /api/v1/auth/user', await fetch(`${base}/api/v1/auth/user`, { headers: sides.fluxbase.headers! }), 200);
        await expectStatus('auth-rest GET with an unknown session_id', await fetch(`${base}${pathFor(1)}`, {
          headers: { apikey: anon, authorization: `Bearer ${withForeignSession(accessToken, options.jwtSecret)}` },
        }), 401);
      };
      const result = await compareSides('auth-rest', sides, ctx.options, ctx.log, preflight);
      return [{
        kind: 'compare', bench: 'auth-rest', what: `A2 GET /rest/v1/${AUTH_TABLE}?id=eq.<random>, user token vs anon key`,
        baseline: result.baseline, fluxbase: result.fluxbase, ratio: result.fluxbase.rps / result.baseline.rps, goal: 0.93,
      }];
    });
  },
};

const authSignin: Benchmark = {
  name: 'auth-signin',
  group: GROUP,
  description: `A3: POST ${SIGNIN_PATH} vs bare node:http + argon2 verify (UV_THREADPOOL_SIZE=${THREAD_POOL.UV_THREADPOOL_SIZE}, ${SIGNIN_CONNECTIONS} connections)`,
  needsDatabase: true,
  async run(ctx) {
    const options = { ...ctx.serve!, variant: 'auth-signin' };
    const anon = anonKey(options.jwtSecret);
    return withAuthSides('auth', options, THREAD_POOL, ['baseline', 'fluxbase'], async ({ baseline, fluxbase }) => {
      const { email } = await signUp(fluxbase!.url, anon, SIGNIN_PASSWORD);
      const headers = { apikey: anon, 'content-type': 'application/json' };
      const body = (password: string) => JSON.stringify({ email, password });
      const target = (url: string): Target => ({ url: `${url}${SIGNIN_PATH}`, method: 'POST', headers, body: body(SIGNIN_PASSWORD) });
      const sides: Record<SideName, Target> = { baseline: target(baseline!.url), fluxbase: target(fluxbase!.url) };
      const preflight = async () => {
        for (const side of ['baseline', 'fluxbase'] as const) {
          const url = sides[side].url;
          await expectStatus(`auth-signin ${side} (wrong password)`, await fetch(url, { method: 'POST', headers, body: body(`${SIGNIN_PASSWORD}x`) }), 401);
          const text = await expectStatus(`auth-signin ${side}`, await fetch(url, { method: 'POST', headers, body: body(SIGNIN_PASSWORD) }), 200);
          if (side === 'fluxbase') {
            const s = JSON.parse(text) as { access_token?: unknown; refresh_token?: unknown; token_type?: unknown; user?: { email?: unknown } };
            if (typeof s.access_token !== 'string' || typeof s.refresh_token !== 'string' || s.token_type !== 'bearer' || s.user?.email !== email) {
              throw new Error(`auth-signin: the answer is not a Session: ${text.slice(0, 300)}`);
            }
          }
        }
      };
      const result = await compareSides('auth-signin', sides, { ...ctx.options, connections: SIGNIN_CONNECTIONS }, ctx.log, preflight);
      return [{
        kind: 'compare', bench: 'auth-signin', what: `A3 POST ${SIGNIN_PATH}, ${SIGNIN_CONNECTIONS} connections`,
        baseline: result.baseline, fluxbase: result.fluxbase, ratio: result.fluxbase.rps / result.baseline.rps, goal: 0.85,
      }];
    });
  },
};

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const authEnum: Benchmark = {
  name: 'auth-enum',
  group: GROUP,
  description: 'A4: answer time of password reset, magic link and email code for an address with an account vs one without',
  needsDatabase: true,
  async run(ctx) {
    const options = { ...ctx.serve!, variant: 'auth-enum' };
    const anon = anonKey(options.jwtSecret);
    return withAuthSides('auth', options, {}, ['fluxbase'], async ({ fluxbase }) => {
      const base = fluxbase!.url;
      const { email: known } = await signUp(base, anon, SIGNIN_PASSWORD);
      const headers = { apikey: anon, 'content-type': 'application/json' };
      const rows: Row[] = [];
      for (const path of ['/api/v1/auth/password/reset', '/api/v1/auth/magiclink', '/api/v1/auth/otp/signin']) {
        const time = async (email: string) => {
          const started = performance.now();
          await expectStatus(`auth-enum ${path}`, await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify({ email }) }), 200);
          return performance.now() - started;
        };
        // Warm both paths, then alternate, so load and JIT state hit both kinds alike.
        for (let i = 0; i < 20; i++) await time(i % 2 ? known : `nobody-${i}@example.com`);
        const knownMs: number[] = [];
        const unknownMs: number[] = [];
        for (let i = 0; i < ENUM_SAMPLES; i++) {
          knownMs.push(await time(known));
          unknownMs.push(await time(`nobody-${randomBytes(4).toString('hex')}@example.com`));
        }
        const k = median(knownMs);
        const u = median(unknownMs);
        ctx.log(`auth-enum ${path}: median ${k.toFixed(2)} ms with an account, ${u.toFixed(2)} ms without`);
        rows.push({
          kind: 'measure', bench: 'auth-enum', metric: `A4 ${path}: median answer time, account vs none (difference)`,
          value: Math.abs(k - u) / Math.min(k, u) * 100, unit: '%', max: 10,
          detail: `${k.toFixed(2)} ms vs ${u.toFixed(2)} ms over ${ENUM_SAMPLES} + ${ENUM_SAMPLES} sequential requests`,
        });
      }
      return rows;
    });
  },
};

export const benchmarks: Benchmark[] = [authJwt, authRest, authSignin, authEnum];
