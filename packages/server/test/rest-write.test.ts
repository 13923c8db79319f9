// REST writes on both mounts: inserts (single, bulk, columns=, missing=default), upserts,
// PATCH/DELETE with filters and the mass-write refusal, Prefer: return (seed 4.5) and
// the mount's response shapes, Location, tx=rollback, max-affected, If-Match, by-id
// routes, and RLS with two users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_A, USER_B, request, startRestApp, stopRestApp } from './harness/rest-fixture.ts';
import { startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  ({ db, app } = await startRestApp());
});
afterAll(() => stopRestApp(db, app));

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => request(app, method, path, body, headers);

describe('inserts', () => {
  it('/api/v1 answers 201 with the object for an object and an array for an array', async () => {
    const one = await send('POST', '/api/v1/tables/tags', { id: 10, label: 'ten' });
    expect(one.status).toBe(201);
    expect(one.json).toEqual({ id: 10, label: 'ten' });
    expect(one.res.headers.get('location')).toBe('/api/v1/tables/public/tags/10');
    expect(one.res.headers.get('x-affected-count')).toBe('1');
    const many = await send('POST', '/api/v1/tables/tags', [{ id: 11, label: 'eleven' }, { id: 12, label: 'twelve' }]);
    expect(many.status).toBe(201);
    expect(many.json).toEqual([{ id: 11, label: 'eleven' }, { id: 12, label: 'twelve' }]);
    expect(many.res.headers.get('content-range')).toBe('*/2');
  });

  it('/rest/v1 defaults to return=minimal and honours every return preference (seed 4.5)', async () => {
    const minimal = await send('POST', '/rest/v1/tags', { id: 20, label: 'twenty' });
    expect(minimal.status).toBe(201);
    expect(minimal.text).toBe('');
    expect(minimal.res.headers.get('location')).toBe('/rest/v1/tags?id=eq.20');
    const rep = await send('POST', '/rest/v1/tags?select=label', { id: 21, label: 'x' }, { Prefer: 'return=representation' });
    expect(rep.json).toEqual([{ label: 'x' }]);
    expect(rep.res.headers.get('preference-applied')).toBe('return=representation');
    const headersOnly = await send('POST', '/rest/v1/tags', { id: 22, label: 'y' }, { Prefer: 'return=headers-only' });
    expect(headersOnly.status).toBe(201);
    expect(headersOnly.text).toBe('');
    expect(headersOnly.res.headers.get('location')).toBe('/rest/v1/tags?id=eq.22');
    const flux = await send('POST', '/api/v1/tables/tags', [{ id: 23, label: 'z' }], { Prefer: 'return=headers-only' });
    expect(flux.json).toEqual({ affected: 1 });
    const fluxMin = await send('POST', '/api/v1/tables/tags', { id: 24, label: 'w' }, { Prefer: 'return=minimal' });
    expect(fluxMin.status).toBe(201);
    expect(fluxMin.text).toBe('');
    expect((await db.sql`select count(*)::int as n from public.tags where id between 20 and 24`)[0]!.n).toBe(5);
  });

  it('uses the union of keys for bulk inserts, columns= to restrict, and missing=default for DEFAULT', async () => {
    const r = await send('POST', '/rest/v1/posts?select=title,body,mood', [{ title: 'a', body: 'x' }, { title: 'b', mood: 'sad' }], { Prefer: 'return=representation' });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toEqual([{ title: 'a', body: 'x', mood: null }, { title: 'b', body: null, mood: 'sad' }]);
  });

  it('missing=default gives absent keys their DEFAULT', async () => {
    const r = await send('POST', '/rest/v1/posts?select=title,published,mood', [{ title: 'c', published: true }, { title: 'd', mood: 'sad' }], { Prefer: 'return=representation,missing=default' });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toEqual([{ title: 'c', published: true, mood: 'ok' }, { title: 'd', published: false, mood: 'sad' }]);
    const cols = await send('POST', '/rest/v1/tags?columns=id,label&select=id,label', [{ id: 30, label: 'l', extra: 'ignored' }], { Prefer: 'return=representation' });
    expect(cols.json).toEqual([{ id: 30, label: 'l' }]);
  });

  it('upserts with merge-duplicates and ignore-duplicates, on the key or on_conflict', async () => {
    const merge = await send('POST', '/rest/v1/tags?select=id,label', [{ id: 1, label: 'database' }, { id: 40, label: 'new' }], { Prefer: 'resolution=merge-duplicates,return=representation' });
    expect(merge.json).toEqual([{ id: 1, label: 'database' }, { id: 40, label: 'new' }]);
    const ignore = await send('POST', '/rest/v1/tags?select=id,label', [{ id: 1, label: 'nope' }, { id: 41, label: 'n2' }], { Prefer: 'resolution=ignore-duplicates,return=representation' });
    expect(ignore.json).toEqual([{ id: 41, label: 'n2' }]);
    const byLabel = await send('POST', '/rest/v1/tags?on_conflict=label&select=id,label', { id: 99, label: 'database' }, { Prefer: 'resolution=ignore-duplicates,return=representation' });
    expect(byLabel.json).toEqual([]);
    const flux = await send('POST', '/api/v1/tables/tags', { id: 1, label: 'nope' }, { Prefer: 'resolution=ignore-duplicates' });
    expect(flux.json).toBeNull();
    const bad = await send('POST', '/rest/v1/tags?on_conflict=id,label', { id: 1, label: 'x' }, { Prefer: 'resolution=merge-duplicates' });
    expect(bad.status).toBe(400);
  });

  it('PUT upserts one row identified by its primary key', async () => {
    const r = await send('PUT', '/rest/v1/tags?id=eq.50&select=id,label', { id: 50, label: 'put' }, { Prefer: 'return=representation' });
    expect(r.json).toEqual([{ id: 50, label: 'put' }]);
    const again = await send('PUT', '/rest/v1/tags?id=eq.50&select=label', { id: 50, label: 'put2' }, { Prefer: 'return=representation' });
    expect(again.json).toEqual([{ label: 'put2' }]);
    expect((await send('PUT', '/rest/v1/tags?id=eq.51', { id: 52, label: 'x' })).status).toBe(400);
    expect((await send('PUT', '/rest/v1/tags?label=eq.x', { id: 52, label: 'x' })).status).toBe(400);
  });

  it('refuses batches over api.max_batch_size, unknown columns and generated columns', async () => {
    const small = await startTestApp(db.url, { overrides: { api: { max_batch_size: 2 } } });
    try {
      const r = await small.fetch('/api/v1/tables/tags', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ id: 60, label: 'a' }, { id: 61, label: 'b' }, { id: 62, label: 'c' }]) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { code: string }).code).toBe('BATCH_TOO_LARGE');
    } finally {
      await small.close();
    }
    const unknown = await send('POST', '/api/v1/tables/tags', { id: 63, lable: 'typo' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('UNKNOWN_COLUMN');
    expect(unknown.json.hint).toMatch(/label/);
    const generated = await send('POST', '/api/v1/tables/posts', { title: 't', search: 'x' });
    expect(generated.status).toBe(400);
    expect((await db.sql`select count(*)::int as n from public.tags where id in (60, 61, 62, 63)`)[0]!.n).toBe(0);
  });
});

