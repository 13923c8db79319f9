import { describe, expect, it } from 'vitest';
import { createSignalHandler } from './lifecycle.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describe('signal handling', () => {
  it('stops gracefully on the first signal and exits 0 when done', async () => {
    const exits: number[] = [];
    let closed = false;
    const handle = createSignalHandler({ close: async () => { closed = true; }, stopNow: () => {} }, quiet, (c) => exits.push(c));
    handle('SIGTERM');
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(true);
    expect(exits).toEqual([0]);
  });

  it('exits at once on a second signal while stopping', () => {
    const exits: number[] = [];
    let stoppedNow = false;
    const handle = createSignalHandler({ close: () => new Promise(() => {}), stopNow: () => { stoppedNow = true; } }, quiet, (c) => exits.push(c));
    handle('SIGTERM');
    expect(exits).toEqual([]);
    handle('SIGINT');
    expect(stoppedNow).toBe(true);
    expect(exits).toEqual([1]);
  });
});
