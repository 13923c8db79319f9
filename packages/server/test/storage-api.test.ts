// Storage end to end over HTTP on the local backend (API.md §10; WIP of issue 15): buckets
// (admin), uploads in each form with check-before-bytes (409 without upsert leaves the stored
// bytes alone, 413 and 415 store nothing), downloads with their headers, ranges, 304 and HEAD,
// listing, move, copy, delete, signed URLs (and tampered ones), public buckets, transforms,
// and names that try to escape.
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import postgres from 'postgres';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let sql: postgres.Sql;
const alice = randomUUID();
const bob = randomUUID();

const service = () => ({ authorization: `Bearer ${app.keys.service_role}` });
const as = (sub: string) => ({ authorization: `Bearer ${app.userToken(sub)}` });
const anon = () => ({ authorization: `Bearer ${app.keys.anon}` });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes vary per call
async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: RequestInit["body"] } = {}): Promise<{ status: number; headers: Headers; json: any; bytes: Buffer }> {
  const stream = init.body instanceof ReadableStream;
  const res = await app.fetch(path, { method, headers: init.headers ?? service(), ...(init.body !== undefined ? { body: init.body } : {}), ...(stream ? { duplex: 'half' } : {}) } as RequestInit);
  const bytes = Buffer.from(await res.arrayBuffer());
  let json: unknown = null;
  if ((res.headers.get('content-type') ?? '').includes('json') && bytes.length > 0) json = JSON.parse(bytes.toString());
  return { status: res.status, headers: res.headers, json, bytes };
}

