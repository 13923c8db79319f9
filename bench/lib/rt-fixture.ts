// The realtime benchmarks' data (created once per run in the bench database, after the
// migrations): `rt_open` (no RLS: every subscriber may see every row) and `rt_rls` (RLS on,
// SELECT policy `user_id = auth.uid()` for authenticated), the same columns, small rows. The
// writer sets `seq` (its own counter: identifies the row in the frames) and `sent_at` (its
// clock, ms since the epoch with a fraction: the latency is taken against it on receipt).
// Both tables get the capture trigger through Fluxbase's admin API (realtime.ts), so both sides
// read the one notification stream the trigger of migrations/010_realtime.up.sql sends.
import postgres from 'postgres';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateUp } from '../../packages/server/src/db/index.ts';
import { signJwt } from '../../packages/server/src/http/index.ts';
import type { ServeOptions } from './types.ts';

export const OPEN_TABLE = 'rt_open';
export const RLS_TABLE = 'rt_rls';
/** Tables whose subscribers receive only their own rows (the baseline routes by `record.user_id`). */
export const ROUTE_BY_USER: ReadonlySet<string> = new Set([RLS_TABLE]);
/** What every row's `body` holds (~80 bytes): the frames are ~420 bytes. */
export const ROW_BODY = 'realtime benchmark row: a short message body of about eighty characters in length';

const columns = (table: string) => `
create table if not exists public.${table} (
  id bigint generated always as identity primary key,
  seq bigint not null,
  user_id uuid not null,
  sent_at double precision not null,
  body text not null
);`;

const FIXTURE_SQL = `
${columns(OPEN_TABLE)}
${columns(RLS_TABLE)}
alter table public.${RLS_TABLE} enable row level security;
drop policy if exists ${RLS_TABLE}_owner on public.${RLS_TABLE};
create policy ${RLS_TABLE}_owner on public.${RLS_TABLE} for select to authenticated using (user_id = auth.uid());
`;

let ready: Promise<void> | undefined;

/** Migrations and both tables, once per run (later calls share the first). */
export function rtFixture(serve: ServeOptions, log: (m: string) => void): Promise<void> {
  ready ??= (async () => {
    const sql = postgres(serve.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await migrateUp(sql, loadMigrations(DEFAULT_MIGRATIONS_DIR));
      await sql.unsafe(FIXTURE_SQL);
      log(`realtime fixture: public.${OPEN_TABLE} (no RLS), public.${RLS_TABLE} (RLS user_id = auth.uid())`);
    } finally {
      await sql.end({ timeout: 5 });
    }
  })();
  return ready;
}

/** User i of the RLS benchmarks (0-based), a fixed UUID. */
export function rtUser(i: number): string {
  return `00000000-0000-4000-8000-${(0xc0000 + i).toString(16).padStart(12, '0')}`;
}

const hour = () => Math.floor(Date.now() / 1000);

/** A user JWT as PostgREST accepts it (no session_id: no session-liveness check), valid 6 h. */
export function rtUserToken(secret: string, sub: string): string {
  const now = hour();
  return signJwt({ iss: 'fluxbase', aud: 'authenticated', sub, role: 'authenticated', iat: now, exp: now + 6 * 3600 }, secret);
}

export function rtAnonToken(secret: string): string {
  const now = hour();
  return signJwt({ iss: 'fluxbase', role: 'anon', iat: now, exp: now + 6 * 3600 }, secret);
}

export function rtServiceToken(secret: string): string {
  const now = hour();
  return signJwt({ iss: 'fluxbase', role: 'service_role', iat: now, exp: now + 6 * 3600 }, secret);
}
