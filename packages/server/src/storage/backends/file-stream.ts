// A download stream of a local object's bytes that reuses its read buffers when it is piped.
//
// Why: every buffer `fs.createReadStream` allocates lives outside the V8 heap, and each
// ~64 MB of such allocations makes V8 run a full garbage collection, whose cost grows with
// the live heap (the server's is ~75 MB, a bare file server's ~12 MB). Streaming 1 GiB cost the
// server up to 4× the CPU per MiB of a bare `createReadStream` server (bench/README.md,
// "Storage", S1 download). Piped into a response (what Fastify does with a stream body,
// node_modules/fastify/lib/reply.js `sendStream`), this stream reads into a few fixed buffers
// and hands each back to the pool only in the write's callback, when the socket no longer
// holds it. Read any other way (an async iterator: the image transformer), it allocates a
// buffer per chunk like `createReadStream`.
import type { FileHandle } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';

/** Bytes per read. */
export const CHUNK = 256 * 1024;
/** Buffers one piped download may have in flight (reading, or written and not yet flushed). */
const PER_STREAM = 4;
/** Free buffers kept for later downloads. */
const MAX_FREE = 16;
const free: Buffer[] = [];

function take(): Buffer {
  return free.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
}

function give(buf: Buffer): void {
  if (free.length < MAX_FREE) free.push(buf);
}

export class FileRangeStream extends Readable {
  readonly #fh: FileHandle;
  #position: number;
  readonly #end: number;
  readonly #mapError: (err: unknown) => Error;
  #pumping = false;

  /** Reads bytes `start`…`end` (inclusive) of `fh`, and closes it when done or destroyed. */
  constructor(fh: FileHandle, start: number, end: number, mapError: (err: unknown) => Error) {
    super({ highWaterMark: CHUNK });
    this.#fh = fh;
    this.#position = start;
    this.#end = end;
    this.#mapError = mapError;
  }

  override _read(size: number): void {
    const n = Math.min(Math.max(size, CHUNK), this.#end - this.#position + 1);
    if (n <= 0) {
      this.push(null);
      return;
    }
    const buf = Buffer.allocUnsafe(n);
    this.#fh.read(buf, 0, n, this.#position).then(({ bytesRead }) => {
      if (bytesRead === 0) throw Object.assign(new Error('the file is shorter than its header says'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      this.#position += bytesRead;
      this.push(bytesRead === n ? buf : buf.subarray(0, bytesRead));
    }).catch((err: unknown) => this.destroy(this.#mapError(err)));
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#fh.close().then(() => callback(err), () => callback(err));
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Only a fresh stream into a Writable can be pumped with pooled buffers.
    if (this.#pumping || this.readableFlowing !== null || this.readableLength > 0 || typeof (destination as unknown as Writable).write !== 'function') {
      return super.pipe(destination, options);
    }
    this.#pumping = true;
    void this.#pump(destination as unknown as Writable, options?.end !== false);
    return destination;
  }

  async #pump(dest: Writable, end: boolean): Promise<void> {
    let inFlight = 0;
    let wake: (() => void) | undefined;
    const signal = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    let gone = false;
    const onGone = () => {
      gone = true;
      signal();
    };
    dest.once('close', onGone);
    dest.once('error', onGone);
    dest.on('drain', signal);
    try {
      while (this.#position <= this.#end && !gone && !this.destroyed) {
        while (inFlight >= PER_STREAM && !gone && !this.destroyed) await new Promise<void>((r) => { wake = r; });
        if (gone || this.destroyed) break;
        const buf = take();
        const n = Math.min(CHUNK, this.#end - this.#position + 1);
        let bytesRead: number;
        try {
          ({ bytesRead } = await this.#fh.read(buf, 0, n, this.#position));
        } catch (err) {
          give(buf);
          throw err;
        }
        if (bytesRead === 0) {
          give(buf);
          throw Object.assign(new Error('the file is shorter than its header says'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
        }
        this.#position += bytesRead;
        if (gone || this.destroyed) {
          give(buf);
          break;
        }
        inFlight += 1;
        const ok = dest.write(buf.subarray(0, bytesRead), () => {
          // The socket has the bytes (or failed): the buffer is no longer referenced.
          inFlight -= 1;
          give(buf);
          signal();
        });
        if (!ok) {
          while (dest.writableNeedDrain && !gone && !this.destroyed) await new Promise<void>((r) => { wake = r; });
        }
      }
      if (gone || this.destroyed) {
        if (!this.destroyed) this.destroy();
        return;
      }
      if (end) dest.end();
      // Ends this stream as a Readable (its 'end' and 'close'), for whoever watches it.
      this.push(null);
      this.resume();
    } catch (err) {
      this.destroy(this.#mapError(err));
    } finally {
      dest.off('close', onGone);
      dest.off('error', onGone);
      dest.off('drain', signal);
    }
  }
}
