// Storage under faults (WIP of issue 15 "Faults"): the S3 server stopped before and in the
// middle of an upload and a download answers 503 in the envelope and leaves no row without
// its bytes, and service resumes when S3 is back; a client that goes away mid-upload leaves no
// row and no temp file; a local disk that cannot be written answers 503; the sweep removes
// bytes no row names (what a crash between the write and the commit leaves).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnServer } from './harness/child-server.ts';
import { startS3, type TestS3 } from './harness/s3.ts';
import { LocalBackend } from '../src/storage/index.ts';
import { createTestDatabase, startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;
let s3: TestS3;
let onS3: TestApp;
let onDisk: TestApp;
let diskRoot: string;
const alice = randomUUID();

const as = (app: TestApp) => ({ authorization: `Bearer ${app.userToken(alice)}` });
const rows = async (bucket: string) => (await sql<{ name: string }[]>`select name from storage.objects where bucket_id = ${bucket} order by name`).map((r) => r.name);

async function up(app: TestApp, bucket: string, name: string, body: string | Buffer): Promise<{ status: number; json: { code?: string; request_id?: string } }> {
  const res = await app.fetch(`/api/v1/storage/${bucket}/${name}`, { method: 'POST', headers: { ...as(app), 'content-type': 'text/plain' }, body });
  return { status: res.status, json: (await res.json()) as { code?: string } };
}

/** Starts an upload that sends `first` bytes, then waits for `release` before sending the rest (or aborting). */
function slowUpload(app: TestApp, bucket: string, name: string, first: number, total: number) {
  const { hostname, port } = new URL(app.url);
  let answer!: (v: { status: number; body: string } | Error) => void;
  const done = new Promise<{ status: number; body: string } | Error>((r) => (answer = r));
  const req = http.request({ hostname, port, path: `/api/v1/storage/${bucket}/${name}`, method: 'POST', headers: { ...as(app), 'content-type': 'application/octet-stream', 'content-length': String(total) } }, (res) => {
    let b = '';
    res.on('data', (c) => (b += c));
    res.on('end', () => answer({ status: res.statusCode!, body: b }));
  });
  req.on('error', (err) => answer(err));
  req.write(Buffer.alloc(first, 7));
  return {
    done,
    finish: () => req.end(Buffer.alloc(total - first, 7)),
    abort: () => req.destroy(),
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  await sql`insert into auth.users (id, email) values (${alice}, 'alice@example.com')`;
  await sql`insert into storage.buckets (id, name) values ('b', 'b')`;
  s3 = await startS3();
  onS3 = await startTestApp(db.url, {
    overrides: { storage: { backend: 's3', s3: { endpoint: s3.endpoint, region: s3.region, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, bucket: s3.bucket, force_path_style: true } } },
  });
  diskRoot = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-storage-faults-'));
  onDisk = await startTestApp(db.url, { overrides: { storage: { local_path: diskRoot } } });
}, 120_000);

afterAll(async () => {
  await onS3?.close();
  await onDisk?.close();
  await s3?.close();
  await sql?.end();
  await db?.drop();
});

describe('S3 stopped', () => {
  it('answers 503 in the envelope while S3 is down, stores no row, and works again when it is back', async () => {
    expect((await up(onS3, 'b', 's3/before.txt', 'stored')).status).toBe(201);
    await s3.stop();
    const res = await up(onS3, 'b', 's3/during.txt', 'lost?');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ code: 'SERVICE_UNAVAILABLE', request_id: expect.any(String) });
    const down = await onS3.fetch('/api/v1/storage/b/s3/before.txt', { headers: as(onS3) });
    expect(down.status).toBe(503);
    expect(((await down.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
    expect(await rows('b')).not.toContain('s3/during.txt');
    await s3.restart();
    await vi.waitFor(async () => expect((await up(onS3, 'b', 's3/after.txt', 'back')).status).toBe(201), { timeout: 30_000, interval: 500 });
    const again = await onS3.fetch('/api/v1/storage/b/s3/before.txt', { headers: as(onS3) });
    expect(await again.text()).toBe('stored');
  }, 90_000);

  it('stopped in the middle of an upload: 503, no row, the previous object intact', async () => {
    expect((await up(onS3, 'b', 's3/mid.bin', 'old bytes')).status).toBe(201);
    const big = 12 * 1024 * 1024;
    const upload = (() => {
      const { hostname, port } = new URL(onS3.url);
      return new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ hostname, port, path: '/api/v1/storage/b/s3/mid.bin', method: 'PUT', headers: { ...as(onS3), 'content-type': 'application/octet-stream', 'content-length': String(big) } }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: b }));
        });
        req.on('error', reject);
        // 9 MB first (one multipart part reaches S3), then S3 dies, then the rest.
        req.write(Buffer.alloc(9 * 1024 * 1024, 1), () => {
          void s3.stop().then(() => req.end(Buffer.alloc(big - 9 * 1024 * 1024, 1)));
        });
      });
    })();
    const res = await upload;
    expect(res.status, res.body).toBe(503);
    await s3.restart();
    await vi.waitFor(async () => {
      const got = await onS3.fetch('/api/v1/storage/b/s3/mid.bin', { headers: as(onS3) });
      expect(await got.text()).toBe('old bytes');
    }, { timeout: 30_000, interval: 500 });
  }, 90_000);

  it('stopped in the middle of a download: the body is cut (never a short body that looks whole), the server stays healthy', async () => {
    const big = 16 * 1024 * 1024;
    const stored = await onS3.fetch('/api/v1/storage/b/s3/download.bin', { method: 'POST', headers: { ...as(onS3), 'content-type': 'application/octet-stream' }, body: Buffer.alloc(big, 3) });
    expect(stored.status).toBe(201);
    const { hostname, port } = new URL(onS3.url);
    const outcome = await new Promise<{ status: number; length: string | undefined; received: number; ended: 'end' | 'aborted' }>((resolve, reject) => {
      const req = http.get({ hostname, port, path: '/api/v1/storage/b/s3/download.bin', headers: as(onS3) }, (res) => {
        let received = 0;
        let stopping = false;
        const finish = (ended: 'end' | 'aborted') => resolve({ status: res.statusCode!, length: res.headers['content-length'], received, ended });
        res.on('data', (c: Buffer) => {
          received += c.length;
          // After the first bytes, stop reading, kill S3, then read on: what was not yet
          // fetched from S3 can no longer arrive.
          if (!stopping) {
            stopping = true;
            res.pause();
            void s3.stop().then(() => res.resume());
          }
        });
        res.on('end', () => finish('end'));
        res.on('aborted', () => finish('aborted'));
        res.on('error', () => finish('aborted'));
      });
      req.on('error', reject);
    });
    expect(outcome.status).toBe(200);
    expect(outcome.length).toBe(String(big));
    // 16 MB cannot all sit in the buffers between S3, the server and a paused client.
    expect(outcome.ended).toBe('aborted');
    expect(outcome.received).toBeLessThan(big);
    // The server answers meanwhile (503 for the object while S3 is down), and serves it again once S3 is back.
    const health = await onS3.fetch('/health');
    expect(health.status).toBeLessThan(500);
    const down = await onS3.fetch('/api/v1/storage/b/s3/download.bin', { headers: as(onS3) });
    expect(down.status).toBe(503);
    await s3.restart();
    await vi.waitFor(async () => {
      const got = await onS3.fetch('/api/v1/storage/b/s3/download.bin', { headers: as(onS3) });
      expect(got.status).toBe(200);
      expect((await got.arrayBuffer()).byteLength).toBe(big);
    }, { timeout: 30_000, interval: 500 });
  }, 90_000);
});

