// The project's own migrations and SQL tools (docs/migrations.md): `fluxbase db new`,
// `db migrate`, `db status`, `db reset`, `db url` and `fluxbase sql` on a real database,
// migrations applied on server start, checksums, and the advisory lock that makes
// instances starting together apply each migration once.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { applyUserMigrations, loadUserMigrations } from '../src/db/index.ts';
import { cleanEnv } from './harness/child-server.ts';
import { createTestDatabase, startTestApp, type TestDatabase } from './harness/index.ts';

vi.setConfig({ testTimeout: 60_000 });

const BIN = fileURLToPath(new URL('../bin/fluxbase.js', import.meta.url));
let project: string;
let db: TestDatabase;

function fluxbase(args: string[], extraEnv: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const env = { ...cleanEnv(), FLUXBASE_DATABASE_URL: db.url, FLUXBASE_DATA_DIR: path.join(project, '.fluxbase'), FLUXBASE_LOGGING_LEVEL: 'warn', ...extraEnv };
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { env, cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

const migrationsDir = () => path.join(project, 'fluxbase', 'migrations');

beforeAll(async () => {
  project = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-project-'));
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
  rmSync(project, { recursive: true, force: true });
});

describe('fluxbase db new / migrate / status', () => {
  it('creates numbered migration files in ./fluxbase/migrations', () => {
    const first = fluxbase(['db', 'new', 'Create Todos']);
    expect(first).toMatchObject({ code: 0, stdout: `${path.join('fluxbase', 'migrations', '0001_create_todos.sql')}\n` });
    expect(fluxbase(['db', 'new', 'add-done']).stdout.trim()).toBe(path.join('fluxbase', 'migrations', '0002_add-done.sql'));
    expect(readdirSync(migrationsDir()).sort()).toEqual(['0001_create_todos.sql', '0002_add-done.sql']);
    expect(fluxbase(['db', 'new', '!!!'])).toMatchObject({ code: 1 });
  });

  it('applies pending migrations in order, once, and lists them', () => {
    writeFileSync(path.join(migrationsDir(), '0001_create_todos.sql'), 'create table public.todos (id int primary key, title text not null);\n');
    writeFileSync(path.join(migrationsDir(), '0002_add-done.sql'), 'alter table public.todos add column done boolean not null default false;\n');
    const pending = JSON.parse(fluxbase(['db', 'status', '--json']).stdout) as { version: number; state: string }[];
    expect(pending.map((m) => [m.version, m.state])).toEqual([[1, 'pending'], [2, 'pending']]);
    const up = fluxbase(['db', 'migrate']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^applied 0001_create_todos\.sql \(\d+ ms\)\napplied 0002_add-done\.sql \(\d+ ms\)\n2 migration\(s\) applied, 0 were already applied\n$/);
    expect(fluxbase(['db', 'migrate']).stdout).toContain('no pending migrations (2 applied');
    const status = fluxbase(['db', 'status']);
    expect(status.stdout).toMatch(/^version +name +state +applied at\n1 +create_todos +applied +\d{4}-/);
  });

  it('refuses an applied migration that was edited, naming the file and the fix', () => {
    const file = path.join(migrationsDir(), '0001_create_todos.sql');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}-- edited\n`);
    try {
      const r = fluxbase(['db', 'migrate']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('0001_create_todos.sql was edited after it was applied');
      expect(r.stderr).toContain('fluxbase db new');
      expect((JSON.parse(fluxbase(['db', 'status', '--json']).stdout) as { state: string }[])[0]!.state).toBe('changed');
    } finally {
      writeFileSync(file, original);
    }
  });

  it('rolls back a failing migration and says which file and line', async () => {
    const file = path.join(migrationsDir(), '0003_broken.sql');
    writeFileSync(file, 'create table public.half (id int);\nselec 1;\n');
    try {
      const r = fluxbase(['db', 'migrate']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/migration 0003_broken\.sql failed and was rolled back: syntax error at or near "selec" \(line 2\)/);
      const [row] = await db.sql<{ exists: boolean }[]>`select to_regclass('public.half') is not null as exists`;
      expect(row!.exists).toBe(false);
    } finally {
      rmSync(file);
    }
  });

  it('refuses a file that does not follow NNNN_name.sql', () => {
    const file = path.join(migrationsDir(), 'todos.sql');
    writeFileSync(file, 'select 1;');
    try {
      const r = fluxbase(['db', 'migrate']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('todos.sql: migration files are named NNNN_name.sql');
    } finally {
      rmSync(file);
    }
  });
});

describe('fluxbase sql', () => {
  it('runs statements as the owner and prints a table, or JSON', () => {
    const insert = fluxbase(['sql', "insert into public.todos (id, title) values (1, 'write docs'), (2, 'ship')"]);
    expect(insert).toMatchObject({ code: 0, stdout: 'INSERT 2\n' });
    const table = fluxbase(['sql', 'select id, title, done from public.todos order by id']);
    expect(table.stdout).toBe('id  title       done\n1   write docs  false\n2   ship        false\n(2 rows)\n');
    const json = fluxbase(['sql', '--json', 'select id, title from public.todos order by id']);
    expect(JSON.parse(json.stdout)).toEqual([{ id: 1, title: 'write docs' }, { id: 2, title: 'ship' }]);
  });

  it('runs a file of several statements, and reports errors with their line', () => {
    const file = path.join(project, 'batch.sql');
    writeFileSync(file, "update public.todos set done = true where id = 1;\nselect count(*)::int as done from public.todos where done;\n");
    expect(fluxbase(['sql', '-f', file]).stdout).toBe('UPDATE 1\n\ndone\n1\n(1 row)\n');
    writeFileSync(file, 'select 1;\nselect nope from public.todos;\n');
    const bad = fluxbase(['sql', '-f', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^fluxbase: ERROR 42703: column "nope" does not exist \(line 2\)/);
  });

  it('needs exactly one of a statement and a file', () => {
    expect(fluxbase(['sql']).code).toBe(1);
    expect(fluxbase(['sql', 'select 1', '-f', 'x.sql']).stderr).toContain('either as an argument');
    expect(fluxbase(['sql', '-f', path.join(project, 'missing.sql')]).stderr).toContain('cannot read');
  });
});

describe('fluxbase db reset and db url', () => {
  it('drops public, re-applies the migrations and the seed file', async () => {
    mkdirSync(path.join(project, 'fluxbase'), { recursive: true });
    writeFileSync(path.join(project, 'fluxbase', 'seed.sql'), "insert into public.todos (id, title) values (10, 'seeded');\n");
    const r = fluxbase(['db', 'reset']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dropped and re-created public');
    expect(r.stdout).toContain('seeded from fluxbase/seed.sql');
    const rows = await db.sql<{ id: number }[]>`select id from public.todos order by id`;
    expect(rows.map((x) => x.id)).toEqual([10]);
    // The request roles can still use what the owner creates in public.
    const [grant] = await db.sql<{ ok: boolean }[]>`select has_table_privilege('authenticated', 'public.todos', 'select') as ok`;
    expect(grant!.ok).toBe(true);
  });

  it('is refused in production', () => {
    const r = fluxbase(['db', 'reset'], { FLUXBASE_ENV: 'production' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused in production');
  });

  it('db url prints the configured database URL', () => {
    expect(fluxbase(['db', 'url']).stdout.trim()).toBe(db.url);
  });

  it('db url and sql refuse a folder with no embedded database, without creating one', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-nodb-'));
    try {
      const r = fluxbase(['sql', 'select 1'], { FLUXBASE_DATABASE_URL: '', FLUXBASE_DATA_DIR: path.join(empty, '.fluxbase') });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('there is no embedded database in');
      expect(r.stderr).toContain('--data-dir');
      expect(readdirSync(empty)).toEqual([]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('project migrations on server start', () => {
  it('applies them before serving, and the table is served at once', async () => {
    const fresh = await createTestDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-start-migrations-'));
    writeFileSync(path.join(dir, '0001_notes.sql'), 'create table public.started_notes (id int primary key, body text);\ninsert into public.started_notes values (1, \'hello\');\n');
    const app = await startTestApp(fresh.url, { overrides: { migrations: { dir } } });
    try {
      const res = await app.fetch('/rest/v1/started_notes', { headers: { apikey: app.keys.service_role } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual([{ id: 1, body: 'hello' }]);
    } finally {
      await app.close();
      await fresh.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two instances starting together apply each migration once (advisory lock)', async () => {
    const fresh = await createTestDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-lock-migrations-'));
    writeFileSync(path.join(dir, '0001_counter.sql'), 'create table public.runs (n int); insert into public.runs values (1); select pg_sleep(0.2);\n');
    const a = postgres(fresh.url, { max: 1, onnotice: () => {} });
    const b = postgres(fresh.url, { max: 1, onnotice: () => {} });
    try {
      const migrations = loadUserMigrations(dir);
      const results = await Promise.all([applyUserMigrations(a, migrations), applyUserMigrations(b, migrations)]);
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
      const [row] = await fresh.sql<{ n: number }[]>`select count(*)::int as n from public.runs`;
      expect(row!.n).toBe(1);
    } finally {
      await a.end();
      await b.end();
      await fresh.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
