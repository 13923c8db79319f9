import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OffloadedMd5, stopMd5Worker } from './md5-offload.ts';

const MB = 1024 * 1024;

function batches(count: number, seed: number): Buffer[][] {
  return Array.from({ length: count }, (_, i) => [randomBytes(MB / 2 + seed), randomBytes(MB / 2 + i)]);
}

function expected(all: Buffer[][]): string {
  const h = createHash('md5');
  for (const parts of all) for (const p of parts) h.update(p);
  return h.digest('hex');
}

async function hashOn(worker: OffloadedMd5, all: Buffer[][]): Promise<string> {
  for (const parts of all) await worker.update(parts, parts.reduce((n, p) => n + p.length, 0));
  return (await worker.digest()).toString('hex');
}

describe('OffloadedMd5', () => {
  it('digests batches in order, several uploads interleaved on the one worker', async () => {
    const a = batches(20, 1);
    const b = batches(13, 7);
    const [ha, hb] = await Promise.all([hashOn(new OffloadedMd5(), a), hashOn(new OffloadedMd5(), b)]);
    expect(ha).toBe(expected(a));
    expect(hb).toBe(expected(b));
  });

  it('leaves the caller its buffers (the worker gets a copy)', async () => {
    const parts = [Buffer.alloc(2 * MB, 0x61)];
    const h = new OffloadedMd5();
    await h.update(parts, 2 * MB);
    expect(parts[0]!.length).toBe(2 * MB);
    expect(parts[0]![2 * MB - 1]).toBe(0x61);
    expect((await h.digest()).toString('hex')).toBe(createHash('md5').update(parts[0]!).digest('hex'));
  });

  it('an aborted hash is dropped; the next one is unaffected', async () => {
    const dropped = new OffloadedMd5();
    await dropped.update([randomBytes(MB)], MB);
    dropped.abort();
    const all = batches(3, 3);
    expect(await hashOn(new OffloadedMd5(), all)).toBe(expected(all));
  });

  it('a worker that dies fails the hashes in progress (no hang), and a new worker serves the next', async () => {
    const h = new OffloadedMd5();
    await h.update([randomBytes(MB)], MB);
    await stopMd5Worker();
    await expect(h.digest()).rejects.toThrow(/md5 worker exited/);
    const all = batches(2, 5);
    expect(await hashOn(new OffloadedMd5(), all)).toBe(expected(all));
  });
});
