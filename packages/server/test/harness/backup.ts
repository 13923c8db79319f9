// Shared by the backup tests: running the real `fluxbase` CLI, and seeding / checking a
// running server with every kind of data a backup must carry (a user, a table with RLS,
// a storage object, a deployed function, a job).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { expect } from 'vitest';
import { cleanEnv, type ChildServer } from './child-server.ts';

const BIN = fileURLToPath(new URL('../../bin/fluxbase.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function fluxbaseCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...cleanEnv(), FLUXBASE_LOGGING_LEVEL: 'warn', ...env }, cwd: os.tmpdir(), maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

export interface Seeded {
  email: string;
  password: string;
  userId: string;
  object: Buffer;
  jobId: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes vary per call
async function api(server: ChildServer, method: string, path: string, body?: unknown, token = server.keys.service_role, raw?: Buffer): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, apikey: server.keys.anon };
  if (raw) headers['content-type'] = 'application/octet-stream';
  else if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.url}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return { status: res.status, json };
}

/** Seed every kind of data; `ownerUrl` is the owner connection of the server's database. */
export async function seed(server: ChildServer, ownerUrl: string): Promise<Seeded> {
  const email = `backup-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery staple';
  const signup = await api(server, 'POST', '/api/v1/auth/signup', { email, password }, server.keys.anon);
  expect(signup.status, JSON.stringify(signup.json)).toBe(201);
  const userId = signup.json.user.id as string;
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      create table public.notes (id int primary key, owner_id uuid not null, body text not null);
      alter table public.notes enable row level security;
      create policy notes_owner on public.notes for select to authenticated using (owner_id = auth.uid());
      grant select on public.notes to authenticated;`);
    await sql`insert into public.notes values (1, ${userId}, 'mine'), (2, gen_random_uuid(), 'someone else''s')`;
  } finally {
    await sql.end();
  }
  expect((await api(server, 'POST', '/api/v1/storage/buckets/docs', {})).status).toBe(201);
  const object = randomBytes(200_000);
  const up = await api(server, 'POST', '/api/v1/storage/docs/dir/blob.bin', undefined, server.keys.service_role, object);
  expect(up.status, JSON.stringify(up.json)).toBe(201);
  const fn = await api(server, 'POST', '/api/v1/functions', { name: 'hello', code: 'export default () => new Response("hi")' });
  expect(fn.status, JSON.stringify(fn.json)).toBe(201);
  const jobFn = await api(server, 'POST', '/api/v1/admin/jobs/functions', { name: 'later', code: 'export default async () => ({ ok: true })' });
  expect([200, 201], JSON.stringify(jobFn.json)).toContain(jobFn.status);
  const job = await api(server, 'POST', '/api/v1/jobs/submit', { job_name: 'later', payload: { n: 1 }, scheduled_at: new Date(Date.now() + 300 * 86_400_000).toISOString() });
  expect(job.status, JSON.stringify(job.json)).toBe(201);
  return { email, password, userId, object, jobId: job.json.id as string };
}

/** The restored server serves everything that was seeded, and RLS holds. */
export async function expectServed(server: ChildServer, s: Seeded): Promise<void> {
  const signin = await api(server, 'POST', '/api/v1/auth/signin', { email: s.email, password: s.password }, server.keys.anon);
  expect(signin.status, JSON.stringify(signin.json)).toBe(200);
  const token = signin.json.access_token as string;
  const notes = await api(server, 'GET', '/rest/v1/notes?select=id,body', undefined, token);
  expect(notes.status, JSON.stringify(notes.json)).toBe(200);
  expect(notes.json).toEqual([{ id: 1, body: 'mine' }]); // RLS: the other row stays hidden
  const anon = await api(server, 'GET', '/rest/v1/notes?select=id', undefined, server.keys.anon);
  expect(anon.status === 200 ? anon.json : []).toEqual([]);
  const res = await fetch(`${server.url}/api/v1/storage/docs/dir/blob.bin`, { headers: { authorization: `Bearer ${server.keys.service_role}` } });
  expect(res.status).toBe(200);
  expect(Buffer.from(await res.arrayBuffer()).equals(s.object)).toBe(true);
  const fn = await api(server, 'GET', '/api/v1/functions/hello');
  expect(fn.status).toBe(200);
  expect(fn.json).toMatchObject({ name: 'hello' });
  const job = await api(server, 'GET', `/api/v1/jobs/${s.jobId}`);
  expect(job.status).toBe(200);
  expect(job.json).toMatchObject({ id: s.jobId, job_name: 'later' });
}
