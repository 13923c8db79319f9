// Storage shares, multi-file uploads and resumable (chunked) uploads end to end over HTTP on
// the local backend (API.md §10): an owner shares read or write with another user and revokes
// it, nobody else may share (403) or see (404); a multi-file form stores every file it can and
// reports the refused ones; a resumable upload is checked at init, takes exact-size chunks in
// any order, refuses to complete with chunks missing (409), completes into an object equal to
// what was sent, can be aborted, is invisible to other users, and is swept once expired.
import { randomBytes, randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let sql: postgres.Sql;
const alice = randomUUID();
const bob = randomUUID();
const carol = randomUUID();
const MiB = 1024 * 1024;

const service = () => ({ authorization: `Bearer ${app.keys.service_role}` });
const as = (sub: string) => ({ authorization: `Bearer ${app.userToken(sub)}` });
const json = (sub: string) => ({ ...as(sub), 'content-type': 'application/json' });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes vary per call
async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: RequestInit['body'] } = {}): Promise<{ status: number; headers: Headers; json: any; bytes: Buffer }> {
  const res = await app.fetch(path, { method, headers: init.headers ?? service(), ...(init.body !== undefined ? { body: init.body } : {}) });
  const bytes = Buffer.from(await res.arrayBuffer());
  let parsed: unknown = null;
  if ((res.headers.get('content-type') ?? '').includes('json') && bytes.length > 0) parsed = JSON.parse(bytes.toString());
  return { status: res.status, headers: res.headers, json: parsed, bytes };
}

const S = '/api/v1/storage';
const upload = (bucket: string, name: string, body: string, sub: string, extra: Record<string, string> = {}) =>
  call('POST', `${S}/${bucket}/${name}`, { headers: { ...as(sub), 'content-type': 'text/plain', ...extra }, body });
