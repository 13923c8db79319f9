// The reconnect schedule: doubling from the initial delay to the cap, the jitter band,
// and option checks.
import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffSettings, DEFAULT_BACKOFF } from './backoff.ts';

const middle = () => 0.5; // no jitter: factor 1

describe('backoffDelay', () => {
  it.each([
    [0, 1_000], [1, 2_000], [2, 4_000], [3, 8_000], [4, 16_000], [5, 30_000], [6, 30_000], [100, 30_000], [10_000, 30_000],
  ])('attempt %i waits %i ms with the defaults', (attempt, ms) => {
    expect(backoffDelay(attempt, DEFAULT_BACKOFF, middle)).toBe(ms);
  });

  it.each<[string, number, number, number]>([
    ['lowest random', 0, 0, 800],
    ['highest random', 0.999999, 0, 1_200],
    ['lowest random at the cap', 0, 10, 24_000],
    ['highest random at the cap stays at the cap', 0.999999, 10, 30_000],
  ])('jitter ±20 %%: %s', (_name, random, attempt, ms) => {
    expect(backoffDelay(attempt, DEFAULT_BACKOFF, () => random)).toBe(ms);
  });

  it('follows configured values', () => {
    const s = backoffSettings({ initialDelayMs: 50, maxDelayMs: 300, jitter: 0 });
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, s, Math.random))).toEqual([50, 100, 200, 300, 300]);
  });
});

describe('backoffSettings', () => {
  it('defaults to 1 s doubling to 30 s, ±20 %, unlimited attempts', () => {
    expect(backoffSettings()).toEqual({ initialDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2, maxAttempts: Infinity });
  });

  it.each([
    [{ initialDelayMs: -1 }],
    [{ initialDelayMs: Number.NaN }],
    [{ initialDelayMs: 5_000, maxDelayMs: 1_000 }],
    [{ maxDelayMs: Infinity }],
    [{ jitter: 1.5 }],
    [{ jitter: -0.1 }],
    [{ maxAttempts: 0 }],
  ])('refuses %j', (options) => {
    expect(() => backoffSettings(options)).toThrow(RangeError);
  });
});
