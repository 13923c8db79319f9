// `fluxbase realtime enable|disable|list` (docs/realtime.md "Enabling a table") on a real
// database as its owner: the trigger each command leaves, what it prints, and one clear
// line (exit 1) for each kind of bad input; a missing argument is a usage error (exit 2).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanEnv } from './harness/child-server.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

vi.setConfig({ testTimeout: 60_000 });

const BIN = fileURLToPath(new URL('../bin/fluxbase.js', import.meta.url));
let project: string;
let db: TestDatabase;

function fluxbase(args: string[]): { code: number; stdout: string; stderr: string } {
  const env = { ...cleanEnv(), FLUXBASE_DATABASE_URL: db.url, FLUXBASE_DATA_DIR: path.join(project, '.fluxbase'), FLUXBASE_LOGGING_LEVEL: 'warn' };
  try {
    const stdout = execFileSync(process.execPath, [BIN, ...args], { env, cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

async function triggerOf(table: string): Promise<string | undefined> {
  const [row] = await db.sql<{ def: string }[]>`
    select pg_get_triggerdef(t.oid) as def from pg_trigger t where t.tgrelid = ${table}::regclass and t.tgname = 'fluxbase_realtime_capture'`;
  return row?.def;
}

beforeAll(async () => {
  project = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-project-'));
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.posts (id serial primary key, title text, secret text);
    create view public.posts_view as select id, title from public.posts;
    create schema crm;
    create table crm.leads (id int primary key, email text, notes text);`);
});

afterAll(async () => {
  await db?.drop();
  rmSync(project, { recursive: true, force: true });
});

describe('fluxbase realtime', () => {
  it('enables a table with every event by default', async () => {
    expect(fluxbase(['realtime', 'enable', 'posts'])).toEqual({ code: 0, stdout: 'realtime enabled for public.posts: INSERT, UPDATE, DELETE\n', stderr: '' });
    expect(await triggerOf('public.posts')).toContain('AFTER INSERT OR DELETE OR UPDATE ON public.posts');
  });

  it('takes schema.table or --schema, events in any case, and excluded columns', async () => {
    expect(fluxbase(['realtime', 'enable', 'crm.leads', '--events', 'update, insert', '--exclude', 'notes,email']).stdout)
      .toBe('realtime enabled for crm.leads: INSERT, UPDATE; excluded columns: notes, email\n');
    expect(await triggerOf('crm.leads')).toContain('AFTER INSERT OR UPDATE ON crm.leads');
    expect(fluxbase(['realtime', 'enable', 'leads', '--schema', 'crm', '--events', 'DELETE']).stdout).toBe('realtime enabled for crm.leads: DELETE\n');
    expect(await triggerOf('crm.leads')).toContain('AFTER DELETE ON crm.leads');
  });

  it('lists the enabled tables as a table or JSON', () => {
    const text = fluxbase(['realtime', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^table +events +excluded columns +updated at\ncrm\.leads +DELETE +\d{4}-\d\d-\d\dT[\d:.]+Z\npublic\.posts +INSERT,UPDATE,DELETE +\d{4}-/);
    const json = JSON.parse(fluxbase(['realtime', 'list', '--json']).stdout) as { schema: string; table: string; events: string[]; excluded_columns: string[] }[];
    expect(json.map((t) => [t.schema, t.table, t.events, t.excluded_columns])).toEqual([
      ['crm', 'leads', ['DELETE'], []],
      ['public', 'posts', ['INSERT', 'UPDATE', 'DELETE'], []],
    ]);
  });

  it('disables a table, and says so when it was not enabled', async () => {
    expect(fluxbase(['realtime', 'disable', 'crm.leads'])).toMatchObject({ code: 0, stdout: 'realtime disabled for crm.leads\n' });
    expect(await triggerOf('crm.leads')).toBeUndefined();
    expect(fluxbase(['realtime', 'disable', 'leads', '--schema', 'crm'])).toMatchObject({ code: 0, stdout: 'realtime was not enabled for crm.leads; nothing to do\n' });
    expect(JSON.parse(fluxbase(['realtime', 'list', '--json']).stdout)).toHaveLength(1);
  });

  it('lists entries of dropped tables with --all only', async () => {
    await db.sql.unsafe('create table public.gone (id int)');
    expect(fluxbase(['realtime', 'enable', 'gone']).code).toBe(0);
    await db.sql.unsafe('drop table public.gone');
    expect(fluxbase(['realtime', 'list']).stdout).not.toContain('public.gone');
    expect(fluxbase(['realtime', 'list', '--all']).stdout).toMatch(/\npublic\.gone +INSERT,UPDATE,DELETE +false +\d{4}-/);
    expect(fluxbase(['realtime', 'disable', 'gone']).code).toBe(0);
  });

  it.each([
    ['an unknown table', ['enable', 'nope'], 'Table "public.nope" not found'],
    ['an unknown schema', ['enable', 'nowhere.posts'], 'Table "nowhere.posts" not found'],
    ['a Fluxbase schema', ['enable', 'auth.users'], 'Schema "auth" is internal to Fluxbase'],
    ['a PostgreSQL schema', ['enable', 'pg_class', '--schema', 'pg_catalog'], 'Schema "pg_catalog" is a PostgreSQL system schema'],
    ['a view', ['enable', 'posts_view'], '"public.posts_view" is a view; realtime captures changes of tables only'],
    ['an unknown event', ['enable', 'posts', '--events', 'INSERT,TRUNCATE'], 'unknown event "TRUNCATE" in --events: use INSERT, UPDATE and/or DELETE'],
    ['an empty event list', ['enable', 'posts', '--events', ''], '--events takes a comma-separated list of events'],
    ['a trailing comma', ['enable', 'posts', '--exclude', 'secret,'], '--exclude takes a comma-separated list of column names'],
    ['an unknown excluded column', ['enable', 'posts', '--exclude', 'secrte'], 'Column "secrte" in exclude does not exist in "public.posts" (Perhaps you meant "secret")'],
    ['disabling an unknown table', ['disable', 'nope'], 'Table "public.nope" not found'],
  ])('refuses %s with one line naming the problem (exit 1)', async (_name, args, message) => {
    const before = await triggerOf('public.posts');
    const r = fluxbase(['realtime', ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`fluxbase: ${message}`)).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await triggerOf('public.posts')).toBe(before);
  });

  it('answers a missing table argument with usage (exit 2)', () => {
    const r = fluxbase(['realtime', 'enable']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("missing required argument 'table'");
  });
});