const download = (bucket: string, name: string, sub: string) => call('GET', `${S}/${bucket}/${name}`, { headers: as(sub) });

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  for (const id of [alice, bob, carol]) await sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
  app = await startTestApp(db.url, { overrides: { storage: { max_file_size: '64MB' } } });
  for (const [name, body] of [['docs', {}], ['tiny', { max_file_size: 10 }], ['pictures', { allowed_mime_types: ['image/*'] }]] as const) {
    const r = await call('POST', `${S}/buckets/${name}`, { headers: { ...service(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

describe('shares', () => {
  it('a read share lets the other user download, not overwrite; the owner lists and revokes it', async () => {
    expect((await upload('docs', 'alice/report.txt', 'quarterly', alice)).status).toBe(201);
    expect((await download('docs', 'alice/report.txt', bob)).status).toBe(404);
    const shared = await call('POST', `${S}/docs/alice/report.txt/share`, { headers: json(alice), body: JSON.stringify({ user_id: bob, permission: 'read' }) });
    expect(shared.status, JSON.stringify(shared.json)).toBe(201);
    expect(shared.json).toMatchObject({ user_id: bob, permission: 'read' });
    expect(typeof shared.json.message).toBe('string');
    const got = await download('docs', 'alice/report.txt', bob);
    expect([got.status, got.bytes.toString()]).toEqual([200, 'quarterly']);
    expect((await upload('docs', 'alice/report.txt', 'bob was here', bob, { 'x-upsert': 'true' })).status).toBe(403);
    expect((await download('docs', 'alice/report.txt', alice)).bytes.toString()).toBe('quarterly');

    const list = await call('GET', `${S}/docs/alice/report.txt/shares`, { headers: as(alice) });
    expect(list.status).toBe(200);
    expect(list.json.shares).toEqual([expect.objectContaining({ user_id: bob, permission: 'read', granted_by: alice })]);
    const theirs = await call('GET', `${S}/docs/alice/report.txt/shares`, { headers: as(bob) });
    expect(theirs.json.shares.map((s: { user_id: string }) => s.user_id)).toEqual([bob]);
    expect((await call('GET', `${S}/docs/alice/report.txt/shares`, { headers: as(carol) })).status).toBe(404);

    expect((await call('DELETE', `${S}/docs/alice/report.txt/share/${bob}`, { headers: as(alice) })).status).toBe(204);
    expect((await download('docs', 'alice/report.txt', bob)).status).toBe(404);
    const again = await call('DELETE', `${S}/docs/alice/report.txt/share/${bob}`, { headers: as(alice) });
    expect([again.status, again.json.code]).toEqual([404, 'NOT_FOUND']);
    expect((await call('GET', `${S}/docs/alice/report.txt/shares`, { headers: as(alice) })).json.shares).toEqual([]);
  });

  it('a write share lets the other user overwrite; sharing again changes the permission', async () => {
    await upload('docs', 'alice/draft.txt', 'v1', alice);
    const share = (permission: string) => call('POST', `${S}/docs/alice/draft.txt/share`, { headers: json(alice), body: JSON.stringify({ user_id: bob, permission }) });
    expect((await share('read')).status).toBe(201);
    expect((await share('write')).status).toBe(201);
    const over = await upload('docs', 'alice/draft.txt', 'v2 by bob', bob, { 'x-upsert': 'true' });
    expect(over.status, JSON.stringify(over.json)).toBe(201);
    expect(over.json.owner_id).toBe(alice);
    expect((await download('docs', 'alice/draft.txt', alice)).bytes.toString()).toBe('v2 by bob');
    const list = await call('GET', `${S}/docs/alice/draft.txt/shares`, { headers: as(alice) });
    expect(list.json.shares).toEqual([expect.objectContaining({ user_id: bob, permission: 'write' })]);
  });

  it('only the owner (or the service role) shares: 403 for a user who sees it, 404 for one who does not; bodies are checked', async () => {
    await upload('docs', 'alice/plan.txt', 'plan', alice);
    const body = (user: string, permission = 'read') => JSON.stringify({ user_id: user, permission });
    expect((await call('POST', `${S}/docs/alice/plan.txt/share`, { headers: json(alice), body: body(bob) })).status).toBe(201);
    const byBob = await call('POST', `${S}/docs/alice/plan.txt/share`, { headers: json(bob), body: body(carol) });
    expect([byBob.status, byBob.json.code]).toEqual([403, 'ACCESS_DENIED']);
    expect((await call('DELETE', `${S}/docs/alice/plan.txt/share/${bob}`, { headers: as(bob) })).status).toBe(403);
    const byCarol = await call('POST', `${S}/docs/alice/plan.txt/share`, { headers: json(carol), body: body(carol) });
    expect(byCarol.status).toBe(404);
    expect((await download('docs', 'alice/plan.txt', carol)).status).toBe(404);
    const bySvc = await call('POST', `${S}/docs/alice/plan.txt/share`, { headers: { ...service(), 'content-type': 'application/json' }, body: body(carol) });
    expect(bySvc.status, JSON.stringify(bySvc.json)).toBe(201);
    expect((await download('docs', 'alice/plan.txt', carol)).status).toBe(200);
    expect((await call('POST', `${S}/docs/alice/nope.txt/share`, { headers: json(alice), body: body(bob) })).status).toBe(404);
    for (const bad of [body(bob, 'admin'), body('not-a-uuid'), body(alice), JSON.stringify({ user_id: bob })]) {
      const r = await call('POST', `${S}/docs/alice/plan.txt/share`, { headers: json(alice), body: bad });
      expect(r.status, bad).toBe(400);
    }
    // A path with `share` inside (not last) is an ordinary object.
    expect((await upload('docs', 'alice/share/readme.txt', 'inside', alice)).status).toBe(201);
    expect((await download('docs', 'alice/share/readme.txt', alice)).bytes.toString()).toBe('inside');
  });
});

describe('multi-file upload', () => {
  const form = (prefix: string | undefined, files: [string, string][]) => {
    const fd = new FormData();
    if (prefix !== undefined) fd.append('prefix', prefix);
    for (const [name, text] of files) fd.append('files', new Blob([text], { type: 'text/plain' }), name);
    return fd;
  };

  it('stores every file under the prefix and reports the refused one (409) without stopping the others', async () => {
    await upload('docs', 'batch/taken.txt', 'already here', alice);
    const r = await call('POST', `${S}/docs/multipart`, { headers: as(alice), body: form('batch', [['a.txt', 'A'], ['taken.txt', 'new'], ['b.txt', 'BB']]) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.count).toBe(2);
    expect(r.json.uploaded.map((u: { key: string }) => u.key)).toEqual(['batch/a.txt', 'batch/b.txt']);
    expect(r.json.uploaded[0]).toMatchObject({ bucket: 'docs', size: 1, owner_id: alice, full_path: 'docs/batch/a.txt' });
    expect(r.json.errors).toEqual([{ file: 'batch/taken.txt', error: { code: 'ALREADY_EXISTS', message: expect.any(String) } }]);
    expect((await download('docs', 'batch/b.txt', alice)).bytes.toString()).toBe('BB');
    expect((await download('docs', 'batch/taken.txt', alice)).bytes.toString()).toBe('already here');
  });

  it('reports a file over the bucket limit (413) and of a refused type (415); no prefix: the file names are the keys', async () => {
    const r = await call('POST', `${S}/tiny/multipart`, { headers: as(alice), body: form(undefined, [['big.txt', 'x'.repeat(50)], ['small.txt', 'fits']]) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.uploaded.map((u: { key: string }) => u.key)).toEqual(['small.txt']);
    expect(r.json.errors).toEqual([{ file: 'big.txt', error: { code: 'FILE_TOO_LARGE', message: expect.any(String) } }]);
    const pics = await call('POST', `${S}/pictures/multipart`, { headers: as(alice), body: form(undefined, [['notes.txt', 'text']]) });
    expect([pics.status, pics.json.count, pics.json.errors[0].error.code]).toEqual([201, 0, 'UNSUPPORTED_MEDIA_TYPE']);
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from storage.objects where bucket_id in ('tiny', 'pictures')`;
    expect(n!.n).toBe(1);
    expect((await call('POST', `${S}/nope/multipart`, { headers: as(alice), body: form(undefined, [['a.txt', 'A']]) })).status).toBe(404);
  });
});

describe('resumable uploads', () => {
  const init = (sub: string, body: Record<string, unknown>, bucket = 'docs') => call('POST', `${S}/${bucket}/chunked/init`, { headers: json(sub), body: JSON.stringify(body) });
  const chunk = (sub: string, id: string, index: number, bytes: Buffer) =>
    call('PUT', `${S}/docs/chunked/${id}/${index}`, { headers: { ...as(sub), 'content-type': 'application/octet-stream' }, body: bytes });
  const status = (sub: string, id: string) => call('GET', `${S}/docs/chunked/${id}/status`, { headers: as(sub) });
  const staged = async (id: string) => {
    const keys: string[] = [];
    for await (const o of app.server.app.storage.backend.list('__chunks')) if (o.key.startsWith(`${id}/`)) keys.push(o.key);
    return keys.sort();
  };

  it('init → chunks in any order → status → complete; the download equals the original; a missing chunk is 409, a wrong size 400', async () => {
    const data = randomBytes(11 * MiB + 123);
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    const s = await init(alice, { path: 'alice/big.bin', total_size: data.length, chunk_size: 5 * MiB, content_type: 'application/octet-stream', metadata: { kind: 'backup' } });
    expect(s.status, JSON.stringify(s.json)).toBe(201);
    expect(s.json).toMatchObject({ bucket: 'docs', path: 'alice/big.bin', total_size: data.length, chunk_size: 5 * MiB, total_chunks: 3, completed_chunks: [], status: 'active' });
    const id: string = s.json.session_id;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Date(s.json.expires_at).getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);

    const second = await chunk(alice, id, 1, parts[1]!);
    expect(second.status, JSON.stringify(second.json)).toBe(200);
    expect(second.json).toMatchObject({ chunk_index: 1, size: 5 * MiB, session: { received_chunks: [1] } });
    const st = await status(alice, id);
    expect(st.json).toMatchObject({ session_id: id, received_chunks: [1], missing: [0, 2], total_chunks: 3 });
    expect(st.json.expires_at).toBeTruthy();

    const early = await call('POST', `${S}/docs/chunked/${id}/complete`, { headers: as(alice) });
    expect([early.status, early.json.code, early.json.details.missing_chunks]).toEqual([409, 'CONFLICT', [0, 2]]);
    expect((await chunk(alice, id, 0, Buffer.from('short'))).status).toBe(400);
    expect((await chunk(alice, id, 2, Buffer.concat([parts[2]!, Buffer.from('x')]))).status).toBe(400);
    expect((await chunk(alice, id, 3, parts[2]!)).status).toBe(400);
    expect((await status(alice, id)).json.missing).toEqual([0, 2]);

    expect((await chunk(alice, id, 2, parts[2]!)).status).toBe(200);
    expect((await chunk(alice, id, 0, parts[0]!)).status).toBe(200);
    expect((await status(alice, id)).json).toMatchObject({ received_chunks: [0, 1, 2], missing: [] });
    expect(await staged(id)).toEqual([`${id}/0`, `${id}/1`, `${id}/2`]);

    const done = await call('POST', `${S}/docs/chunked/${id}/complete`, { headers: as(alice) });
    expect(done.status, JSON.stringify(done.json)).toBe(201);
    expect(done.json).toMatchObject({ key: 'alice/big.bin', bucket: 'docs', size: data.length, owner_id: alice, content_type: 'application/octet-stream' });
    const got = await download('docs', 'alice/big.bin', alice);
    expect(got.status).toBe(200);
    expect(got.bytes.equals(data)).toBe(true);
    const [row] = await sql<{ metadata: unknown }[]>`select metadata from storage.objects where bucket_id = 'docs' and name = 'alice/big.bin'`;
    expect(row!.metadata).toEqual({ kind: 'backup' });
    expect(await staged(id)).toEqual([]);
    expect((await status(alice, id)).status).toBe(404);
  }, 60_000);

  it('init refuses what an upload would refuse, before any byte: 409, 413, 415, 404; small chunk sizes are raised to 5 MiB', async () => {
    await upload('docs', 'alice/exists.txt', 'here', alice);
    const taken = await init(alice, { path: 'alice/exists.txt', total_size: 10 });
    expect([taken.status, taken.json.code]).toEqual([409, 'ALREADY_EXISTS']);
    expect((await init(alice, { path: 'alice/exists.txt', total_size: 10, upsert: true })).status).toBe(201);
    expect((await init(bob, { path: 'alice/exists.txt', total_size: 10, upsert: true })).status).toBe(403);
    expect((await init(alice, { path: 'big.txt', total_size: 100 }, 'tiny')).json.code).toBe('FILE_TOO_LARGE');
    expect((await init(alice, { path: 'a.txt', total_size: 10 }, 'pictures')).status).toBe(415);
    expect((await init(alice, { path: 'a.txt', total_size: 10 }, 'nope')).status).toBe(404);
    expect((await init(alice, { path: 'a/shares', total_size: 10 })).status).toBe(400);
    expect((await init(alice, { path: 'a.txt', total_size: 0 })).status).toBe(400);
    const small = await init(alice, { path: 'alice/small.bin', total_size: 12 * MiB, chunk_size: 1000 });
    expect(small.json).toMatchObject({ chunk_size: 5 * MiB, total_chunks: 3 });
  });

  it('another user\'s session is 404 for every call; abort removes the session and its chunks', async () => {
    const s = await init(alice, { path: 'alice/aborted.bin', total_size: 100 });
    const id: string = s.json.session_id;
    expect(s.json.total_chunks).toBe(1);
    expect((await chunk(alice, id, 0, randomBytes(100))).status).toBe(200);
    expect((await status(bob, id)).status).toBe(404);
    expect((await chunk(bob, id, 0, randomBytes(100))).status).toBe(404);
    expect((await call('POST', `${S}/docs/chunked/${id}/complete`, { headers: as(bob) })).status).toBe(404);
    expect((await call('DELETE', `${S}/docs/chunked/${id}`, { headers: as(bob) })).status).toBe(404);
    expect((await call('GET', `${S}/tiny/chunked/${id}/status`, { headers: as(alice) })).status).toBe(404);
    expect((await call('GET', `${S}/docs/chunked/not-an-id/status`, { headers: as(alice) })).status).toBe(400);
    expect(await staged(id)).toEqual([`${id}/0`]);
    expect((await call('DELETE', `${S}/docs/chunked/${id}`, { headers: as(alice) })).status).toBe(204);
    expect((await status(alice, id)).status).toBe(404);
    expect(await staged(id)).toEqual([]);
    expect((await download('docs', 'alice/aborted.bin', alice)).status).toBe(404);
  });

  it('an expired session is refused, shown as expired, and swept with its staged chunks', async () => {
    const s = await init(alice, { path: 'alice/late.bin', total_size: 200 });
    const id: string = s.json.session_id;
    expect((await chunk(alice, id, 0, randomBytes(200))).status).toBe(200);
    await sql`update storage.upload_sessions set expires_at = now() - interval '1 hour' where id = ${id}`;
    expect((await status(alice, id)).json.status).toBe('expired');
    expect((await chunk(alice, id, 0, randomBytes(200))).status).toBe(404);
    expect((await call('POST', `${S}/docs/chunked/${id}/complete`, { headers: as(alice) })).status).toBe(404);
    const swept = await app.server.app.storage.sweep(0);
    expect(swept.expiredSessions).toBeGreaterThanOrEqual(1);
    const [n] = await sql<{ n: number }[]>`select count(*)::int as n from storage.upload_sessions where id = ${id}`;
    expect(n!.n).toBe(0);
    expect(await staged(id)).toEqual([]);
  });
});