describe('local disk', () => {
  it('a client that goes away mid-upload leaves no row and no temp file', async () => {
    const u = slowUpload(onDisk, 'b', 'disk/cut.bin', 64 * 1024, 1024 * 1024);
    await vi.waitFor(() => expect(readdirSync(path.join(diskRoot, '.tmp')).length).toBe(1), { timeout: 10_000 });
    u.abort();
    await u.done;
    await vi.waitFor(() => expect(readdirSync(path.join(diskRoot, '.tmp'))).toEqual([]), { timeout: 10_000 });
    expect(await rows('b')).not.toContain('disk/cut.bin');
  });

  it('a disk that cannot be written answers 503 and stores no row', async () => {
    const blocked = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-storage-blocked-'));
    const root = path.join(blocked, 'root');
    writeFileSync(root, 'a file where the storage directory should be');
    const app = await startTestApp(db.url, { overrides: { storage: { local_path: root } } });
    try {
      const res = await up(app, 'b', 'disk/blocked.txt', 'nowhere to go');
      expect(res.status).toBe(503);
      expect(res.json.code).toBe('SERVICE_UNAVAILABLE');
      expect(await rows('b')).not.toContain('disk/blocked.txt');
    } finally {
      await app.close();
    }
  });

  it('the sweep removes bytes no row names and keeps the rest', async () => {
    expect((await up(onDisk, 'b', 'disk/kept.txt', 'kept')).status).toBe(201);
    const storage = onDisk.server.app.storage;
    const orphan = randomUUID();
    await storage.backend.put('b', orphan, Readable.from([Buffer.from('left by a crash')]), { maxBytes: 1024 });
    const r = await storage.sweep(0);
    expect(r.orphanBytes).toBe(1);
    await expect(storage.backend.head('b', orphan)).rejects.toThrow();
    const kept = await onDisk.fetch('/api/v1/storage/b/disk/kept.txt', { headers: as(onDisk) });
    expect(await kept.text()).toBe('kept');
    expect((await storage.sweep(0)).orphanBytes).toBe(0);
  });

  it('a server killed in the middle of an upload leaves no row; its temp file is swept', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-storage-killed-'));
    const server = await spawnServer({
      FLUXBASE_DATABASE_URL: db.url, FLUXBASE_ENV: 'test', FLUXBASE_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'fluxbase-storage-killed-data-')),
      FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET, FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, FLUXBASE_STORAGE_LOCAL_PATH: root,
      FLUXBASE_JOBS_ENABLED: 'false',
    });
    const { hostname, port } = new URL(server.url);
    const req = http.request({ hostname, port, path: '/api/v1/storage/b/disk/killed.bin', method: 'POST', headers: { ...as(onDisk), 'content-type': 'application/octet-stream', 'content-length': String(1 << 20) } });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024, 3));
    await vi.waitFor(() => expect(readdirSync(path.join(root, '.tmp')).length).toBe(1), { timeout: 15_000 });
    server.child.kill('SIGKILL');
    await server.exit;
    expect(await rows('b')).not.toContain('disk/killed.bin');
    expect(await new LocalBackend({ root }).sweepTemp(0)).toBe(1);
    expect(readdirSync(path.join(root, '.tmp'))).toEqual([]);
  }, 90_000);
});
