// A3's baseline: a bare node:http server that does only what password sign-in must do —
// parse the JSON body and run @node-rs/argon2 `verify` (on the libuv thread pool) against a
// hash made at start with the server's parameters (argon2id, m=19456, t=2, p=1).
import { hash, verify } from '@node-rs/argon2';
import { bareApp } from './bare.ts';
import { SIGNIN_PASSWORD } from './auth-fixture.ts';
import type { SideServer } from './types.ts';

export const SIGNIN_PATH = '/api/v1/auth/signin';
// algorithm 2 = Argon2id, as packages/server/src/auth/core/passwords.ts (const enum not importable).
const ARGON = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export async function signinBaseline(): Promise<SideServer> {
  const stored = await hash(SIGNIN_PASSWORD, ARGON);
  return bareApp(async (req) => {
    if (req.method !== 'POST' || req.url !== SIGNIN_PATH) return { status: 404, body: null };
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return { status: 400, body: '{"error":"invalid JSON"}' };
    }
    const { email, password } = (body ?? {}) as { email?: unknown; password?: unknown };
    if (typeof email !== 'string' || typeof password !== 'string') return { status: 400, body: '{"error":"email and password required"}' };
    const ok = await verify(stored, password).catch(() => false);
    return ok ? { status: 200, body: JSON.stringify({ email, signed_in: true }) } : { status: 401, body: '{"error":"invalid credentials"}' };
  });
}
