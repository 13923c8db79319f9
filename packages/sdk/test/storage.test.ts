// `client.storage` against the real server (API.md §10), once on the local backend and once
// on S3 (s3rver on loopback): bucket admin, upload/download round trips for each body kind,
// ranges, upsert conflicts as error values, listing, move/copy/remove (with the failures
// reported), signed download and upload URLs, public URLs read anonymously, an image
// transform, and another user's object as NOT_FOUND.
import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { startS3, type TestS3 } from '../../server/test/harness/s3.ts';
import { createClient, type FluxbaseClient } from '../src/index.ts';

/** A free loopback port, so that `server.public_url` (the signed URLs' origin) can name it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const bytesOf = async (blob: Blob | null): Promise<Buffer> => Buffer.from(await blob!.arrayBuffer());

const streamOf = (chunks: Uint8Array[]): ReadableStream<Uint8Array> => new ReadableStream({
  start(controller) {
    for (const c of chunks) controller.enqueue(c);
    controller.close();
  },
});

describe.each(['local', 's3'] as const)('client.storage on the %s backend', (backend) => {
  let db: TestDatabase;
  let app: TestApp;
  let s3: TestS3 | undefined;
  let admin: FluxbaseClient;
  let alice: FluxbaseClient;
  let bob: FluxbaseClient;
  let anon: FluxbaseClient;
  let publicUrl: string;
  const aliceId = randomUUID();
  const bobId = randomUUID();
  const userClient = (sub: string) => createClient(app.url, app.keys.anon, { headers: { authorization: `Bearer ${app.userToken(sub)}` } });

  beforeAll(async () => {
    db = await createTestDatabase();
    for (const id of [aliceId, bobId]) await db.sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
    const port = await freePort();
    publicUrl = `http://127.0.0.1:${port}`;
    const storage: Record<string, unknown> = { max_file_size: '4MB' };
    if (backend === 's3') {
      s3 = await startS3();
      storage.backend = 's3';
      storage.s3 = { endpoint: s3.endpoint, region: s3.region, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, bucket: s3.bucket, force_path_style: true };
    }
    app = await startTestApp(db.url, { overrides: { server: { port, public_url: publicUrl }, storage } });
    admin = createClient(app.url, app.keys.service_role);
    anon = createClient(app.url, app.keys.anon);
    alice = userClient(aliceId);
    bob = userClient(bobId);
    for (const [name, options] of [['files', {}], ['pics', { public: true, allowedMimeTypes: ['image/*', 'text/plain'] }]] as const) {
      const { error } = await admin.storage.createBucket(name, options);
      if (error) throw new Error(`creating bucket ${name}: ${error.status} ${error.code} ${error.message}`);
    }
  });
  afterAll(async () => {
    await app?.close();
    await s3?.close();
    await db?.drop();
  });

  it('manages buckets with an admin credential', async () => {
    const created = await admin.storage.createBucket('limited', { allowedMimeTypes: ['text/*'], fileSizeLimit: 1000 });
    expect(created.error).toBeNull();
    expect(created.data).toMatchObject({ id: 'limited', name: 'limited', public: false, allowed_mime_types: ['text/*'], max_file_size: 1000 });
    expect(created.data).not.toHaveProperty('message');
    expect((await admin.storage.createBucket('limited')).error).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
    expect((await alice.storage.createBucket('mine')).error).toMatchObject({ status: 403, code: 'ADMIN_REQUIRED' });

    expect((await alice.storage.getBucket('limited')).data).toMatchObject({ name: 'limited', max_file_size: 1000 });
    const listed = await alice.storage.listBuckets();
    expect(listed.data!.map((b) => b.name).sort()).toEqual(['files', 'limited', 'pics']);
    // Anonymously only public buckets are visible.
    expect((await anon.storage.listBuckets()).data!.map((b) => b.name)).toEqual(['pics']);

    const updated = await admin.storage.updateBucket('limited', { public: true, fileSizeLimit: null });
    expect(updated.data).toMatchObject({ public: true, max_file_size: null, allowed_mime_types: ['text/*'] });
    expect((await alice.storage.from('limited').upload(`${aliceId}/x.bin`, new Uint8Array([1]), { contentType: 'application/octet-stream' })).error)
      .toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });

    expect((await admin.storage.deleteBucket('limited')).error).toBeNull();
    expect((await admin.storage.getBucket('limited')).error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await admin.storage.deleteBucket('limited')).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('uploads each body kind and downloads the same bytes, whole and by range', async () => {
    const files = alice.storage.from('files');
    const big = randomBytes(512 * 1024);
    const up = await files.upload(`${aliceId}/big.bin`, big, { contentType: 'application/x-test', cacheControl: 'max-age=5', metadata: { kind: 'random', n: 1 } });
    expect(up.error).toBeNull();
    expect(up.data).toMatchObject({ key: `${aliceId}/big.bin`, full_path: `files/${aliceId}/big.bin`, bucket: 'files', size: big.length, content_type: 'application/x-test', owner_id: aliceId });
    const down = await files.download(`${aliceId}/big.bin`);
    expect(down.error).toBeNull();
    expect(down.data!.type).toBe('application/x-test');
    expect((await bytesOf(down.data)).equals(big)).toBe(true);

    const part = await files.download(`${aliceId}/big.bin`, { range: { start: 10, end: 19 } });
    expect((await bytesOf(part.data)).equals(big.subarray(10, 20))).toBe(true);
    const tail = await files.download(`${aliceId}/big.bin`, { range: { start: big.length - 5 } });
    expect((await bytesOf(tail.data)).equals(big.subarray(big.length - 5))).toBe(true);
    expect((await files.download(`${aliceId}/big.bin`, { range: { start: big.length + 10 } })).error).toMatchObject({ status: 416, code: 'RANGE_NOT_SATISFIABLE' });

    // A string (text/plain), a typed Blob, an ArrayBuffer (type guessed from the name), a view into a larger buffer, a stream.
    const text = await files.upload(`${aliceId}/hello.txt`, 'héllo, world');
    expect(text.data).toMatchObject({ content_type: expect.stringMatching(/^text\/plain/), size: Buffer.byteLength('héllo, world') });
    expect(await (await files.download(`${aliceId}/hello.txt`)).data!.text()).toBe('héllo, world');
    expect((await files.upload(`${aliceId}/blob.json`, new Blob(['{"a":1}'], { type: 'application/json' }))).data).toMatchObject({ content_type: 'application/json', size: 7 });
    expect((await files.upload(`${aliceId}/buf.json`, new TextEncoder().encode('[1]').buffer)).data).toMatchObject({ content_type: 'application/json', size: 3 });
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    await files.upload(`${aliceId}/view.bin`, backing.subarray(2, 5));
    expect([...await bytesOf((await files.download(`${aliceId}/view.bin`)).data)]).toEqual([1, 2, 3]);
    const chunks = [randomBytes(70_000), randomBytes(1), randomBytes(30_000)];
    const streamed = await files.upload(`${aliceId}/dir/streamed.bin`, streamOf(chunks), { contentType: 'application/x-stream', metadata: { via: 'stream' } });
    expect(streamed.error).toBeNull();
    expect(streamed.data).toMatchObject({ size: 100_001, content_type: 'application/x-stream' });
    expect((await bytesOf((await files.download(`${aliceId}/dir/streamed.bin`)).data)).equals(Buffer.concat(chunks))).toBe(true);

    // An empty object.
    expect((await files.upload(`${aliceId}/empty.txt`, '')).data).toMatchObject({ size: 0 });
    expect((await files.download(`${aliceId}/empty.txt`)).data!.size).toBe(0);

    // Names with characters that mean something in a URL are encoded per segment.
    const odd = `${aliceId}/a b/#1?x=y&z+é.txt`;
    expect((await files.upload(odd, 'odd')).data).toMatchObject({ path: odd });
    expect(await (await files.download(odd)).data!.text()).toBe('odd');
  });

  it('refuses to overwrite without upsert (an error value), and replaces with upsert or update', async () => {
    const files = alice.storage.from('files');
    const path = `${aliceId}/conflict.txt`;
    expect((await files.upload(path, 'one')).error).toBeNull();
    const again = await files.upload(path, 'two');
    expect(again.data).toBeNull();
    expect(again.error).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
    expect(await (await files.download(path)).data!.text()).toBe('one');
    expect((await files.upload(path, 'three', { upsert: true })).data).toMatchObject({ size: 5 });
    expect(await (await files.download(path)).data!.text()).toBe('three');
    expect((await files.update(path, 'four!!')).data).toMatchObject({ size: 6 });
    expect(await (await files.download(path)).data!.text()).toBe('four!!');
    expect((await files.update(path, streamOf([new TextEncoder().encode('five')]))).data).toMatchObject({ size: 4 });
    expect(await (await files.download(path)).data!.text()).toBe('five');
    // update creates when absent.
    expect((await files.update(`${aliceId}/fresh.txt`, 'new')).error).toBeNull();
  });

  it('lists by prefix, with folders as prefixes, paging and search', async () => {
    const files = alice.storage.from('files');
    const root = `${aliceId}/list/`;
    for (const name of ['a.txt', 'b.txt', 'sub/c.txt', 'sub/deeper/d.txt']) {
      expect((await files.upload(root + name, name, { metadata: { name } })).error).toBeNull();
    }
    const all = await files.list(root);
    expect(all.error).toBeNull();
    expect(all.data!.objects.map((o) => o.name)).toEqual(['a.txt', 'b.txt', 'sub/c.txt', 'sub/deeper/d.txt'].map((n) => root + n));
    expect(all.data).toMatchObject({ bucket: 'files', prefixes: [], count: 4 });
    expect(all.data).not.toHaveProperty('files');
    expect(all.data!.objects[0]).toMatchObject({ bucket: 'files', path: `${root}a.txt`, size: 5, owner_id: aliceId, metadata: { name: 'a.txt' } });

    const folder = await files.list(root, { delimiter: '/' });
    expect(folder.data!.objects.map((o) => o.name)).toEqual([`${root}a.txt`, `${root}b.txt`]);
    expect(folder.data!.prefixes).toEqual([`${root}sub/`]);
    const page = await files.list(root, { limit: 2, offset: 1 });
    expect(page.data!.objects.map((o) => o.name)).toEqual([`${root}b.txt`, `${root}sub/c.txt`]);
    expect(page.data!.count).toBe(4);
    expect((await files.list(root, { search: 'B.T' })).data!.objects.map((o) => o.name)).toEqual([`${root}b.txt`]);
    // Bob sees none of Alice's objects.
    expect((await bob.storage.from('files').list(root)).data).toMatchObject({ objects: [], count: 0 });
  });

  it('moves, copies and removes, reporting the paths that could not be removed', async () => {
    const files = alice.storage.from('files');
    const dir = `${aliceId}/mc/`;
    await files.upload(`${dir}orig.txt`, 'original');
    const moved = await files.move(`${dir}orig.txt`, `${dir}moved.txt`);
    expect(moved).toEqual({ data: { path: `${dir}moved.txt` }, error: null });
    expect((await files.download(`${dir}orig.txt`)).error).toMatchObject({ code: 'NOT_FOUND' });
    const copied = await files.copy(`${dir}moved.txt`, `${dir}copy.txt`);
    expect(copied.data).toMatchObject({ path: `${dir}copy.txt`, id: expect.any(String) });
    expect(await (await files.download(`${dir}copy.txt`)).data!.text()).toBe('original');
    expect((await files.move(`${dir}nope.txt`, `${dir}x.txt`)).error).toMatchObject({ code: 'NOT_FOUND' });

    const removed = await files.remove([`${dir}moved.txt`, `${dir}absent.txt`, `${dir}copy.txt`]);
    expect(removed.data.removed).toEqual([`${dir}moved.txt`, `${dir}copy.txt`]);
    expect(removed.data.failed.map((f) => [f.path, f.error.code])).toEqual([[`${dir}absent.txt`, 'NOT_FOUND']]);
    expect(removed.error).toMatchObject({ status: 404, code: 'NOT_FOUND', details: { failed: [{ path: `${dir}absent.txt`, code: 'NOT_FOUND', status: 404 }] } });
    expect((await files.list(dir)).data!.objects).toEqual([]);
    expect(await files.remove([])).toEqual({ data: { removed: [], failed: [] }, error: null });
  });

  it('creates signed download and upload URLs that work without credentials', async () => {
    const files = alice.storage.from('files');
    const path = `${aliceId}/signed/file.txt`;
    await files.upload(path, 'by signed url');
    const signed = await files.createSignedUrl(path, 60);
    expect(signed.error).toBeNull();
    expect(signed.data).toMatchObject({ path, expiresIn: 60, method: 'GET', expiresAt: expect.any(String) });
    // On the server's public URL, whatever URL the client was given.
    expect(signed.data!.signedUrl.startsWith(`${publicUrl}/api/v1/storage/object?token=`)).toBe(true);
    const res = await fetch(signed.data!.signedUrl);
    expect([res.status, await res.text()]).toEqual([200, 'by signed url']);

    const upload = await files.createSignedUploadUrl(`${aliceId}/signed/uploaded.bin`, 120);
    expect(upload.error).toBeNull();
    expect(upload.data!.token).not.toBe('');
    const body = randomBytes(4096);
    const put = await anon.storage.from('files').uploadToSignedUrl(upload.data!.signedUrl, body, { contentType: 'application/x-signed' });
    expect(put.error).toBeNull();
    expect(put.data).toMatchObject({ path: `${aliceId}/signed/uploaded.bin`, size: 4096, content_type: 'application/x-signed' });
    // A GET URL cannot upload; a tampered one is refused.
    expect((await files.uploadToSignedUrl(signed.data!.signedUrl, 'x')).error).toMatchObject({ status: 405 });
    const bad = upload.data!.signedUrl.replace(/token=(.)/, (_m, c: string) => `token=${c === 'A' ? 'B' : 'A'}`);
    expect((await files.uploadToSignedUrl(bad, 'x')).error).toMatchObject({ status: 401, code: 'INVALID_SIGNED_URL' });
    // Another user cannot sign Alice's object.
    expect((await bob.storage.from('files').createSignedUrl(path, 60)).error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('builds public URLs read anonymously, and transforms images on download', async () => {
    const pics = alice.storage.from('pics');
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#336699' } }).png().toBuffer();
    expect((await pics.upload(`${aliceId}/photo.png`, png)).data).toMatchObject({ content_type: 'image/png' });

    const { data } = pics.getPublicUrl(`${aliceId}/photo.png`);
    expect(data.publicUrl).toBe(`${app.url}/api/v1/storage/pics/${aliceId}/photo.png`);
    const res = await fetch(data.publicUrl);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    const named = pics.getPublicUrl(`${aliceId}/photo.png`, { download: 'my photo.png', transform: { width: 100 } }).data.publicUrl;
    expect(new URL(named).search).toBe('?width=100&download=my+photo.png');
    const namedRes = await fetch(named);
    expect(namedRes.headers.get('content-disposition')).toContain("filename*=UTF-8''my%20photo.png");

    const t = await anon.storage.from('pics').download(`${aliceId}/photo.png`, { transform: { width: 120, format: 'webp' } });
    expect(t.error).toBeNull();
    expect(t.data!.type).toBe('image/webp');
    const meta = await sharp(await bytesOf(t.data)).metadata();
    expect([meta.width, meta.format]).toEqual([150, 'webp']);

    const signed = await pics.createSignedUrl(`${aliceId}/photo.png`, 60, { transform: { width: 200, format: 'jpeg' } });
    const sres = await fetch(signed.data!.signedUrl);
    expect(sres.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await sres.arrayBuffer())).metadata()).width).toBe(200);
  });

  it("answers NOT_FOUND for another user's object, as for an absent one", async () => {
    const path = `${aliceId}/private.txt`;
    await alice.storage.from('files').upload(path, 'secret');
    const theirs = bob.storage.from('files');
    expect((await theirs.download(path)).error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await theirs.download(`${aliceId}/never.txt`)).error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect((await anon.storage.from('files').download(path)).error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const removed = await theirs.remove([path]);
    expect(removed.error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await theirs.copy(path, `${bobId}/stolen.txt`)).error).toMatchObject({ code: 'NOT_FOUND' });
    // Still there for Alice.
    expect(await (await alice.storage.from('files').download(path)).data!.text()).toBe('secret');
  });
});
