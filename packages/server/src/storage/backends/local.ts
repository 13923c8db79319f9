// Object bytes on the local disk.
//
// Layout: `<root>/objects/<h[0..2]>/<h>` where h = sha256(bucket NUL key) in hex, and
// `<root>/.tmp/<uuid>` for uploads in flight. Every path component below root is either a
// constant, a hex digest or a UUID, so no key can name a path outside root (traversal is
// impossible by construction, not by filtering); keys `a` and `a/b` cannot clash as a file
// and a directory; 1024-byte keys never hit NAME_MAX; case-folding file systems are safe.
//
// Each object is ONE file: a small header (magic, size, MD5, then JSON {bucket, key,
// contentType, cacheControl}) followed by the bytes. Identity, etag and bytes therefore
// change together with a single rename(2): there is no sidecar to drift, and listing for the
// sweep reads the headers. Writes go to a temp file in the same file system, are fsynced and
// renamed over the old object; any failure removes the temp file and leaves the old object.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { FileRangeStream } from './file-stream.ts';
import { OffloadedMd5 } from './md5-offload.ts';
import { Readable } from 'node:stream';
import {
  BackendUnavailableError, checkObjectRef, mapStreamErrors, ObjectNotFoundError, RangeNotSatisfiableError, StorageBackendError, TooLargeError,
  type ByteRange, type GetResult, type ObjectRef, type ObjectStat, type PutOptions, type PutResult, type StorageBackend, type StoredObject,
} from './types.ts';

export interface LocalBackendOptions {
  /** Directory holding `objects/` and `.tmp/`; created on first write (config `storage.local_path`, default `<data_dir>/storage`). */
  root: string;
}

const MAGIC = Buffer.from('FXBO');
const VERSION = 1;
// magic(4) version(1) reserved(3) dataOffset(u32) size(u64) md5(16)
const FIXED = 36;
const MAX_META = 64 * 1024;

interface Header {
  dataOffset: number;
  size: number;
  etag: string;
  bucket: string;
  key: string;
  contentType: string | undefined;
  cacheControl: string | undefined;
}

function unavailable(what: string, err: unknown): BackendUnavailableError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return new BackendUnavailableError(`local storage: ${what} failed${code ? ` (${code})` : ''}`, { cause: err });
}

function isNoEnt(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** Runs one file-system step; its failure is the disk's, so BackendUnavailableError. */
async function fsStep<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw unavailable(what, err);
  }
}

function fixedHeader(dataOffset: number, size: number, md5: Buffer): Buffer {
  const b = Buffer.alloc(FIXED);
  MAGIC.copy(b, 0);
  b.writeUInt8(VERSION, 4);
  b.writeUInt32BE(dataOffset, 8);
  b.writeBigUInt64BE(BigInt(size), 12);
  md5.copy(b, 20);
  return b;
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

async function readHeader(fh: FileHandle, file: string): Promise<Header> {
  const fixed = await readExactly(fh, FIXED, 0);
  if (fixed.length < FIXED || !fixed.subarray(0, 4).equals(MAGIC) || fixed.readUInt8(4) !== VERSION) {
    throw new BackendUnavailableError(`local storage: ${file} is not an object file`);
  }
  const dataOffset = fixed.readUInt32BE(8);
  if (dataOffset < FIXED || dataOffset - FIXED > MAX_META) throw new BackendUnavailableError(`local storage: ${file} has a corrupt header`);
  const meta = JSON.parse((await readExactly(fh, dataOffset - FIXED, FIXED)).toString('utf8')) as {
    bucket: string; key: string; contentType?: string; cacheControl?: string;
  };
  return {
    dataOffset,
    size: Number(fixed.readBigUInt64BE(12)),
    etag: fixed.subarray(20, 36).toString('hex'),
    bucket: meta.bucket,
    key: meta.key,
    contentType: meta.contentType,
    cacheControl: meta.cacheControl,
  };
}

async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}

