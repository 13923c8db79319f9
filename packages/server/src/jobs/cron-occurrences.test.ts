// Due occurrences without a database: (after, now] semantics, 5- and 6-field expressions and
// nicknames, UTC by default and named zones honoured, invalid input refused, and catch-up
// bounded to the newest `max` with a bounded amount of work.
import { describe, expect, it } from 'vitest';
import { compileCron, dueOccurrences, SKIPPED_COUNT_CAP } from './cron-occurrences.ts';

const t = (iso: string) => new Date(iso);
const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('dueOccurrences', () => {
  const cases: { name: string; expr: string; tz?: string; after: string; now: string; max?: number; due: string[] }[] = [
    { name: 'every minute, after excluded and now included', expr: '* * * * *', after: '2024-01-01T00:00:00Z', now: '2024-01-01T00:03:00Z',
      due: ['2024-01-01T00:01:00.000Z', '2024-01-01T00:02:00.000Z', '2024-01-01T00:03:00.000Z'] },
    { name: 'nothing due yet', expr: '*/5 * * * *', after: '2024-01-01T00:05:00Z', now: '2024-01-01T00:09:59.999Z', due: [] },
    { name: '6 fields: seconds first', expr: '*/20 * * * * *', after: '2024-01-01T00:00:00.500Z', now: '2024-01-01T00:01:00Z',
      due: ['2024-01-01T00:00:20.000Z', '2024-01-01T00:00:40.000Z', '2024-01-01T00:01:00.000Z'] },
    { name: '@daily in UTC by default', expr: '@daily', after: '2024-01-01T12:00:00Z', now: '2024-01-03T12:00:00Z',
      due: ['2024-01-02T00:00:00.000Z', '2024-01-03T00:00:00.000Z'] },
    { name: '@hourly', expr: '@hourly', after: '2024-01-01T00:30:00Z', now: '2024-01-01T02:00:00Z',
      due: ['2024-01-01T01:00:00.000Z', '2024-01-01T02:00:00.000Z'] },
    { name: 'a named zone: 09:00 in New York is 14:00 UTC in winter', expr: '0 9 * * *', tz: 'America/New_York', after: '2024-01-01T00:00:00Z', now: '2024-01-02T00:00:00Z',
      due: ['2024-01-01T14:00:00.000Z'] },
    { name: 'catch-up keeps the newest max', expr: '* * * * *', after: '2024-01-01T00:00:00Z', now: '2024-01-01T01:00:30Z', max: 3,
      due: ['2024-01-01T00:58:00.000Z', '2024-01-01T00:59:00.000Z', '2024-01-01T01:00:00.000Z'] },
  ];
  it.each(cases)('$name', ({ expr, tz, after, now, max, due }) => {
    expect(iso(dueOccurrences(compileCron(expr, tz), t(after), t(now).getTime(), max ?? 100).due)).toEqual(due);
  });

  it('counts what catch-up skipped, up to SKIPPED_COUNT_CAP', () => {
    const everyMinute = compileCron('* * * * *');
    expect(dueOccurrences(everyMinute, t('2024-01-01T00:00:00Z'), t('2024-01-01T00:05:00Z').getTime(), 3)).toMatchObject({ truncated: true, skipped: 2 });
    expect(dueOccurrences(everyMinute, t('2024-01-01T00:00:00Z'), t('2024-01-01T01:00:00Z').getTime(), 3)).toMatchObject({ truncated: true, skipped: 57 });
    expect(dueOccurrences(everyMinute, t('2024-01-01T00:00:00Z'), t('2024-02-01T00:00:00Z').getTime(), 3)).toMatchObject({ truncated: true, skipped: SKIPPED_COUNT_CAP });
    expect(dueOccurrences(everyMinute, t('2024-01-01T00:00:00Z'), t('2024-01-01T00:03:00Z').getTime(), 3)).toMatchObject({ truncated: false, skipped: 0 });
  });

  it('finds the newest occurrences of a long gap of a dense schedule quickly, even in a named zone', () => {
    const started = performance.now();
    const r = dueOccurrences(compileCron('* * * * * *', 'Europe/Paris'), t('2024-01-01T00:00:00Z'), t('2024-01-08T00:00:00Z').getTime(), 100);
    expect(r.due).toHaveLength(100);
    expect(r.due.at(-1)!.toISOString()).toBe('2024-01-08T00:00:00.000Z');
    expect(r.due[0]!.toISOString()).toBe('2024-01-07T23:58:21.000Z');
    expect(performance.now() - started).toBeLessThan(5_000); // a full walk would take minutes in a named zone
  });

  it('handles a schedule whose occurrences cluster far from now', () => {
    // Every second of 09:00–09:59 UTC, then nothing for 23 hours: the bisection still lands on the newest 10.
    const r = dueOccurrences(compileCron('* * 9 * * *'), t('2024-01-01T00:00:00Z'), t('2024-01-03T20:00:00Z').getTime(), 10);
    expect(iso(r.due)).toEqual(Array.from({ length: 10 }, (_, i) => `2024-01-03T09:59:${String(50 + i).padStart(2, '0')}.000Z`));
  });

  it('refuses what croner refuses: wrong field counts, out-of-range values, unknown zones', () => {
    for (const [expr, tz] of [['nope'], ['* * *'], ['61 * * * *'], ['* * * * * * *'], ['* * * * *', 'Mars/Base']] as const) {
      expect(() => compileCron(expr, tz), `${expr} ${tz ?? ''}`).toThrow();
    }
  });

  it('a date that never comes yields nothing', () => {
    expect(dueOccurrences(compileCron('0 0 30 2 *'), t('2024-01-01T00:00:00Z'), t('2030-01-01T00:00:00Z').getTime(), 100).due).toEqual([]);
  });
});