describe('updates and deletes', () => {
  it('PATCH and DELETE need a filter', async () => {
    for (const [method, body] of [['PATCH', { label: 'all' }], ['DELETE', undefined]] as const) {
      const flux = await send(method, '/api/v1/tables/tags', body);
      expect(flux.status).toBe(400);
      expect(flux.json.code).toBe('FILTER_REQUIRED');
      const pg = await send(method, '/rest/v1/tags', body);
      expect(pg.status).toBe(400);
    }
    expect((await db.sql`select count(*)::int as n from public.tags where label = 'all'`)[0]!.n).toBe(0);
  });

  it('PATCH answers per mount', async () => {
    const flux = await send('PATCH', '/api/v1/tables/tags?id=eq.2', { label: 'www' });
    expect(flux.status).toBe(200);
    expect(flux.json).toEqual([{ id: 2, label: 'www' }]);
    const pg = await send('PATCH', '/rest/v1/tags?id=eq.2', { label: 'web' });
    expect(pg.status).toBe(204);
    expect(pg.res.headers.get('content-range')).toBe('*/1');
    const rep = await send('PATCH', '/rest/v1/tags?id=eq.2&select=label', { label: 'web2' }, { Prefer: 'return=representation' });
    expect(rep.json).toEqual([{ label: 'web2' }]);
    const empty = await send('PATCH', '/api/v1/tables/tags?id=eq.2', {});
    expect(empty.status).toBe(400);
  });

  it('DELETE answers {affected, records} on /api/v1 and 204 on /rest/v1', async () => {
    await send('POST', '/rest/v1/tags', [{ id: 70, label: 'd1' }, { id: 71, label: 'd2' }, { id: 72, label: 'd3' }]);
    const flux = await send('DELETE', '/api/v1/tables/tags?id=in.(70,71)');
    expect(flux.json).toEqual({ affected: 2, records: [{ id: 70, label: 'd1' }, { id: 71, label: 'd2' }] });
    const pg = await send('DELETE', '/rest/v1/tags?id=eq.72');
    expect(pg.status).toBe(204);
    expect(pg.res.headers.get('x-affected-count')).toBe('1');
  });

  it('Prefer: tx=rollback runs the write and rolls it back', async () => {
    const r = await send('PATCH', '/rest/v1/tags?id=eq.3&select=label', { label: 'temporary' }, { Prefer: 'return=representation, tx=rollback' });
    expect(r.json).toEqual([{ label: 'temporary' }]);
    expect((await db.sql`select label from public.tags where id = 3`)[0]!.label).toBe('misc');
  });

  it('max-affected with handling=strict refuses and changes nothing', async () => {
    const r = await send('PATCH', '/rest/v1/posts?id=lt.10', { body: 'max-affected' }, { Prefer: 'handling=strict, max-affected=1' });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('PGRST124');
    expect((await db.sql`select count(*)::int as n from public.posts where body = 'max-affected'`)[0]!.n).toBe(0);
    const unknown = await send('PATCH', '/rest/v1/tags?id=eq.3', { label: 'x' }, { Prefer: 'handling=strict, bogus=1' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.code).toBe('PGRST122');
  });

  it('If-Match compares the ETag of the current rows (412 on mismatch)', async () => {
    const current = await app.fetch('/api/v1/tables/tags?id=eq.3');
    const tag = current.headers.get('etag')!;
    const stale = await send('PATCH', '/api/v1/tables/tags?id=eq.3', { label: 'changed' }, { 'If-Match': 'W/"00000000000000000000000000000000"' });
    expect(stale.status).toBe(412);
    expect(stale.json.code).toBe('PRECONDITION_FAILED');
    expect((await db.sql`select label from public.tags where id = 3`)[0]!.label).toBe('misc');
    const ok = await send('PATCH', '/api/v1/tables/tags?id=eq.3', { label: 'changed' }, { 'If-Match': tag });
    expect(ok.status).toBe(200);
    expect((await send('DELETE', '/api/v1/tables/tags?id=eq.999', undefined, { 'If-Match': '*' })).status).toBe(412);
  });

  it('by-id routes update, replace and delete one row, 404 when absent', async () => {
    await send('POST', '/rest/v1/tags', { id: 80, label: 'byid' });
    expect((await send('PATCH', '/api/v1/tables/public/tags/80', { label: 'b2' })).json).toEqual({ id: 80, label: 'b2' });
    expect((await send('PUT', '/api/v1/tables/public/tags/80', { label: 'b3' })).json).toEqual({ id: 80, label: 'b3' });
    expect((await send('DELETE', '/api/v1/tables/public/tags/80')).status).toBe(204);
    const miss = await send('PATCH', '/api/v1/tables/public/tags/80', { label: 'x' });
    expect(miss.status).toBe(404);
    expect((await send('DELETE', '/api/v1/tables/public/tags/80')).status).toBe(404);
  });

  it('a by-id write also obeys the query\'s filters (ANDed with the key), and If-Match is checked against that row', async () => {
    await send('POST', '/rest/v1/tags', { id: 81, label: 'keep' });
    const skipped = await send('PATCH', '/api/v1/tables/public/tags/81?label=eq.other', { label: 'lost' });
    expect(skipped.status).toBe(404);
    expect((await db.sql`select label from public.tags where id = 81`)[0]!.label).toBe('keep');
    const tag = (await request(app, 'GET', '/api/v1/tables/tags?id=eq.81')).res.headers.get('etag')!;
    expect((await send('PATCH', '/api/v1/tables/public/tags/81', { label: 'x' }, { 'If-Match': 'W/"00000000000000000000000000000000"' })).status).toBe(412);
    expect((await send('PATCH', '/api/v1/tables/public/tags/81?label=eq.keep', { label: 'changed81' }, { 'If-Match': tag })).json).toEqual({ id: 81, label: 'changed81' });
    expect((await send('DELETE', '/api/v1/tables/public/tags/81')).status).toBe(204);
  });

  it('writes to a non-updatable view are refused with 405', async () => {
    const r = await send('POST', '/rest/v1/post_stats', { author_id: 1, n: 1 });
    expect(r.status).toBe(405);
    const ok = await send('PATCH', '/rest/v1/post_titles?id=eq.4&select=title', { title: 'Zebra!' }, { Prefer: 'return=representation' });
    expect(ok.json).toEqual([{ title: 'Zebra!' }]);
  });
});

describe('row level security with two users', () => {
  it('each user sees and changes only their own rows; anon sees none', async () => {
    const a = { Authorization: `Bearer ${app.userToken(USER_A)}` };
    const b = { Authorization: `Bearer ${app.userToken(USER_B)}` };
    expect((await send('POST', '/rest/v1/notes', { body: 'a1' }, a)).status).toBe(201);
    expect((await send('POST', '/rest/v1/notes', { body: 'b1' }, b)).status).toBe(201);
    const spoof = await send('POST', '/rest/v1/notes', { body: 'x', owner: USER_B }, a);
    expect(spoof.status).toBe(403);
    expect(spoof.json.code).toBe('42501');
    const flux = await send('POST', '/api/v1/tables/notes', { body: 'x', owner: USER_B }, a);
    expect(flux.json.code).toBe('RLS_POLICY_VIOLATION');
    const seenA = await send('GET', '/rest/v1/notes?select=body', undefined, a);
    expect(seenA.json).toEqual([{ body: 'a1' }]);
    const seenB = await send('GET', '/api/v1/tables/notes?select=body', undefined, b);
    expect(seenB.json).toEqual([{ body: 'b1' }]);
    expect((await send('GET', '/rest/v1/notes')).json).toEqual([]);
    const upd = await send('PATCH', '/rest/v1/notes?body=eq.b1', { score: 5 }, a);
    expect(upd.res.headers.get('content-range')).toBe('*/0');
    const service = await send('GET', '/rest/v1/notes?select=body&order=body', undefined, { Authorization: `Bearer ${app.keys.service_role}` });
    expect(service.json).toEqual([{ body: 'a1' }, { body: 'b1' }]);
  });
});
