// Which occurrences of a cron expression are due, computed with croner (a maintained parser:
// 5 or 6 fields, seconds first when 6, nicknames such as @daily; no parser of our own). Pure
// and clock-free, so the scheduler's catch-up rules are unit-tested without a database.
// Catch-up is bounded in work as well as in output: croner's nextRun costs ~5 µs, or ~250 µs
// with a named time zone, so the newest `max` occurrences of a long gap are found by bisection
// rather than by walking every occurrence since the last fire (a week of a per-second schedule
// would be 600 000 steps).
import { Cron } from 'croner';

/**
 * A parsed schedule. No time zone means UTC (never the process's local zone, which would make
 * two instances disagree); 'UTC' takes croner's fast fixed-offset path.
 */
export function compileCron(expression: string, timezone?: string): Cron {
  const zone = timezone === undefined || timezone === '' || timezone === 'UTC' || timezone === 'Etc/UTC' ? undefined : timezone;
  const cron = new Cron(expression, zone ? { paused: true, timezone: zone } : { paused: true, utcOffset: 0 });
  cron.nextRun(new Date(0)); // an unknown time zone only throws when first used
  return cron;
}

export interface DueOccurrences {
  /** Oldest first; at most `max`. */
  due: Date[];
  /** Whether older occurrences in the gap were left out (more than `max` were due). */
  truncated: boolean;
  /** Occurrences left out: exact below SKIPPED_COUNT_CAP, which means "at least that many". */
  skipped: number;
}

/** Counting skipped occurrences stops here (each step costs up to ~250 µs in a named zone). */
export const SKIPPED_COUNT_CAP = 1000;

/** Occurrences in (after, now], or up to `limit` + 1 of them. */
function collect(cron: Cron, after: Date, now: number, limit: number): Date[] {
  const out: Date[] = [];
  for (let d = cron.nextRun(after); d && d.getTime() <= now && out.length <= limit; d = cron.nextRun(d)) out.push(d);
  return out;
}

/**
 * The occurrences in (after, now], oldest first; when more than `max` are due only the newest
 * `max` (the older ones are skipped). Costs O(max × log(gap in seconds)) croner steps at worst, O(max) for an evenly spread schedule.
 */
export function dueOccurrences(cron: Cron, after: Date, now: number, max: number): DueOccurrences {
  const first = collect(cron, after, now, max);
  if (first.length <= max) return { due: first, truncated: false, skipped: 0 };
  // More than `max` are due: find a start with between max and 4 × max occurrences in
  // (start, now] and keep its newest max. Gallop back from now in steps of the span the first
  // max + 1 occurrences took (an evenly spread schedule lands in one or two steps), then
  // bisect. Occurrences fall on whole seconds, so once lo and hi are a second apart, (lo, hi]
  // holds at most one and (hi, now] exactly max.
  const start = after.getTime();
  const span = Math.max(1000, first[max]!.getTime() - start);
  const probe = (from: number) => collect(cron, new Date(from), now, 4 * max);
  let lo = start; // (lo, now] holds more than max
  let hi = now; // (hi, now] holds at most max
  let found: Date[] | undefined;
  for (let back = 2 * span; now - back > start && !found; back *= 2) {
    const got = probe(now - back);
    if (got.length > 4 * max) lo = now - back;
    else if (got.length > max) found = got;
    else hi = now - back;
    if (lo !== start) break;
  }
  while (!found && hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const got = probe(mid);
    if (got.length > 4 * max) lo = mid;
    else if (got.length > max) found = got;
    else hi = mid;
  }
  const due = (found ?? probe(hi)).slice(-max);
  const skipped = Math.min(SKIPPED_COUNT_CAP, collect(cron, after, due[0]!.getTime() - 1, SKIPPED_COUNT_CAP).length);
  return { due, truncated: true, skipped };
}
