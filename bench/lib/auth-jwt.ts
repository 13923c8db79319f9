// A1's in-process measurement: access tokens minted like real ones (the auth core's
// mintAccessToken), three verifiers of them (raw jose.jwtVerify, our verifyJwt, the
// PrincipalResolver path), and an ops/s loop that runs each the same way: a fixed number
// of verifications in flight, each awaited, cycling through the same distinct tokens.
import { randomUUID } from 'node:crypto';
import { jwtVerify } from 'jose';
import { mintAccessToken } from '../../packages/server/src/auth/core/access-token.ts';
import type { UserRow } from '../../packages/server/src/auth/index.ts';
import { PrincipalResolver, verifyJwt } from '../../packages/server/src/http/index.ts';
import type { LoadStats } from './types.ts';

/** The server's default auth.jwt_leeway (30 s), as principal resolution passes it. */
export const LEEWAY_SECONDS = 30;

export type Verifier = (token: string) => unknown;

function userRow(i: number): UserRow {
  const at = new Date();
  return {
    id: randomUUID(), email: `bench-${i}@example.com`, encrypted_password: null, email_verified: true, email_verified_at: at,
    role: 'authenticated', user_metadata: { name: `Bench user ${i}` }, app_metadata: { provider: 'email', providers: ['email'] },
    is_anonymous: false, new_email: null, banned_until: null, totp_enabled: false, last_sign_in_at: at, created_at: at, updated_at: at,
  };
}

/** `count` distinct access tokens with the claims of a password sign-in (one user and session each). */
export function mintTokens(secret: string, count: number): string[] {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, i) => mintAccessToken({
    user: userRow(i), sessionId: randomUUID(), aal: 'aal1', amr: [{ method: 'password', timestamp: now }],
    expiresInSeconds: 3600, secret, now,
  }).token);
}

/**
 * The three verifiers with one secret. jose gets a CryptoKey imported once (given the raw
 * bytes it imports the key on every call, ~5× slower: that would flatter us) and the same
 * checks we make: HS256 only, exp/nbf/iat with the same leeway, no audience (none is
 * configured by default).
 */
export async function verifiers(secret: string): Promise<{ jose: Verifier; ours: Verifier; resolver: Verifier }> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  // The options principal resolution gives verifyJwt (app.ts), default config.
  const options = { secret, leewaySeconds: LEEWAY_SECONDS, audience: undefined };
  const resolver = new PrincipalResolver({ jwtSecret: secret, leewaySeconds: LEEWAY_SECONDS });
  return {
    jose: (token) => jwtVerify(token, key, { algorithms: ['HS256'], clockTolerance: LEEWAY_SECONDS }),
    ours: (token) => {
      const result = verifyJwt(token, options);
      if (!result.ok) throw new Error(`verifyJwt refused a token: ${result.message}`);
      return result;
    },
    resolver: (token) => resolver.fromJwt(token),
  };
}

async function accepts(verify: Verifier, token: string): Promise<boolean> {
  try {
    await verify(token);
    return true;
  } catch {
    return false;
  }
}

/** Every verifier accepts every token, and refuses a tampered one and one signed with another secret. */
export async function checkVerifiers(all: Record<string, Verifier>, tokens: string[], otherSecret: string): Promise<void> {
  const [h, p, s] = tokens[0]!.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'service_role' })).toString('base64url')}.${s}`;
  const [foreign] = mintTokens(otherSecret, 1);
  for (const [name, verify] of Object.entries(all)) {
    for (const token of tokens) {
      if (!(await accepts(verify, token))) throw new Error(`auth-jwt: ${name} refused a valid token`);
    }
    if (await accepts(verify, tampered)) throw new Error(`auth-jwt: ${name} accepted a token with a tampered payload`);
    if (await accepts(verify, foreign!)) throw new Error(`auth-jwt: ${name} accepted a token signed with another secret`);
  }
}

/**
 * Run `verify` for `durationSec` with `inFlight` verifications outstanding, each awaited,
 * cycling through `tokens`. rps = verifications per second; p50/p99 are not measured (0).
 */
export async function opsPerSecond(verify: Verifier, tokens: string[], durationSec: number, inFlight: number): Promise<LoadStats> {
  let next = 0;
  let done = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + durationSec * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const token = tokens[next++ % tokens.length]!;
      try {
        await verify(token);
        done++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { rps: done / seconds, p50: 0, p99: 0, requests: done, non2xx: 0, errors };
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Like load.ts's compareSides, in process: a warm-up of each verifier, then rounds that
 * run them in turn (A,B,C,A,B,C,…); the median ops/s of each, errors summed.
 */
export async function compareVerifiers<K extends string>(
  all: Record<K, Verifier>, tokens: string[], opts: { durationSec: number; rounds: number; warmupSec: number; inFlight: number },
  log: (m: string) => void,
): Promise<Record<K, LoadStats>> {
  const names = Object.keys(all) as K[];
  if (opts.warmupSec > 0) {
    for (const name of names) {
      log(`auth-jwt: warm-up ${name} ${opts.warmupSec}s`);
      await opsPerSecond(all[name], tokens, opts.warmupSec, opts.inFlight);
    }
  }
  const runs = Object.fromEntries(names.map((n) => [n, [] as LoadStats[]])) as Record<K, LoadStats[]>;
  for (let round = 1; round <= opts.rounds; round++) {
    for (const name of names) {
      const r = await opsPerSecond(all[name], tokens, opts.durationSec, opts.inFlight);
      runs[name].push(r);
      log(`auth-jwt: round ${round}/${opts.rounds} ${name.padEnd(8)} ${Math.round(r.rps)} ops/s (${(1e6 / r.rps).toFixed(1)} µs/op)${r.errors > 0 ? `, ${r.errors} errors` : ''}`);
    }
  }
  return Object.fromEntries(names.map((n) => {
    const rs = runs[n];
    const stats: LoadStats = {
      rps: median(rs.map((r) => r.rps)), p50: 0, p99: 0,
      requests: rs.reduce((x, r) => x + r.requests, 0), non2xx: 0, errors: rs.reduce((x, r) => x + r.errors, 0),
    };
    return [n, stats];
  })) as Record<K, LoadStats>;
}
