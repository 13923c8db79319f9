// The cron scheduler's SQL (migrations/015_cron.up.sql): where each schedule has got to, the
// once-only record of fired occurrences, and its pruning. Every time is passed in from the
// scheduler's clock: the database's now() never decides which occurrence is due. Values are
// always parameters.
import type { Queryable } from './queue-store.ts';

export interface CronStateRow {
  schedule_key: string;
  expression: string;
  last_fire_at: Date;
}

/**
 * Makes cron_state match the listed schedules: a new key starts at `now` (no backfill), a
 * changed expression keeps its last_fire_at, a key no longer listed is forgotten. Returns
 * the state of every listed key.
 */
export async function syncCronState(sql: Queryable, listed: { key: string; expression: string }[], now: Date): Promise<CronStateRow[]> {
  // In key order, so two instances syncing at once lock the rows in the same order.
  const schedules = [...listed].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const keys = schedules.map((s) => s.key);
  await sql`delete from jobs.cron_state where not (schedule_key = any(${keys}::text[]))`;
  if (keys.length === 0) return [];
  return sql<CronStateRow[]>`
    with listed as (
      select * from unnest(${keys}::text[], ${schedules.map((s) => s.expression)}::text[]) as l(schedule_key, expression)
    ), upserted as (
      insert into jobs.cron_state (schedule_key, expression, last_fire_at)
      select schedule_key, expression, ${now}::timestamptz from listed
      on conflict (schedule_key) do update set expression = excluded.expression, updated_at = now()
        where cron_state.expression is distinct from excluded.expression
      returning schedule_key, expression, last_fire_at
    )
    select schedule_key, expression, last_fire_at from upserted
    union all
    select s.schedule_key, s.expression, s.last_fire_at from jobs.cron_state s
    where s.schedule_key = any(${keys}::text[]) and s.schedule_key not in (select schedule_key from upserted)`;
}

/**
 * Claims one occurrence inside the caller's transaction: locks the schedule's state row,
 * and succeeds only when the occurrence is past last_fire_at and its (key, fire_at) row is
 * new; then last_fire_at moves to it. False: another instance fired it (or the schedule was
 * forgotten meanwhile). The row lock makes concurrent claimers of one schedule take turns.
 */
export async function claimCronOccurrence(tx: Queryable, key: string, expression: string, fireAt: Date): Promise<boolean> {
  const [state] = await tx<{ last_fire_at: Date }[]>`
    select last_fire_at from jobs.cron_state where schedule_key = ${key} for update`;
  if (!state || state.last_fire_at.getTime() >= fireAt.getTime()) return false;
  const inserted = await tx`
    insert into jobs.cron_runs (schedule_key, fire_at) values (${key}, ${fireAt})
    on conflict (schedule_key, fire_at) do nothing`;
  if (inserted.count === 0) return false;
  await tx`
    update jobs.cron_state set last_fire_at = ${fireAt}, expression = ${expression}, updated_at = now()
    where schedule_key = ${key}`;
  return true;
}

/** Deletes at most `limit` fired-occurrence rows older than `before`; returns how many. */
export async function pruneCronRuns(sql: Queryable, before: Date, limit: number): Promise<number> {
  const rows = await sql`
    delete from jobs.cron_runs r using (
      select schedule_key, fire_at from jobs.cron_runs where fire_at < ${before} order by fire_at limit ${limit}
    ) old
    where r.schedule_key = old.schedule_key and r.fire_at = old.fire_at`;
  return rows.count;
}
