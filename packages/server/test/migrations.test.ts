// Migrations: applied once under the advisory lock even when instances start together,
// checksums refuse edited files, down migrations revert, and the foundation objects exist.
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrateDown, migrateUp, migrationsCurrent } from '../src/db/index.ts';
import { createTestDatabase, startTestApp, type TestDatabase } from './harness/index.ts';

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});
/** A copy of the real migrations plus 900_extra (creates public.extra). */
function migrationsWithExtra(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-mig-'));
  cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  writeFileSync(path.join(dir, '900_extra.up.sql'), 'create table public.extra (id int);');
  writeFileSync(path.join(dir, '900_extra.down.sql'), 'drop table public.extra;');
  return dir;
}

async function emptyDb() {
  const d = await createTestDatabase({ template: false });
  dbs.push(d);
  return d;
}

describe('migrations', () => {
  it('applies each migration once when two instances start at the same moment', async () => {
    const d = await emptyDb();
    const a = postgres(d.url, { max: 2, onnotice: () => {} });
    const b = postgres(d.url, { max: 2, onnotice: () => {} });
    try {
      const migrations = loadMigrations();
      const [ra, rb] = await Promise.all([migrateUp(a, migrations), migrateUp(b, migrations)]);
      expect(ra.applied.length + rb.applied.length).toBe(migrations.length);
      expect(Math.min(ra.applied.length, rb.applied.length)).toBe(0);
      const rows = await d.sql`select version, count(*)::int as n from fluxbase.schema_migrations group by version`;
      expect(rows.every((r) => r.n === 1)).toBe(true);
      expect(rows.length).toBe(migrations.length);
      expect(await migrationsCurrent(d.sql, migrations)).toBe(true);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('starts two real apps on one fresh database at once, migrating once', async () => {
    const d = await emptyDb();
    const [x, y] = await Promise.all([startTestApp(d.url), startTestApp(d.url)]);
    try {
      expect((await x.fetch('/ready')).status).toBe(200);
      expect((await y.fetch('/ready')).status).toBe(200);
      const { n } = (await d.sql<{ n: number }[]>`select count(*)::int as n from fluxbase.schema_migrations`)[0]!;
      expect(n).toBe(loadMigrations().length);
    } finally {
      await x.close();
      await y.close();
    }
  });

  it('refuses an applied migration whose file was edited, naming it', async () => {
    const d = await emptyDb();
    const dir = migrationsWithExtra();
    await migrateUp(d.sql, loadMigrations(dir));
    writeFileSync(path.join(dir, '900_extra.up.sql'), 'create table public.extra (id bigint);');
    await expect(migrateUp(d.sql, loadMigrations(dir))).rejects.toThrow(/900_extra was edited after it was applied.*new migration/);
  });

  it('reverts with down migrations and re-applies', async () => {
    const d = await emptyDb();
    const dir = migrationsWithExtra();
    const migrations = loadMigrations(dir);
    await migrateUp(d.sql, migrations);
    const reverted = await migrateDown(d.sql, migrations, 1);
    expect(reverted.map((m) => m.name)).toEqual(['extra']);
    const { exists } = (await d.sql<{ exists: boolean }[]>`select to_regclass('public.extra') is not null as exists`)[0]!;
    expect(exists).toBe(false);
    expect((await migrateUp(d.sql, migrations)).applied.map((m) => m.version)).toEqual([900]);
  });

  it('reverts the foundation migration cleanly and applies it again', async () => {
    const d = await emptyDb();
    const migrations = loadMigrations();
    await migrateUp(d.sql, migrations);
    await migrateDown(d.sql, migrations, migrations.length);
    const { n } = (await d.sql<{ n: number }[]>`select count(*)::int as n from pg_namespace where nspname in ('auth','storage','jobs')`)[0]!;
    expect(n).toBe(0);
    expect((await migrateUp(d.sql, migrations)).applied.length).toBe(migrations.length);
  });

  it('rejects misnamed migration files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-mig-'));
    writeFileSync(path.join(dir, '1-bad.sql'), 'select 1');
    expect(() => loadMigrations(dir)).toThrow(/does not match NNN_name/);
  });

  it('creates the schemas, roles and helpers of the foundation', async () => {
    const d = await createTestDatabase();
    dbs.push(d);
    const schemas = await d.sql`select nspname from pg_namespace where nspname = any(${['auth', 'storage', 'functions', 'jobs', 'realtime', 'webhooks', 'fluxbase']}) order by 1`;
    expect(schemas.map((s) => s.nspname)).toEqual(['auth', 'fluxbase', 'functions', 'jobs', 'realtime', 'storage', 'webhooks']);
    const roles = await d.sql`select rolname, rolbypassrls, rolinherit, rolcanlogin from pg_roles where rolname in ('anon','authenticated','service_role','fluxbase_authenticator') order by 1`;
    expect(roles).toEqual([
      { rolname: 'anon', rolbypassrls: false, rolinherit: false, rolcanlogin: false },
      { rolname: 'authenticated', rolbypassrls: false, rolinherit: false, rolcanlogin: false },
      { rolname: 'fluxbase_authenticator', rolbypassrls: false, rolinherit: false, rolcanlogin: true },
      { rolname: 'service_role', rolbypassrls: true, rolinherit: false, rolcanlogin: false },
    ]);
    const [helpers] = await d.sql`
      select set_config('request.jwt.claims', '{"sub":"11111111-1111-4111-8111-111111111111","role":"authenticated","user_role":"admin"}', true) is not null as ok,
             auth.uid()::text as uid, auth.role() as role, auth.current_user_role() as user_role, auth.is_admin() as admin`;
    expect(helpers).toMatchObject({ uid: '11111111-1111-4111-8111-111111111111', role: 'authenticated', user_role: 'admin', admin: true });
  });
});
