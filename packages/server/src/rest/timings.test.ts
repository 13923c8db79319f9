// Server-Timing text: the marked stages in order, each rounded to one decimal.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Timings } from './timings.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Timings', () => {
  it('reports each marked stage in order, to one decimal, leaving out stages not marked', () => {
    const clock = [100, 100.04, 102.55, 112.02, 1112.98];
    vi.spyOn(performance, 'now').mockImplementation(() => clock.shift()!);
    const t = new Timings();
    t.mark('parse');
    t.mark('plan');
    t.mark('execute');
    t.mark('render');
    expect(t.header()).toBe('parse;dur=0.0, plan;dur=2.5, execute;dur=9.5, render;dur=1001.0');
    const partial = new Timings();
    expect(partial.header()).toBe('');
  });
});