const put = (bucket: string, name: string, body: RequestInit["body"], headers: Record<string, string>) =>
  call('POST', `/api/v1/storage/${bucket}/${name}`, { headers, body });

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  for (const id of [alice, bob]) await sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
  app = await startTestApp(db.url, { overrides: { storage: { max_file_size: '1MB' } } });
  for (const [name, body] of [['docs', {}], ['public-images', { public: true }], ['tiny', { max_file_size: 10 }], ['pictures', { allowed_mime_types: ['image/*'] }]] as const) {
    const r = await call('POST', `/api/v1/storage/buckets/${name}`, { headers: { ...service(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

describe('buckets', () => {
  it('are managed by admins only; everyone signed in sees them; a non-empty bucket is not deleted', async () => {
    const list = await call('GET', '/api/v1/storage/buckets', { headers: as(alice) });
    expect(list.json.buckets.map((b: { name: string }) => b.name).sort()).toEqual(['docs', 'pictures', 'public-images', 'tiny']);
    expect((await call('POST', '/api/v1/storage/buckets/mine', { headers: as(alice) })).status).toBe(403);
    const dup = await call('POST', '/api/v1/storage/buckets/docs');
    expect(dup.status).toBe(409);
    expect(dup.json.code).toBe('ALREADY_EXISTS');
    expect((await call('GET', '/api/v1/storage/buckets/nope')).status).toBe(404);
    expect((await call('POST', '/api/v1/storage/buckets/Bad..Name')).status).toBe(400);
    await put('docs', 'keep.txt', 'x', { ...as(alice), 'content-type': 'text/plain' });
    const del = await call('DELETE', '/api/v1/storage/buckets/docs');
    expect(del.status).toBe(409);
    expect(del.json.code).toBe('BUCKET_NOT_EMPTY');
  });
});

describe('objects', () => {
  it('uploads raw bytes and downloads them with their headers, ranges, 304 and HEAD', async () => {
    const body = Buffer.from('0123456789abcdefghij');
    const up = await put('docs', 'alice/notes/a.txt', body, { ...as(alice), 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json).toMatchObject({ key: 'alice/notes/a.txt', path: 'alice/notes/a.txt', full_path: 'docs/alice/notes/a.txt', bucket: 'docs', size: 20, content_type: 'text/plain', owner_id: alice });
    const got = await call('GET', '/api/v1/storage/docs/alice/notes/a.txt', { headers: as(alice) });
    expect(got.status).toBe(200);
    expect(got.bytes.equals(body)).toBe(true);
    expect(got.headers.get('content-type')).toBe('text/plain');
    expect(got.headers.get('content-length')).toBe('20');
    expect(got.headers.get('accept-ranges')).toBe('bytes');
    expect(got.headers.get('cache-control')).toBe('max-age=60');
    expect(got.headers.get('content-disposition')).toContain('attachment; filename="a.txt"');
    expect(got.headers.get('etag')).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(got.headers.get('last-modified')).toBeTruthy();
    const ranges: [string, number, string, string][] = [
      ['bytes=0-4', 206, '01234', 'bytes 0-4/20'], ['bytes=15-', 206, 'fghij', 'bytes 15-19/20'], ['bytes=-3', 206, 'hij', 'bytes 17-19/20'],
    ];
    for (const [range, status, text, cr] of ranges) {
      const r = await call('GET', '/api/v1/storage/docs/alice/notes/a.txt', { headers: { ...as(alice), range } });
      expect([r.status, r.bytes.toString(), r.headers.get('content-range')], range).toEqual([status, text, cr]);
    }
    const past = await call('GET', '/api/v1/storage/docs/alice/notes/a.txt', { headers: { ...as(alice), range: 'bytes=20-' } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */20');
    const multi = await call('GET', '/api/v1/storage/docs/alice/notes/a.txt', { headers: { ...as(alice), range: 'bytes=0-1,4-5' } });
    expect(multi.status).toBe(200);
    const cached = await call('GET', '/api/v1/storage/docs/alice/notes/a.txt', { headers: { ...as(alice), 'if-none-match': got.headers.get('etag')! } });
    expect(cached.status).toBe(304);
    const head = await call('HEAD', '/api/v1/storage/docs/alice/notes/a.txt', { headers: as(alice) });
    expect([head.status, head.headers.get('content-length'), head.bytes.length]).toEqual([200, '20', 0]);
    const inline = await call('GET', '/api/v1/storage/docs/alice/notes/a.txt?inline=true', { headers: as(alice) });
    expect(inline.headers.get('content-disposition')).toMatch(/^inline/);
  });

  it('hides another user\'s object (404), and serves public buckets to anyone', async () => {
    await put('docs', 'secret.txt', 'mine', { ...as(alice), 'content-type': 'text/plain' });
    expect((await call('GET', '/api/v1/storage/docs/secret.txt', { headers: as(bob) })).status).toBe(404);
    expect((await call('GET', '/api/v1/storage/docs/secret.txt', { headers: anon() })).status).toBe(404);
    expect((await call('DELETE', '/api/v1/storage/docs/secret.txt', { headers: as(bob) })).status).toBe(404);
    await put('public-images', 'logo.txt', 'public!', { ...as(alice), 'content-type': 'text/plain' });
    const pub = await call('GET', '/api/v1/storage/public-images/logo.txt', { headers: anon() });
    expect([pub.status, pub.bytes.toString()]).toEqual([200, 'public!']);
    const anonWrite = await put('public-images', 'anon.txt', 'no', { ...anon(), 'content-type': 'text/plain' });
    expect(anonWrite.status).toBe(403);
  });

  it('refuses an overwrite without upsert (409) and leaves the stored bytes alone; upsert and PUT replace them', async () => {
    await put('docs', 'alice/v.txt', 'first', { ...as(alice), 'content-type': 'text/plain' });
    const again = await put('docs', 'alice/v.txt', 'second', { ...as(alice), 'content-type': 'text/plain' });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('ALREADY_EXISTS');
    expect((await call('GET', '/api/v1/storage/docs/alice/v.txt', { headers: as(alice) })).bytes.toString()).toBe('first');
    const theirs = await put('docs', 'alice/v.txt', 'bob was here', { ...as(bob), 'content-type': 'text/plain', 'x-upsert': 'true' });
    expect(theirs.status).toBe(403);
    expect((await call('GET', '/api/v1/storage/docs/alice/v.txt', { headers: as(alice) })).bytes.toString()).toBe('first');
    expect((await put('docs', 'alice/v.txt', 'second', { ...as(alice), 'content-type': 'text/plain', 'x-upsert': 'true' })).status).toBe(201);
    expect((await call('GET', '/api/v1/storage/docs/alice/v.txt', { headers: as(alice) })).bytes.toString()).toBe('second');
    const viaPut = await call('PUT', '/api/v1/storage/docs/alice/v.txt', { headers: { ...as(alice), 'content-type': 'text/plain' }, body: 'third' });
    expect(viaPut.status).toBe(200);
    expect((await call('GET', '/api/v1/storage/docs/alice/v.txt', { headers: as(alice) })).bytes.toString()).toBe('third');
  });

  it('refuses a file over the bucket limit (413) or of a type it does not accept (415), storing nothing', async () => {
    const big = await put('tiny', 'big.txt', 'x'.repeat(11), { ...as(alice), 'content-type': 'text/plain' });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('FILE_TOO_LARGE');
    const chunked = await call('POST', '/api/v1/storage/tiny/streamed.txt', {
      headers: { ...as(alice), 'content-type': 'text/plain' },
      body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('x'.repeat(50))); c.close(); } }),
    });
    expect(chunked.status).toBe(413);
    const mime = await put('pictures', 'a.txt', 'text', { ...as(alice), 'content-type': 'text/plain' });
    expect(mime.status).toBe(415);
    const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from storage.objects where bucket_id in ('tiny', 'pictures')`;
    expect(rows!.n).toBe(0);
  });

  it('takes multipart forms and the stream route with their descriptions', async () => {
    const fd = new FormData();
    fd.append('metadata', JSON.stringify({ kind: 'report' }));
    fd.append('cache_control', 'no-cache');
    fd.append('file', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), 'r.csv');
    const up = await call('POST', '/api/v1/storage/docs/alice/r.csv', { headers: as(alice), body: fd });
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json).toMatchObject({ content_type: 'text/csv', size: 8 });
    const listed = await call('GET', '/api/v1/storage/docs?prefix=alice/r', { headers: as(alice) });
    expect(listed.json.objects[0]).toMatchObject({ name: 'alice/r.csv', metadata: { kind: 'report' }, mime_type: 'text/csv' });
    const s = await call('POST', '/api/v1/storage/docs/stream/alice/s.json', {
      headers: { ...as(alice), 'x-storage-content-type': 'application/json', 'x-storage-metadata': '{"n":1}' }, body: '{"a":1}',
    });
    expect(s.status, JSON.stringify(s.json)).toBe(201);
    expect(s.json).toMatchObject({ path: 'alice/s.json', content_type: 'application/json' });
  });

  it('lists with prefix and delimiter, moves, copies and deletes', async () => {
    for (const n of ['alice/tree/1.txt', 'alice/tree/2.txt', 'alice/tree/sub/3.txt']) await put('docs', n, n, { ...as(alice), 'content-type': 'text/plain' });
    const l = await call('GET', '/api/v1/storage/docs?prefix=alice/tree/&delimiter=/', { headers: as(alice) });
    expect(l.json.objects.map((o: { name: string }) => o.name)).toEqual(['alice/tree/1.txt', 'alice/tree/2.txt']);
    expect(l.json.prefixes).toEqual(['alice/tree/sub/']);
    expect(l.json.files).toEqual(l.json.objects);
    const mv = await call('POST', '/api/v1/storage/docs/move', { headers: { ...as(alice), 'content-type': 'application/json' }, body: JSON.stringify({ from_path: 'alice/tree/1.txt', to_path: 'alice/tree/one.txt' }) });
    expect(mv.json).toEqual({ message: 'Successfully moved', path: 'alice/tree/one.txt' });
    expect((await call('GET', '/api/v1/storage/docs/alice/tree/one.txt', { headers: as(alice) })).bytes.toString()).toBe('alice/tree/1.txt');
    const cp = await call('POST', '/api/v1/storage/docs/copy', { headers: { ...as(alice), 'content-type': 'application/json' }, body: JSON.stringify({ from_path: 'alice/tree/2.txt', to_path: 'alice/tree/two.txt' }) });
    expect(cp.status).toBe(201);
    expect(cp.json.path).toBe('alice/tree/two.txt');
    expect((await call('DELETE', '/api/v1/storage/docs/alice/tree/2.txt', { headers: as(alice) })).status).toBe(204);
    expect((await call('GET', '/api/v1/storage/docs/alice/tree/two.txt', { headers: as(alice) })).bytes.toString()).toBe('alice/tree/2.txt');
    expect((await call('GET', '/api/v1/storage/docs/alice/tree/2.txt', { headers: as(alice) })).status).toBe(404);
  });

  it.each([
    ['a dot-dot segment', 'alice/../bob/x.txt'],
    ['an encoded dot-dot', 'alice/%2e%2e/x.txt'],
    ['a double-encoded dot-dot', 'alice/%252e%252e/x.txt'],
    ['a NUL', 'alice/a%00b.txt'],
    ['a control character', 'alice/a%0Ab.txt'],
    ['an empty segment', 'alice//x.txt'],
    // (POST …/share is the share route; a PUT reaches the upload route.)
    ['the reserved name share', 'alice/share', 'PUT'],
    ['an over-long name', `alice/${'n'.repeat(1100)}`],
  ] as [string, string, string?][])('refuses a name with %s (400) and stores nothing', async (_what, name, method = 'POST') => {
    const [before] = await sql<{ n: number }[]>`select count(*)::int as n from storage.objects`;
    // A raw request: fetch would normalise the path before sending it.
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(app.url);
      const req = http.request({ hostname, port, path: `/api/v1/storage/docs/${name}`, method, headers: { ...as(alice), 'content-type': 'text/plain' } }, (r) => {
        let b = '';
        r.on('data', (c) => (b += c));
        r.on('end', () => resolve({ status: r.statusCode!, body: b }));
      });
      req.on('error', reject);
      req.end('x');
    });
    expect(res.status, res.body).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'VALIDATION_FAILED', request_id: expect.any(String) });
    const [after] = await sql<{ n: number }[]>`select count(*)::int as n from storage.objects`;
    expect(after!.n).toBe(before!.n);
  });
});

describe('signed URLs', () => {
  it('signs what the caller may read, serves it by token, and refuses tampered, expired or misused tokens', async () => {
    await put('docs', 'alice/signed.txt', 'by token', { ...as(alice), 'content-type': 'text/plain' });
    const s = await call('POST', '/api/v1/storage/docs/sign/alice/signed.txt', { headers: { ...as(alice), 'content-type': 'application/json' }, body: JSON.stringify({ expires_in: 60 }) });
    expect(s.status, JSON.stringify(s.json)).toBe(200);
    expect(s.json).toMatchObject({ expires_in: 60, method: 'GET' });
    const url = new URL(s.json.signed_url);
    expect(url.pathname).toBe('/api/v1/storage/object');
    const got = await call('GET', `${url.pathname}${url.search}`, { headers: {} });
    expect([got.status, got.bytes.toString()]).toEqual([200, 'by token']);
    const token = url.searchParams.get('token')!;
    const tampered = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    const bad = await call('GET', `/api/v1/storage/object?token=${tampered}`, { headers: {} });
    expect(bad.status).toBe(401);
    expect(bad.json.code).toBe('INVALID_SIGNED_URL');
    expect((await call('PUT', `${url.pathname}${url.search}`, { headers: {}, body: 'x' })).status).toBe(405);
    expect((await call('POST', '/api/v1/storage/docs/sign/alice/signed.txt', { headers: { ...as(bob), 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
    expect((await call('POST', '/api/v1/storage/docs/sign/alice/signed.txt', { headers: { ...as(alice), 'content-type': 'application/json' }, body: JSON.stringify({ expires_in: 0 }) })).status).toBe(400);
  });

  it('lets a signed PUT upload the named object, owned by the user who signed it (who can then read and delete it)', async () => {
    const s = await call('POST', '/api/v1/storage/docs/sign/alice/upload-by-url.txt', { headers: { ...as(alice), 'content-type': 'application/json' }, body: JSON.stringify({ method: 'PUT' }) });
    expect(s.status, JSON.stringify(s.json)).toBe(200);
    const url = new URL(s.json.signed_url);
    const up = await call('PUT', `${url.pathname}${url.search}`, { headers: { 'content-type': 'text/plain' }, body: 'uploaded by url' });
    expect(up.status, JSON.stringify(up.json)).toBe(200);
    const [row] = await sql<{ size: string; owner_id: string | null }[]>`select size, owner_id from storage.objects where bucket_id = 'docs' and name = 'alice/upload-by-url.txt'`;
    expect(Number(row!.size)).toBe(15);
    expect(row!.owner_id).toBe(alice);
    expect((await call('GET', '/api/v1/storage/docs/alice/upload-by-url.txt', { headers: as(alice) })).status).toBe(200);
    expect((await call('DELETE', '/api/v1/storage/docs/alice/upload-by-url.txt', { headers: as(alice) })).status).toBeLessThan(300);
  });
});

describe('transforms', () => {
  it('resizes an image, rounding sizes, caching, and refuses non-images and bad parameters', async () => {
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#336699' } }).png().toBuffer();
    expect((await put('public-images', 'photo.png', png, { ...as(alice), 'content-type': 'image/png' })).status).toBe(201);
    const t = await call('GET', '/api/v1/storage/public-images/photo.png?width=120&format=webp', { headers: anon() });
    expect(t.status).toBe(200);
    expect(t.headers.get('x-image-transformed')).toBe('true');
    expect(t.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(t.bytes).metadata();
    expect([meta.width, meta.format]).toEqual([150, 'webp']);
    expect((await call('GET', '/api/v1/storage/public-images/logo.txt?width=100', { headers: anon() })).status).toBe(415);
    expect((await call('GET', '/api/v1/storage/public-images/photo.png?width=-5', { headers: anon() })).status).toBe(400);
    expect((await call('GET', '/api/v1/storage/public-images/photo.png?format=bmp', { headers: anon() })).status).toBe(400);
    const cfg = await call('GET', '/api/v1/storage/config/transforms', { headers: anon() });
    expect(cfg.json).toMatchObject({ enabled: true, default_quality: 80, max_width: 4096, max_height: 4096 });
  });
});
