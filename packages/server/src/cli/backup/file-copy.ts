// Copying files into and out of a backup: each file streamed through optional gzip into a
// writer that the caller may replace (tests inject one that fails like a full disk), with
// the SHA-256 and size of the bytes as stored; a bounded number of copies run at once.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { ManifestFile } from './manifest.ts';

/** Opens the destination of one stored file; the default writes to disk. */
export type OpenWriter = (file: string) => Writable;
export const diskWriter: OpenWriter = (file) => createWriteStream(file, { flags: 'wx', mode: 0o600 });

export interface StoreOptions {
  compress: boolean;
  openWriter?: OpenWriter;
}

/** A transform that hashes and counts what passes through it. */
function measuring(): { stream: Transform; result: () => { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), size }) };
}

/**
 * Store `source` (a file, or a stream of bytes) as `<root>/<rel>` (plus `.gz` when compressing). Returns undefined when
 * the source vanished meanwhile (a database file dropped during a physical backup).
 */
export async function storeFile(source: string | Readable, root: string, rel: string, options: StoreOptions): Promise<ManifestFile | undefined> {
  const stored = options.compress ? `${rel}.gz` : rel;
  const dest = path.join(root, stored);
  mkdirSync(path.dirname(dest), { recursive: true });
  const m = measuring();
  const input = typeof source === 'string' ? createReadStream(source) : source;
  try {
    await pipeline(input, options.compress ? createGzip({ level: 6 }) : new PassThrough(), m.stream, (options.openWriter ?? diskWriter)(dest));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path === source) return undefined;
    throw err;
  }
  return { path: stored.split(path.sep).join('/'), ...m.result() };
}

/** Copy a stored file back out (gunzipping `.gz` when the backup is compressed). */
export async function extractFile(stored: string, dest: string, compressed: boolean): Promise<void> {
  mkdirSync(path.dirname(dest), { recursive: true });
  await pipeline(createReadStream(stored), compressed ? createGunzip() : new PassThrough(), createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
}

/** SHA-256 and size of a file. */
export async function hashFile(file: string): Promise<{ sha256: string; size: number }> {
  const m = measuring();
  await pipeline(createReadStream(file), m.stream, new PassThrough().resume());
  return m.result();
}

/** Files under `dir` (relative paths), skipping what `skip` rejects; directories listed too. */
export function walk(dir: string, skip: (rel: string, isDir: boolean) => boolean = () => false): { files: string[]; dirs: string[] } {
  const files: string[] = [];
  const dirs: string[] = [];
  const visit = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // dropped meanwhile
      throw err;
    }
    for (const e of entries) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (skip(r, e.isDirectory())) continue;
      if (e.isDirectory()) {
        dirs.push(r);
        visit(r);
      } else if (e.isFile()) {
        files.push(r);
      }
    }
  };
  visit('');
  return { files, dirs };
}

/** Run `fn` over `items` with at most `limit` at once; the first failure stops new work and is thrown. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  const rejected = settled.find((s) => s.status === 'rejected');
  if (rejected) throw (rejected as PromiseRejectedResult).reason;
  return results;
}
