import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CHUNK, FileRangeStream } from './file-stream.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-file-stream-'));
const data = randomBytes(5 * CHUNK + 12345);
const file = path.join(dir, 'object');
writeFileSync(file, data);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const mapError = (err: unknown) => new Error(`mapped: ${(err as Error).message}`);

/**
 * A destination that acknowledges each write late, as a slow socket does, and checks that
 * the chunk it holds was not changed meanwhile (the pump keeps reading into other buffers).
 */
function slowSink(delayMs: number) {
  const chunks: Buffer[] = [];
  const copies: Buffer[] = [];
  let overwritten = 0;
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      const copy = Buffer.from(chunk);
      copies.push(copy);
      setTimeout(() => {
        if (!chunk.equals(copy)) overwritten += 1;
        cb();
      }, delayMs);
    },
  });
  return { sink, chunks, copies, overwritten: () => overwritten };
}

describe('FileRangeStream', () => {
  it('piped: delivers the range exactly, and never reuses a buffer before its write is acknowledged', async () => {
    const fh = await open(file, 'r');
    const { sink, chunks, copies, overwritten } = slowSink(5);
    const stream = new FileRangeStream(fh, 100, data.length - 1, mapError);
    const ended = new Promise<void>((r) => stream.on('end', r));
    const closed = new Promise<void>((r) => stream.on('close', r));
    await pipeline(stream, sink);
    await ended;
    await closed;
    expect(md5(Buffer.concat(copies))).toBe(md5(data.subarray(100)));
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(data.length - 100);
    expect(overwritten()).toBe(0);
    // Buffers are reused: six chunks, at most four distinct buffers.
    expect(new Set(chunks.map((c) => c.buffer)).size).toBeLessThanOrEqual(4);
  });

  it('read as an iterator (not piped) allocates per chunk and delivers the same bytes', async () => {
    const fh = await open(file, 'r');
    const got: Buffer[] = [];
    for await (const c of new FileRangeStream(fh, 10, 10 + 3 * CHUNK, mapError)) got.push(c as Buffer);
    expect(Buffer.concat(got).equals(data.subarray(10, 11 + 3 * CHUNK))).toBe(true);
  });

  it('a destination that goes away stops the reads and closes the file', async () => {
    const fh = await open(file, 'r');
    let writes = 0;
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(_chunk, _enc, cb) {
        writes += 1;
        if (writes === 2) this.destroy();
        else setTimeout(cb, 1);
      },
    });
    const stream = new FileRangeStream(fh, 0, data.length - 1, mapError);
    const closed = new Promise<void>((r) => stream.on('close', r));
    stream.pipe(sink);
    await closed;
    expect(stream.destroyed).toBe(true);
    // The handle is closed: reading from it fails.
    await expect(fh.read(Buffer.alloc(1), 0, 1, 0)).rejects.toThrow();
  });

  it('a file shorter than the range fails the stream with the mapped error', async () => {
    const fh = await open(file, 'r');
    const { sink } = slowSink(0);
    await expect(pipeline(new FileRangeStream(fh, 0, data.length + CHUNK, mapError), sink)).rejects.toThrow(/mapped: the file is shorter/);
  });
});

