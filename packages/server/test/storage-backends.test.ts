// The storage backends against real storage: a temp directory and s3rver (an S3-compatible
// server in a child process). One behaviour suite runs against both; faults (S3 killed
// mid-transfer, a disk that refuses writes) follow per backend.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError, createBackend, InvalidKeyError, LocalBackend, ObjectNotFoundError, RangeNotSatisfiableError, TooLargeError,
  type StorageBackend,
} from '../src/storage/backends/index.ts';
import { startS3, type TestS3 } from './harness/s3.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const MB = 1024 * 1024;
const CHUNK = 64 * 1024;
const BLOCK = randomBytes(CHUNK);

const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const bytes = (b: Buffer | string) => Readable.from([Buffer.from(b)], { objectMode: false });

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function md5OfStream(s: Readable): Promise<{ md5: string; size: number }> {
  const h = createHash('md5');
  let size = 0;
  for await (const c of s) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { md5: h.digest('hex'), size };
}

interface Generated {
  stream: Readable;
  /** MD5 of every byte produced so far (all of them once the stream ended). */
  md5(): string;
  produced(): number;
}

/**
 * `total` bytes made on demand (never held whole). `onProgress` runs after each chunk is
 * produced; `failAt` makes the stream error there, as a request whose client went away.
 */
function generated(total: number, opts: { onProgress?: (produced: number) => void | Promise<void>; failAt?: number } = {}): Generated {
  const h = createHash('md5');
  let produced = 0;
  async function* gen() {
    for (let i = 0; produced < total; i++) {
      if (opts.failAt !== undefined && produced >= opts.failAt) throw new Error('client went away');
      const n = Math.min(CHUNK, total - produced);
      const chunk = Buffer.from(BLOCK.subarray(0, n));
      chunk.writeUInt32BE(i, 0);
      h.update(chunk);
      produced += n;
      yield chunk;
      await opts.onProgress?.(produced);
    }
  }
  return { stream: Readable.from(gen(), { objectMode: false }), md5: () => h.copy().digest('hex'), produced: () => produced };
}

/** Live bytes (heap + buffers) after a full GC: what the process really holds. */
function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

interface Subject {
  backend: StorageBackend;
  s3?: TestS3;
  /** Temp files left by uploads (local only; S3 has none). */
  tempFiles(): string[];
  cleanup(): Promise<void>;
}

async function makeSubject(kind: 'local' | 's3'): Promise<Subject> {
  if (kind === 'local') {
    const root = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-local-'));
    const backend = new LocalBackend({ root: path.join(root, 'storage') });
    return {
      backend,
      tempFiles: () => (existsSync(backend.tmpDir) ? readdirSync(backend.tmpDir) : []),
      cleanup: async () => rmSync(root, { recursive: true, force: true }),
    };
  }
  const s3 = await startS3();
  const backend = createBackend({
    backend: 's3',
    local_path: undefined,
    s3: { endpoint: s3.endpoint, region: s3.region, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: true, bucket: s3.bucket },
    // S3's smallest part (5 MiB) keeps the memory bound well below the 40 MB object; the
    // fault suite below runs with the default 8 MiB.
  }, { partSize: 5 * MB, maxAttempts: 2, connectionTimeoutMs: 1_000, socketTimeoutMs: 5_000 });
  return {
    backend,
    s3,
    tempFiles: () => [],
    cleanup: async () => {
      await backend.close();
      await s3.close();
    },
  };
}