/** fsync of a directory makes a rename durable; some file systems refuse it, which is harmless. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => {});
  await fh.close().catch(() => {});
}

export class LocalBackend implements StorageBackend {
  readonly kind = 'local';
  readonly root: string;
  private readonly objectsDir: string;
  readonly tmpDir: string;

  constructor(opts: LocalBackendOptions) {
    this.root = path.resolve(opts.root);
    this.objectsDir = path.join(this.root, 'objects');
    this.tmpDir = path.join(this.root, '.tmp');
  }

  /** The file of (bucket, key): only hex below `objects/`, whatever the key says. */
  objectPath(bucket: string, key: string): string {
    const h = createHash('sha256').update(bucket).update('\0').update(key).digest('hex');
    return path.join(this.objectsDir, h.slice(0, 2), h);
  }

  async put(bucket: string, key: string, body: Readable, opts: PutOptions): Promise<PutResult> {
    checkObjectRef(bucket, key);
    const meta = Buffer.from(JSON.stringify({ bucket, key, contentType: opts.contentType, cacheControl: opts.cacheControl }));
    const dataOffset = FIXED + meta.length;
    const target = this.objectPath(bucket, key);
    const tmp = path.join(this.tmpDir, randomUUID());
    let fh: FileHandle | undefined;
    let offloaded: OffloadedMd5 | undefined;
    try {
      fh = await fsStep('creating a temp file', async () => {
        await mkdir(this.tmpDir, { recursive: true });
        return open(tmp, 'wx', 0o600);
      });
      const file = fh;
      await fsStep('writing', () => file.write(meta, 0, meta.length, FIXED));
      // The MD5 (the etag): in line for a body of one batch, on the worker thread for more.
      const inline = createHash('md5');
      let size = 0;
      // Chunks are gathered up to WRITE_BATCH bytes and written with one writev while the next
      // ones arrive (one write in flight at most): the body is read while the disk writes,
      // and at most WRITE_BATCH + one batch in flight is in memory. The iterator must not
      // destroy the body on a throw.
      let batch: Buffer[] = [];
      let batched = 0;
      let written = 0;
      let inFlight: Promise<void> = Promise.resolve();
      const flush = async (last: boolean) => {
        await inFlight;
        const parts = batch;
        const length = batched;
        const at = dataOffset + written;
        written += length;
        batch = [];
        batched = 0;
        if (length > 0) {
          const write = fsStep('writing', () => writeAllv(file, parts, at));
          write.catch(() => {}); // awaited below; handled here so a failure never goes unobserved meanwhile
          inFlight = write;
        }
        if (last && !offloaded) {
          for (const p of parts) inline.update(p);
        } else {
          offloaded ??= new OffloadedMd5();
          await offloaded.update(parts, length);
        }
      };
      for await (const chunk of body.iterator({ destroyOnReturn: false })) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        size += buf.length;
        if (size > opts.maxBytes) {
          await inFlight.catch(() => {});
          throw new TooLargeError(opts.maxBytes);
        }
        batch.push(buf);
        batched += buf.length;
        if (batched >= WRITE_BATCH) await flush(false);
      }
      if (batched > 0 || !offloaded) await flush(true);
      await inFlight;
      const header = fixedHeader(dataOffset, size, offloaded ? await offloaded.digest() : inline.digest());
      offloaded = undefined;
      await fsStep('writing', () => file.write(header, 0, FIXED, 0));
      await fsStep('fsync', () => file.sync());
      fh = undefined;
      await fsStep('closing', () => file.close());
      await fsStep('renaming', async () => {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
      });
      await syncDir(path.dirname(target));
      return { size, etag: header.subarray(20, 36).toString('hex') };
    } catch (err) {
      offloaded?.abort();
      if (fh) await fh.close().catch(() => {});
      await removeQuietly(tmp);
      throw err;
    }
  }

  private async openObject(bucket: string, key: string): Promise<{ fh: FileHandle; header: Header }> {
    checkObjectRef(bucket, key);
    const file = this.objectPath(bucket, key);
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      if (isNoEnt(err)) throw new ObjectNotFoundError(bucket, key);
      throw unavailable('opening', err);
    }
    try {
      const header = await readHeader(fh, file);
      if (header.bucket !== bucket || header.key !== key) throw new BackendUnavailableError(`local storage: ${file} holds another object`);
      return { fh, header };
    } catch (err) {
      await fh.close().catch(() => {});
      throw err instanceof StorageBackendError ? err : unavailable('reading', err);
    }
  }

  private static stat(header: Header, mtime: Date): ObjectStat {
    return { size: header.size, etag: header.etag, lastModified: mtime, contentType: header.contentType, cacheControl: header.cacheControl };
  }

  async get(bucket: string, key: string, range?: ByteRange): Promise<GetResult> {
    // The open descriptor pins this version: a concurrent put renames a new file over the
    // name but this download keeps streaming the bytes it started with.
    const { fh, header } = await this.openObject(bucket, key);
    try {
      const { mtime } = await fh.stat();
      let served: ByteRange | undefined;
      if (range) {
        if (range.start >= header.size || range.start > range.end || range.start < 0) throw new RangeNotSatisfiableError(header.size);
        served = { start: range.start, end: Math.min(range.end, header.size - 1) };
      }
      const start = header.dataOffset + (served?.start ?? 0);
      const end = header.dataOffset + (served ? served.end : header.size - 1);
      if (header.size === 0) {
        await fh.close();
        return { ...LocalBackend.stat(header, mtime), body: Readable.from([]), range: undefined };
      }
      const mapError = (err: unknown) => unavailable('reading', err);
      // Objects of 8 MiB and more: 256 KiB reads into reused buffers (file-stream.ts says
      // why; bench S1's 1 GiB download). Smaller ones keep `createReadStream`: with 100
      // concurrent 1 MiB downloads (bench S2) larger reads cost more than they saved.
      const body = end - start + 1 >= LARGE_OBJECT ? new FileRangeStream(fh, start, end, mapError) : mapStreamErrors(fh.createReadStream({ start, end }), mapError);
      return { ...LocalBackend.stat(header, mtime), body, range: served };
    } catch (err) {
      await fh.close().catch(() => {});
      throw err instanceof StorageBackendError ? err : unavailable('reading', err);
    }
  }

  async head(bucket: string, key: string): Promise<ObjectStat> {
    const { fh, header } = await this.openObject(bucket, key);
    try {
      const { mtime } = await fh.stat();
      return LocalBackend.stat(header, mtime);
    } catch (err) {
      throw unavailable('reading', err);
    } finally {
      await fh.close().catch(() => {});
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    checkObjectRef(bucket, key);
    try {
      await unlink(this.objectPath(bucket, key));
    } catch (err) {
      if (!isNoEnt(err)) throw unavailable('deleting', err);
    }
  }

  async copy(from: ObjectRef, to: ObjectRef): Promise<PutResult> {
    checkObjectRef(to.bucket, to.key);
    const src = await this.get(from.bucket, from.key);
    try {
      return await this.put(to.bucket, to.key, src.body, {
        maxBytes: Number.MAX_SAFE_INTEGER, contentType: src.contentType, cacheControl: src.cacheControl,
      });
    } finally {
      src.body.destroy();
    }
  }

  async *list(bucket?: string): AsyncIterable<StoredObject> {
    const shards = await readdir(this.objectsDir).catch((err: unknown) => {
      if (isNoEnt(err)) return [] as string[];
      throw unavailable('listing', err);
    });
    for (const shard of shards) {
      const dir = path.join(this.objectsDir, shard);
      const names = await readdir(dir).catch((err: unknown) => {
        if (isNoEnt(err)) return [] as string[];
        throw unavailable('listing', err);
      });
      for (const name of names) {
        const file = path.join(dir, name);
        const fh = await open(file, 'r').catch((err: unknown) => {
          if (isNoEnt(err)) return undefined; // deleted meanwhile
          throw unavailable('listing', err);
        });
        if (!fh) continue;
        try {
          const header = await readHeader(fh, file);
          if (bucket !== undefined && header.bucket !== bucket) continue;
          const { mtime } = await fh.stat();
          yield { bucket: header.bucket, key: header.key, size: header.size, lastModified: mtime };
        } finally {
          await fh.close().catch(() => {});
        }
      }
    }
  }

  /** A write-and-remove in the temp directory: fails on a missing, read-only or foreign root. */
  async ping(): Promise<void> {
    const probe = path.join(this.tmpDir, `ping-${randomUUID()}`);
    await fsStep('probing', async () => {
      await mkdir(this.tmpDir, { recursive: true });
      const fh = await open(probe, 'wx', 0o600);
      await fh.close();
      await unlink(probe);
    });
  }

  /**
   * Removes temp files older than `olderThanMs` (uploads a crash left behind; a live upload
   * touches its file continuously). Returns how many were removed.
   */
  async sweepTemp(olderThanMs: number): Promise<number> {
    const names = await readdir(this.tmpDir).catch((err: unknown) => {
      if (isNoEnt(err)) return [] as string[];
      throw unavailable('listing temp files', err);
    });
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const name of names) {
      const file = path.join(this.tmpDir, name);
      const st = await stat(file).catch(() => undefined);
      if (st && st.mtimeMs <= cutoff) {
        await removeQuietly(file);
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}

/** Bytes gathered per write of an upload (local.ts put). */
const WRITE_BATCH = 1024 * 1024;
const LARGE_OBJECT = 8 * 1024 * 1024;

async function writeAllv(fh: FileHandle, parts: Buffer[], position: number): Promise<void> {
  if (parts.length === 1) return writeAll(fh, parts[0]!, position);
  const { bytesWritten } = await fh.writev(parts, position);
  const total = parts.reduce((a, p) => a + p.length, 0);
  // A short writev: finish with plain writes of what is left.
  if (bytesWritten < total) await writeAll(fh, Buffer.concat(parts).subarray(bytesWritten), position + bytesWritten);
}

async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}
