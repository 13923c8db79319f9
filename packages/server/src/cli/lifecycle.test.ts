import { describe, expect, it } from 'vitest';
import { createFaultHandlers, createSignalHandler } from './lifecycle.ts';

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

describe('fault handlers (last resort)', () => {
  const counter = () => {
    const seen: string[] = [];
    return { seen, inc: (l: { kind: string }) => void seen.push(l.kind) };
  };

  it('counts and logs an unhandled rejection and keeps running', () => {
    const faults = counter();
    const logged: string[] = [];
    const exits: number[] = [];
    const h = createFaultHandlers({ close: async () => {}, stopNow: () => {} }, { ...quiet, error: (_o, m) => void logged.push(m) }, faults, (c) => exits.push(c));
    h.onRejection(new Error('lost'));
    expect(faults.seen).toEqual(['unhandled_rejection']);
    expect(logged[0]).toMatch(/unhandled promise rejection/);
    expect(exits).toEqual([]);
  });

  it('counts an uncaught exception, stops gracefully once, and exits 70', async () => {
    const faults = counter();
    const exits: number[] = [];
    let closes = 0;
    const h = createFaultHandlers({ close: async () => { closes++; }, stopNow: () => {} }, quiet, faults, (c) => exits.push(c));
    h.onException(new Error('boom'));
    h.onException(new Error('again'));
    await new Promise((r) => setImmediate(r));
    expect(faults.seen).toEqual(['uncaught_exception', 'uncaught_exception']);
    expect(closes).toBe(1);
    expect(exits).toEqual([70]);
  });
});