describe.each(['local', 's3'] as const)('%s backend', (kind) => {
  let subject: Subject;
  let backend: StorageBackend;
  beforeAll(async () => {
    subject = await makeSubject(kind);
    backend = subject.backend;
  });
  afterAll(async () => subject?.cleanup());

  it('stores, reads, heads, replaces and deletes an object', async () => {
    const body = 'hello, fluxbase';
    const put = await backend.put('b1', 'dir/hello.txt', bytes(body), { maxBytes: 1000, contentType: 'text/plain', cacheControl: 'max-age=60' });
    expect(put).toEqual({ size: body.length, etag: md5(body) });

    const got = await backend.get('b1', 'dir/hello.txt');
    expect((await readAll(got.body)).toString()).toBe(body);
    expect(got).toMatchObject({ size: body.length, etag: md5(body), contentType: 'text/plain', cacheControl: 'max-age=60', range: undefined });

    const head = await backend.head('b1', 'dir/hello.txt');
    expect(head).toMatchObject({ size: body.length, etag: md5(body), contentType: 'text/plain' });
    expect(head.lastModified).toBeInstanceOf(Date);

    const replaced = await backend.put('b1', 'dir/hello.txt', bytes('v2'), { maxBytes: 1000 });
    expect(replaced.etag).toBe(md5('v2'));
    expect((await readAll((await backend.get('b1', 'dir/hello.txt')).body)).toString()).toBe('v2');

    await backend.delete('b1', 'dir/hello.txt');
    await backend.delete('b1', 'dir/hello.txt'); // idempotent
    await expect(backend.get('b1', 'dir/hello.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
    await expect(backend.head('b1', 'dir/hello.txt')).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('keeps `a` and `a/b`, empty objects and unusual names apart', async () => {
    const keys = ['a', 'a/b', 'a/b/c', 'ünïcødé/名前 with spaces.txt', 'x\\..\\..\\y', '%2e%2e/z', 'dots.../..a/b..'];
    for (const key of keys) await backend.put('b2', key, bytes(`body of ${key}`), { maxBytes: 1000 });
    await backend.put('b2', 'empty', bytes(''), { maxBytes: 1000 });
    for (const key of keys) expect((await readAll((await backend.get('b2', key)).body)).toString()).toBe(`body of ${key}`);
    const empty = await backend.get('b2', 'empty');
    expect(empty.size).toBe(0);
    expect((await readAll(empty.body)).length).toBe(0);
    expect(empty.etag).toBe(md5(''));
  });

  it('copies an object, its bytes and content type', async () => {
    await backend.put('b3', 'src.bin', bytes('copy me'), { maxBytes: 1000, contentType: 'application/x-test' });
    const copied = await backend.copy({ bucket: 'b3', key: 'src.bin' }, { bucket: 'b3-other', key: 'nested/dst bin' });
    expect(copied).toEqual({ size: 7, etag: md5('copy me') });
    const got = await backend.get('b3-other', 'nested/dst bin');
    expect((await readAll(got.body)).toString()).toBe('copy me');
    expect(got.contentType).toBe('application/x-test');
    expect((await readAll((await backend.get('b3', 'src.bin')).body)).toString()).toBe('copy me');
    await expect(backend.copy({ bucket: 'b3', key: 'missing' }, { bucket: 'b3', key: 'x' })).rejects.toBeInstanceOf(ObjectNotFoundError);
  });

  it('serves single ranges, clamping the end and refusing a start past the end', async () => {
    const body = '0123456789abcdefghij';
    await backend.put('b4', 'r.txt', bytes(body), { maxBytes: 1000 });
    const cases: [number, number, string][] = [[0, 0, '0'], [0, 9, '0123456789'], [10, 19, 'abcdefghij'], [15, 1000, 'fghij'], [19, 19, 'j']];
    for (const [start, end, expected] of cases) {
      const got = await backend.get('b4', 'r.txt', { start, end });
      expect((await readAll(got.body)).toString(), `${start}-${end}`).toBe(expected);
      expect(got.size).toBe(body.length);
      expect(got.range).toEqual({ start, end: Math.min(end, body.length - 1) });
    }
    const err = await backend.get('b4', 'r.txt', { start: 20, end: 30 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeNotSatisfiableError);
    expect((err as RangeNotSatisfiableError).size).toBe(body.length);
  });

  it('lists stored objects for the sweep, per bucket or all', async () => {
    await backend.put('l1', 'one', bytes('1'), { maxBytes: 10 });
    await backend.put('l1', 'two/deep', bytes('22'), { maxBytes: 10 });
    await backend.put('l2', 'three', bytes('333'), { maxBytes: 10 });
    const inL1 = [];
    for await (const o of backend.list('l1')) inL1.push(`${o.bucket}:${o.key}:${o.size}`);
    expect(inL1.sort()).toEqual(['l1:one:1', 'l1:two/deep:2']);
    const all = [];
    for await (const o of backend.list()) all.push(`${o.bucket}:${o.key}`);
    expect(all).toEqual(expect.arrayContaining(['l1:one', 'l1:two/deep', 'l2:three']));
  });

  it('streams 40 MB without holding it in memory (S3: multipart), and reads it back', async () => {
    const size = 40 * MB;
    // Warm up the same path (S3: multipart) so that one-time allocations are not counted.
    await backend.put('big', 'warmup', generated(10 * MB).stream, { maxBytes: size });
    const before = liveBytes();
    let peak = 0;
    const src = generated(size, {
      onProgress: (produced) => {
        if (produced % MB === 0) peak = Math.max(peak, liveBytes() - before);
      },
    });
    const put = await backend.put('big', 'twenty.bin', src.stream, { maxBytes: size });
    expect(put.size).toBe(size);
    if (kind === 'local') expect(put.etag).toBe(src.md5());
    // Local holds a chunk at a time; S3 two or three parts (the one being sent, the next
    // being filled, one not yet collected), whatever the object's size.
    expect(peak).toBeLessThan(kind === 'local' ? 4 * MB : size * 0.6);
    const got = await backend.get('big', 'twenty.bin');
    expect(got.size).toBe(size);
    expect(await md5OfStream(got.body)).toEqual({ md5: src.md5(), size });
    const tail = await backend.get('big', 'twenty.bin', { start: size - 10, end: size - 1 });
    expect((await readAll(tail.body)).length).toBe(10);
  });

  it.each([
    ['a small body', 5_000, 1_000],
    ['a body past one S3 part', 20 * MB, 10 * MB],
  ])('refuses %s over the limit: TooLargeError, nothing stored, the old object intact', async (_name, total, maxBytes) => {
    await backend.put('lim', 'keep', bytes('old bytes'), { maxBytes: 100 });
    const src = generated(total);
    await expect(backend.put('lim', 'keep', src.stream, { maxBytes })).rejects.toBeInstanceOf(TooLargeError);
    // The limit is on bytes read: reading stopped soon after the limit, not at the end.
    expect(src.produced()).toBeLessThan(maxBytes + 9 * MB);
    await expect(backend.put('lim', 'new', generated(total).stream, { maxBytes })).rejects.toBeInstanceOf(TooLargeError);
    expect((await readAll((await backend.get('lim', 'keep')).body)).toString()).toBe('old bytes');
    await expect(backend.head('lim', 'new')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(subject.tempFiles()).toEqual([]);
  });

  it.each([
    ['errors early', 100 * 1024],
    ['errors after a multipart part was sent', 12 * MB],
  ])('leaves nothing when the body %s (client aborted)', async (_name, failAt) => {
    await backend.put('abort', 'keep', bytes('old bytes'), { maxBytes: 100 });
    const src = generated(20 * MB, { failAt });
    await expect(backend.put('abort', 'keep', src.stream, { maxBytes: 100 * MB })).rejects.toThrow('client went away');
    await expect(backend.put('abort', 'fresh', generated(20 * MB, { failAt }).stream, { maxBytes: 100 * MB })).rejects.toThrow('client went away');
    expect((await readAll((await backend.get('abort', 'keep')).body)).toString()).toBe('old bytes');
    await expect(backend.head('abort', 'fresh')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(subject.tempFiles()).toEqual([]);
  });

  it('fails when the body is destroyed without an error (connection cut)', async () => {
    const src = generated(4 * MB, {
      onProgress: (produced) => {
        if (produced >= MB) src.stream.destroy();
      },
    });
    await expect(backend.put('abort', 'cut', src.stream, { maxBytes: 100 * MB })).rejects.toThrow();
    await expect(backend.head('abort', 'cut')).rejects.toBeInstanceOf(ObjectNotFoundError);
    expect(subject.tempFiles()).toEqual([]);
  });

  it.each([
    ['b', '../x'], ['b', '/etc/passwd'], ['b', 'a/../../x'], ['b', 'a//b'], ['b', './x'], ['b', ''], ['b', 'nul\0byte'],
    ['..', 'x'], ['a/b', 'x'], ['', 'x'],
  ])('refuses bucket %j key %j with InvalidKeyError', async (bucket, key) => {
    await expect(backend.put(bucket, key, bytes('x'), { maxBytes: 10 })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(backend.get(bucket, key)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(backend.delete(bucket, key)).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it('answers ping', async () => {
    await expect(backend.ping()).resolves.toBeUndefined();
  });
});

describe('local backend: paths and a failing disk', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-local-faults-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('derives every object path from a hash, inside root, whatever the key', () => {
    const backend = new LocalBackend({ root: path.join(dir, 'root') });
    const hostile = ['../x', '/abs', '../../../../etc/passwd', 'a/../../b', '..\\..\\win', '\0', 'C:\\x', '~/.ssh/id'];
    for (const key of hostile) {
      const p = backend.objectPath('../bucket', key);
      expect(p.startsWith(path.join(dir, 'root', 'objects') + path.sep)).toBe(true);
      expect(path.relative(path.join(dir, 'root', 'objects'), p)).toMatch(/^[0-9a-f]{2}[/\\][0-9a-f]{64}$/);
    }
  });

  it('writes nothing outside root for keys that look like paths', async () => {
    const backend = new LocalBackend({ root: path.join(dir, 'root2') });
    await backend.put('b', 'x\\..\\..\\escaped', bytes('x'), { maxBytes: 10 });
    await backend.put('b', '..x/..y', bytes('x'), { maxBytes: 10 });
    expect(readdirSync(dir).sort()).toEqual(['root2']);
    expect(readdirSync(path.join(dir, 'root2')).sort()).toEqual(['.tmp', 'objects']);
  });

  it('maps a root it cannot write to BackendUnavailableError, leaving nothing', async () => {
    // A regular file where a directory must be: ENOTDIR even for root, who ignores modes.
    writeFileSync(path.join(dir, 'not-a-dir'), 'x');
    const backend = new LocalBackend({ root: path.join(dir, 'not-a-dir', 'storage') });
    await expect(backend.put('b', 'k', bytes('data'), { maxBytes: 100 })).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.ping()).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.get('b', 'k')).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('removes the temp file and keeps the old object when the final step fails', async () => {
    const backend = new LocalBackend({ root: path.join(dir, 'root3') });
    const target = backend.objectPath('b', 'k');
    // Its shard directory is a file: every byte is written, then the rename fails.
    mkdirSync(path.dirname(path.dirname(target)), { recursive: true });
    writeFileSync(path.dirname(target), 'in the way');
    await expect(backend.put('b', 'k', generated(3 * MB).stream, { maxBytes: 10 * MB })).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(readdirSync(backend.tmpDir)).toEqual([]);
    rmSync(path.dirname(target));
    await backend.put('b', 'k', bytes('fine now'), { maxBytes: 100 });
    expect((await readAll((await backend.get('b', 'k')).body)).toString()).toBe('fine now');
  });

  it('sweeps old temp files a crash left behind', async () => {
    const backend = new LocalBackend({ root: path.join(dir, 'root4') });
    await backend.ping();
    writeFileSync(path.join(backend.tmpDir, 'left-by-crash'), 'partial');
    expect(await backend.sweepTemp(60_000)).toBe(0);
    expect(await backend.sweepTemp(0)).toBe(1);
    expect(readdirSync(backend.tmpDir)).toEqual([]);
  });
});

describe('s3 backend: the server stops mid-transfer', () => {
  let s3: TestS3;
  let backend: StorageBackend;
  beforeAll(async () => {
    s3 = await startS3({ bucket: 'faults' });
    backend = createBackend({
      backend: 's3',
      local_path: undefined,
      s3: { endpoint: s3.endpoint, region: s3.region, access_key_id: s3.accessKeyId, secret_access_key: s3.secretAccessKey, force_path_style: true, bucket: s3.bucket },
    }, { maxAttempts: 2, connectionTimeoutMs: 1_000, socketTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await backend?.close();
    await s3?.close();
  });

  it('answers BackendUnavailableError mid-upload, keeps the old object, and works after a restart', async () => {
    await backend.put('b', 'keep', bytes('old bytes'), { maxBytes: 100 });
    let stopped = false;
    const src = generated(20 * MB, {
      onProgress: async (produced) => {
        if (!stopped && produced >= 10 * MB) {
          stopped = true;
          await s3.stop();
        }
      },
    });
    await expect(backend.put('b', 'keep', src.stream, { maxBytes: 100 * MB })).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(stopped).toBe(true);
    await expect(backend.ping()).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.head('b', 'keep')).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.put('b', 'other', bytes('x'), { maxBytes: 10 })).rejects.toBeInstanceOf(BackendUnavailableError);

    await s3.restart();
    await backend.ping();
    expect((await readAll((await backend.get('b', 'keep')).body)).toString()).toBe('old bytes');
    await backend.put('b', 'after', bytes('back'), { maxBytes: 10 });
    expect((await readAll((await backend.get('b', 'after')).body)).toString()).toBe('back');
  });

  it('answers BackendUnavailableError mid-download, and works after a restart', async () => {
    const src = generated(20 * MB);
    await backend.put('b', 'big', src.stream, { maxBytes: 100 * MB });
    const got = await backend.get('b', 'big');
    const body = got.body;
    let read = 0;
    let stopping = false;
    const err = await new Promise<unknown>((resolve) => {
      body.on('data', (c: Buffer) => {
        read += c.length;
        if (read >= MB && !stopping) {
          stopping = true;
          body.pause();
          void s3.stop().then(() => body.resume());
        }
      });
      body.once('error', resolve);
      body.once('end', () => resolve(undefined));
    });
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(read).toBeLessThan(20 * MB);
    await expect(backend.get('b', 'big')).rejects.toBeInstanceOf(BackendUnavailableError);

    await s3.restart();
    expect(await md5OfStream((await backend.get('b', 'big')).body)).toEqual({ md5: src.md5(), size: 20 * MB });
  });
});
