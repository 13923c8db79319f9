// The content MD5 of large local uploads, computed on a worker thread.
//
// MD5 costs ~1.4 ms of CPU per MiB; on the main thread it was the largest cost of a large
// upload (bench/README.md "Why S1's upload misses": 210 MB/s with it in line, 325 without),
// and it stalled every other request while it ran. The local backend hands each 1 MiB write
// batch here instead: one copy (a memcpy, ~0.1 ms/MiB) transferred to a single shared worker
// that keeps one hash per upload. Small uploads (one batch) still hash in line, where a
// message round trip would cost more than the hash.
//
// The worker is plain JavaScript evaluated from a string, so it runs the same under tsx,
// vitest and a built package (no loader for a .ts worker file is needed).
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let h = hashes.get(m.id);
    if (!h) { h = createHash('md5'); hashes.set(m.id, h); }
    h.update(new Uint8Array(m.buf, 0, m.length));
    parentPort.postMessage({ id: m.id, op: 'ack', buf: m.buf }, [m.buf]);
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id) ?? createHash('md5');
    hashes.delete(m.id);
    const d = h.digest();
    parentPort.postMessage({ id: m.id, op: 'digest', digest: d.buffer.slice(d.byteOffset, d.byteOffset + d.length) });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

/** Batches a hash may have queued before `update` waits for the worker (bounds memory per upload). */
const MAX_PENDING = 8;
/** Spare copy buffers kept for the next batches (each ~1 MiB). */
const MAX_SPARE = 8;

// The worker sends each copy back once hashed, and the copies are reused: memory stays at the
// batches in flight. (Left to the worker's garbage collector, whose heap hardly grows, they
// piled up: 40 MB for a 40 MB upload in storage-backends.test.ts.)
const spare: ArrayBuffer[] = [];

function copyOf(parts: readonly Buffer[], length: number): ArrayBuffer {
  let buf: ArrayBuffer | undefined;
  while (spare.length > 0 && !buf) {
    const candidate = spare.pop()!;
    if (candidate.byteLength >= length) buf = candidate;
  }
  buf ??= new ArrayBuffer(Math.max(length, 1024 * 1024 + 64 * 1024));
  const view = new Uint8Array(buf);
  let at = 0;
  for (const p of parts) {
    view.set(p, at);
    at += p.length;
  }
  return buf;
}

interface Waiter {
  pending: number;
  onAck: (() => void) | undefined;
  onDigest: ((d: Buffer) => void) | undefined;
  onError: (err: Error) => void;
}

let worker: Worker | undefined;
let nextId = 1;
const waiters = new Map<number, Waiter>();

function failAll(err: Error): void {
  worker = undefined;
  const all = [...waiters.values()];
  waiters.clear();
  for (const w of all) w.onError(err);
}

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_SOURCE, { eval: true });
  // Never keeps the process alive: a hash without an upload waiting on it is worthless.
  w.unref();
  w.on('message', (m: { id: number; op: 'ack' | 'digest'; digest?: ArrayBuffer; buf?: ArrayBuffer }) => {
    if (m.buf && spare.length < MAX_SPARE) spare.push(m.buf);
    const waiter = waiters.get(m.id);
    if (!waiter) return;
    if (m.op === 'ack') {
      waiter.pending -= 1;
      const wake = waiter.onAck;
      waiter.onAck = undefined;
      wake?.();
    } else {
      waiters.delete(m.id);
      waiter.onDigest?.(Buffer.from(m.digest!));
    }
  });
  w.on('error', (err) => failAll(err));
  w.on('exit', (code) => {
    if (worker === w) failAll(new Error(`md5 worker exited (code ${code})`));
  });
  worker = w;
  return w;
}

/** One upload's MD5 on the shared worker. Feed it in order, then `digest()` or `abort()`. */
export class OffloadedMd5 {
  private readonly id = nextId++;
  private readonly waiter: Waiter;
  private failure: Error | undefined;

  constructor() {
    this.waiter = {
      pending: 0,
      onAck: undefined,
      onDigest: undefined,
      onError: (err) => {
        this.failure = err;
        const wake = this.waiter.onAck;
        this.waiter.onAck = undefined;
        wake?.();
      },
    };
    waiters.set(this.id, this.waiter);
  }

  /** Queues `parts` (copied, so the caller may write them meanwhile); waits while too many batches are queued. */
  async update(parts: readonly Buffer[], length: number): Promise<void> {
    if (this.failure) throw this.failure;
    const buf = copyOf(parts, length);
    this.waiter.pending += 1;
    getWorker().postMessage({ id: this.id, op: 'update', buf, length }, [buf]);
    while (this.waiter.pending >= MAX_PENDING && !this.failure) {
      await new Promise<void>((resolve) => { this.waiter.onAck = resolve; });
    }
    if (this.failure) throw this.failure;
  }

  async digest(): Promise<Buffer> {
    if (this.failure) throw this.failure;
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter.onDigest = resolve;
      this.waiter.onError = reject;
      getWorker().postMessage({ id: this.id, op: 'digest' });
    });
  }

  /** Forgets the hash (a failed or refused upload). */
  abort(): void {
    if (!waiters.delete(this.id)) return;
    worker?.postMessage({ id: this.id, op: 'drop' });
  }
}

/** Stops the worker (tests: a worker that dies fails its uploads instead of hanging them). */
export async function stopMd5Worker(): Promise<void> {
  await worker?.terminate();
}
