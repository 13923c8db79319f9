// The auth benchmarks' data and users: a small table that anon and authenticated read alike
// (`auth_bench`, no RLS, created once per run after the migrations), the sign-in password
// both sides of A3 know, and a real user made through POST /api/v1/auth/signup.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateUp } from '../../packages/server/src/db/index.ts';
import { signJwt } from '../../packages/server/src/http/index.ts';
import type { ServeOptions } from './types.ts';

export const AUTH_TABLE = 'auth_bench';
export const AUTH_ROWS = 1000;
/** A3's password: the Fluxbase user's and the baseline's hash are made from it. */
export const SIGNIN_PASSWORD = 'bench-Signin-7319-quartz';

// The default privileges of 001_foundation give anon and authenticated `select`; no RLS,
// so both roles see the same rows and the same body comes back for either credential.
const FIXTURE_SQL = `
create table if not exists public.${AUTH_TABLE} (
  id int primary key,
  title text not null,
  body text not null
);
insert into public.${AUTH_TABLE}
  select g, 'note ' || g, repeat('lorem ipsum ', 1 + g % 8) from generate_series(1, ${AUTH_ROWS}) g
  on conflict (id) do nothing;
`;

let ready: Promise<void> | undefined;

/** Migrations and the table, once per run (later calls share the first). */
export function authFixture(serve: ServeOptions, log: (m: string) => void): Promise<void> {
  ready ??= (async () => {
    const sql = postgres(serve.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await migrateUp(sql, loadMigrations(DEFAULT_MIGRATIONS_DIR));
      await sql.unsafe(FIXTURE_SQL);
      // Not in the batch above: a multi-statement query is one transaction, VACUUM refuses that.
      await sql.unsafe(`vacuum (analyze) public.${AUTH_TABLE}`);
      log(`auth fixture: ${AUTH_ROWS} rows in public.${AUTH_TABLE}`);
    } finally {
      await sql.end({ timeout: 5 });
    }
  })();
  return ready;
}

/** An anon API key (the server's mintApiKeys claims): any such JWT signed with the secret is valid. */
export function anonKey(secret: string): string {
  const now = Math.floor(Date.now() / 1000);
  return signJwt({ iss: 'fluxbase', role: 'anon', iat: now, exp: now + 24 * 3600 }, secret);
}

export interface SignedUp {
  email: string;
  accessToken: string;
}

/** A new user through the real signup route: its access token is bound to a live session. */
export async function signUp(baseUrl: string, apikey: string, password: string): Promise<SignedUp> {
  const email = `bench-${randomBytes(6).toString('hex')}@example.com`;
  const res = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: 'POST', headers: { apikey, 'content-type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${text.slice(0, 300)}`);
  const session = JSON.parse(text) as { access_token?: unknown };
  if (typeof session.access_token !== 'string') throw new Error(`signup did not answer a session: ${text.slice(0, 300)}`);
  return { email, accessToken: session.access_token };
}

/** The same claims with another `session_id`, signed with the secret: must be refused (TOKEN_REVOKED). */
export function withForeignSession(token: string, secret: string): string {
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  return signJwt({ ...claims, session_id: crypto.randomUUID() }, secret);
}
