// The cron scheduler (issue 14 item 5) against a real PostgreSQL, with two scheduler
// instances on one database sharing one fake clock: exactly one leads; every occurrence
// fires once as the clock advances; when the leader's lock session is terminated, its
// process is killed (SIGKILL, a leader in a child process) or it stops, the other takes
// over with no occurrence missed or doubled; two instances that both act as leader still
// fire each occurrence once; a failing fire rolls back and is retried; catch-up is bounded;
// an invalid schedule is skipped while the others fire; a new schedule does not backfill;
// seconds, nicknames and time zones are honoured; fired occurrences are pruned in bounded
// batches. No test sleeps to a wall-clock boundary: the clock is injected and ticks are
// driven by hand (polling only where another session's or process's end must be observed).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { inTransaction } from '../src/db/index.ts';
import { CronScheduler, type CronEntry, type CronSchedulerOptions } from '../src/jobs/cron-scheduler.ts';
import type { Queryable } from '../src/jobs/queue-store.ts';
import { createLogger } from '../src/observability/index.ts';
import { createTestDatabase, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;
let clock: number;
const schedulers: CronScheduler[] = [];
const MINUTE = 60_000;

/** The app's wiring: one transaction on a reserved pool connection (db/transaction.ts). */
async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const conn = await sql.reserve();
  try {
    return await inTransaction(conn, fn);
  } finally {
    conn.release();
  }
}

/** Records each fire in the claiming transaction, like submitJob will; no unique key, so a double would show. */
async function recordFire(entry: CronEntry, fireAt: Date, tx: Queryable, by: string): Promise<void> {
  await tx`insert into cron_fired (key, fire_at, by) values (${entry.key}, ${fireAt}, ${by})`;
}

function scheduler(name: string, entries: () => CronEntry[], over: Partial<CronSchedulerOptions> = {}): CronScheduler {
  const s = new CronScheduler({
    transaction,
    listEntries: async () => entries(),
    fire: (entry, fireAt, tx) => recordFire(entry, fireAt, tx, name),
    leader: { url: db.url, applicationName: `cron-test-${name}`, connectTimeoutMs: 2_000 },
    logger: createLogger({ level: 'silent', format: 'json' }),
    now: () => clock,
    electionIntervalMs: 0,
    ...over,
  });
  schedulers.push(s);
  return s;
}

async function fired(): Promise<{ key: string; fire_at: string; by: string }[]> {
  const rows = await sql<{ key: string; fire_at: Date; by: string }[]>`select key, fire_at, by from cron_fired order by key, fire_at, by`;
  return rows.map((r) => ({ key: r.key, fire_at: r.fire_at.toISOString(), by: r.by }));
}

const at = (iso: string) => Date.parse(iso);
const minutes = (from: string, n: number) => Array.from({ length: n }, (_, i) => new Date(at(from) + i * MINUTE).toISOString());

async function lockSessionPid(name: string): Promise<number | undefined> {
  const [row] = await sql<{ pid: number }[]>`select pid from pg_stat_activity where application_name = ${`cron-test-${name}`}`;
  return row?.pid;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 8, onnotice: () => {} });
  await sql`create table cron_fired (key text not null, fire_at timestamptz not null, by text not null)`;
});
beforeEach(async () => {
  await sql`delete from jobs.cron_state`;
  await sql`delete from jobs.cron_runs`;
  await sql`delete from cron_fired`;
  clock = at('2030-01-01T00:00:30Z');
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

describe('leadership', () => {
  it('makes exactly one of two instances the leader, which fires each minute once', async () => {
    const entries = () => [{ key: 'job:default/minutely', expression: '* * * * *' }];
    const a = scheduler('a', entries);
    const b = scheduler('b', entries);
    expect((await a.tick()).leader).toBe(true);
    expect((await b.tick()).leader).toBe(false);
    for (let i = 0; i < 5; i++) {
      clock += MINUTE;
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      expect([ra.leader, rb.leader]).toEqual([true, false]);
    }
    expect(a.isLeader && !b.isLeader).toBe(true);
    expect(await fired()).toEqual(minutes('2030-01-01T00:01:00Z', 5).map((fire_at) => ({ key: 'job:default/minutely', fire_at, by: 'a' })));
    const [runs] = await sql<{ n: number }[]>`select count(*)::int as n from jobs.cron_runs`;
    expect(runs!.n).toBe(5);
  });

  it('hands over when the leader\'s lock session is terminated, with no occurrence missed or doubled', async () => {
    const entries = () => [{ key: 'job:default/minutely', expression: '* * * * *' }];
    const a = scheduler('a', entries);
    const b = scheduler('b', entries);
    await a.tick();
    await b.tick();
    for (let i = 0; i < 2; i++) {
      clock += MINUTE;
      await Promise.all([a.tick(), b.tick()]);
    }
    // The leader's session dies (as when its process is killed): PostgreSQL frees the lock.
    const pid = await lockSessionPid('a');
    expect(pid).toBeDefined();
    await sql`select pg_terminate_backend(${pid!})`;
    await vi.waitFor(() => expect(a.isLeader).toBe(false), { timeout: 5_000, interval: 20 });
    // Two occurrences fall due while nobody leads.
    clock += 2 * MINUTE;
    await vi.waitFor(async () => expect((await b.tick()).leader).toBe(true), { timeout: 5_000, interval: 20 });
    for (let i = 0; i < 2; i++) {
      clock += MINUTE;
      const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
      expect([ra.leader, rb.leader]).toEqual([false, true]);
    }
    expect(await fired()).toEqual([
      ...minutes('2030-01-01T00:01:00Z', 2).map((fire_at) => ({ key: 'job:default/minutely', fire_at, by: 'a' })),
      ...minutes('2030-01-01T00:03:00Z', 4).map((fire_at) => ({ key: 'job:default/minutely', fire_at, by: 'b' })),
    ]);
  });

  it('hands over at once on a graceful stop', async () => {
    const entries = () => [{ key: 'job:default/minutely', expression: '* * * * *' }];
    const a = scheduler('a', entries);
    const b = scheduler('b', entries);
    await a.tick();
    expect((await b.tick()).leader).toBe(false);
    clock += MINUTE;
    await a.tick();
    await a.stop();
    expect(a.isLeader).toBe(false);
    expect(await lockSessionPid('a')).toBeUndefined();
    clock += MINUTE;
    expect((await b.tick()).leader).toBe(true); // the very next try: the lock was released, not left to time out
    expect(await fired()).toEqual([
      { key: 'job:default/minutely', fire_at: '2030-01-01T00:01:00.000Z', by: 'a' },
      { key: 'job:default/minutely', fire_at: '2030-01-01T00:02:00.000Z', by: 'b' },
    ]);
  });

  it('runs on its own timers: one of two started instances leads, and the other takes over when it stops', async () => {
    const entries = () => [{ key: 'job:default/minutely', expression: '* * * * *' }];
    const a = scheduler('a', entries, { tickMs: 20, electionIntervalMs: 20 });
    const b = scheduler('b', entries, { tickMs: 20, electionIntervalMs: 20 });
    a.start();
    b.start();
    await vi.waitFor(() => expect(Number(a.isLeader) + Number(b.isLeader)).toBe(1), { timeout: 5_000, interval: 10 });
    const [leader, other] = a.isLeader ? [a, b] : [b, a];
    clock += MINUTE;
    await vi.waitFor(async () => expect(await fired()).toHaveLength(1), { timeout: 5_000, interval: 20 });
    await leader.stop();
    await vi.waitFor(() => expect(other.isLeader).toBe(true), { timeout: 5_000, interval: 10 });
    clock += MINUTE;
    await vi.waitFor(async () => expect((await fired()).map((r) => r.fire_at)).toEqual(minutes('2030-01-01T00:01:00Z', 2)), { timeout: 5_000, interval: 20 });
  });
});

/**
 * A scheduler in a child process, ticked over IPC with the shared clock, so the test can
 * SIGKILL it like a crashed instance (no unlock, no goodbye: only the socket closing).
 */
function childScheduler(): { tick(clock: number): Promise<{ leader: boolean; fired: number }>; child: ChildProcess; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-cron-child-'));
  const file = path.join(dir, 'child.mts');
  const resolveHere = createRequire(import.meta.url);
  const schedulerUrl = new URL('../src/jobs/cron-scheduler.ts', import.meta.url).href;
  const observabilityUrl = new URL('../src/observability/index.ts', import.meta.url).href;
  writeFileSync(file, `
    const { CronScheduler } = await import(${JSON.stringify(schedulerUrl)});
    const { createLogger } = await import(${JSON.stringify(observabilityUrl)});
    const postgres = (await import(${JSON.stringify(pathToFileURL(resolveHere.resolve('postgres')).href)})).default;
    const sql = postgres(${JSON.stringify(db.url)}, { max: 2, onnotice: () => {} });
    let clock = 0;
    const s = new CronScheduler({
      transaction: (fn) => sql.begin((tx) => fn(tx)),
      listEntries: async () => [{ key: 'job:default/minutely', expression: '* * * * *' }],
      fire: async (entry, fireAt, tx) => { await tx\`insert into cron_fired (key, fire_at, by) values (\${entry.key}, \${fireAt}, 'child')\`; },
      leader: { url: ${JSON.stringify(db.url)}, applicationName: 'cron-test-child' },
      logger: createLogger({ level: 'silent', format: 'json' }),
      now: () => clock,
      electionIntervalMs: 0,
    });
    process.on('message', async (m) => { clock = m.clock; const r = await s.tick(); process.send({ leader: r.leader, fired: r.fired }); });
    process.send('ready');
  `);
  const child = fork(file, [], { cwd: fileURLToPath(new URL('..', import.meta.url)), execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replies: ((m: { leader: boolean; fired: number }) => void)[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (m) => (m === 'ready' ? resolve() : replies.shift()?.(m as { leader: boolean; fired: number })));
  });
  return {
    child, dir,
    async tick(at: number) {
      await ready;
      const reply = new Promise<{ leader: boolean; fired: number }>((resolve) => replies.push(resolve));
      child.send({ clock: at });
      return reply;
    },
  };
}

describe('a leader that dies', () => {
  it('is replaced when its process is killed, with no occurrence missed or doubled', async () => {
    const leader = childScheduler();
    try {
      expect(await leader.tick(clock)).toEqual({ leader: true, fired: 0 });
      const b = scheduler('b', () => [{ key: 'job:default/minutely', expression: '* * * * *' }]);
      expect((await b.tick()).leader).toBe(false);
      for (let i = 0; i < 2; i++) {
        clock += MINUTE;
        expect(await leader.tick(clock)).toEqual({ leader: true, fired: 1 });
        expect((await b.tick()).leader).toBe(false);
      }
      leader.child.kill('SIGKILL');
      clock += 2 * MINUTE; // two occurrences fall due while the crashed leader still seems to hold the lock
      await vi.waitFor(async () => expect((await b.tick()).leader).toBe(true), { timeout: 10_000, interval: 20 });
      clock += MINUTE;
      expect(await b.tick()).toMatchObject({ leader: true, fired: 1 });
      expect(await fired()).toEqual([
        ...minutes('2030-01-01T00:01:00Z', 2).map((fire_at) => ({ key: 'job:default/minutely', fire_at, by: 'child' })),
        ...minutes('2030-01-01T00:03:00Z', 3).map((fire_at) => ({ key: 'job:default/minutely', fire_at, by: 'b' })),
      ]);
    } finally {
      leader.child.kill('SIGKILL');
      rmSync(leader.dir, { recursive: true, force: true });
    }
  });
});

describe('exactly once', () => {
  it('fires each occurrence once even when two instances both act as leader', async () => {
    const entries = () => [
      { key: 'job:default/minutely', expression: '* * * * *' },
      { key: 'function:default/every-20s', expression: '*/20 * * * * *' },
    ];
    const slowFire = (by: string) => async (entry: CronEntry, fireAt: Date, tx: Queryable) => {
      await recordFire(entry, fireAt, tx, by);
      await new Promise((r) => setTimeout(r, 2)); // keep the transactions open so the two overlap
    };
    const a = scheduler('a', entries, { fire: slowFire('a') });
    const b = scheduler('b', entries, { fire: slowFire('b') });
    await Promise.all([a.fireDue(), b.fireDue()]);
    clock += 3 * MINUTE; // a catch-up of several occurrences at once, raced by both
    const rounds = [await Promise.all([a.fireDue(), b.fireDue()])];
    for (let i = 0; i < 3; i++) {
      clock += 20_000;
      rounds.push(await Promise.all([a.fireDue(), b.fireDue()]));
    }
    const rows = await fired();
    const expected = [
      ...minutes('2030-01-01T00:01:00Z', 4).map((fire_at) => ({ key: 'job:default/minutely', fire_at })),
      ...Array.from({ length: 12 }, (_, i) => ({ key: 'function:default/every-20s', fire_at: new Date(at('2030-01-01T00:00:40Z') + i * 20_000).toISOString() })),
    ];
    expect(rows.map(({ key, fire_at }) => ({ key, fire_at }))).toEqual(expect.arrayContaining(expected));
    expect(rows).toHaveLength(expected.length);
    expect(rounds.flat().reduce((n, r) => n + r.fired, 0)).toBe(expected.length);
  });

  it('rolls a failing fire back and retries it next tick, keeping later occurrences behind it', async () => {
    let failures = 1;
    const a = scheduler('a', () => [{ key: 'job:default/minutely', expression: '* * * * *' }], {
      fire: async (entry, fireAt, tx) => {
        await recordFire(entry, fireAt, tx, 'a'); // rolled back with the claim
        if (failures-- > 0) throw new Error('the queue is unavailable');
      },
    });
    await a.tick();
    clock += 2 * MINUTE;
    expect(await a.tick()).toMatchObject({ leader: true, fired: 0 });
    expect(await fired()).toEqual([]);
    const [state] = await sql<{ last_fire_at: Date }[]>`select last_fire_at from jobs.cron_state`;
    expect(state!.last_fire_at.toISOString()).toBe('2030-01-01T00:00:30.000Z');
    expect(await a.tick()).toMatchObject({ leader: true, fired: 2 });
    expect((await fired()).map((r) => r.fire_at)).toEqual(minutes('2030-01-01T00:01:00Z', 2));
    expect(a.totals).toMatchObject({ fired: 2, errors: 1 });
  });

  it('survives a failing listEntries and keeps going', async () => {
    let broken = true;
    const a = scheduler('a', () => {
      if (broken) throw new Error('catalog unavailable');
      return [{ key: 'job:default/minutely', expression: '* * * * *' }];
    });
    expect(await a.tick()).toEqual({ leader: true, fired: 0, skipped: 0 });
    broken = false;
    await a.tick();
    clock += MINUTE;
    expect(await a.tick()).toMatchObject({ fired: 1 });
  });
});

describe('schedules', () => {
  it('bounds catch-up to the newest maxCatchUp occurrences and counts the skipped ones', async () => {
    const a = scheduler('a', () => [{ key: 'job:default/minutely', expression: '* * * * *' }], { maxCatchUp: 5 });
    await a.tick();
    clock = at('2030-01-01T00:30:10Z');
    expect(await a.tick()).toEqual({ leader: true, fired: 5, skipped: 25 });
    expect((await fired()).map((r) => r.fire_at)).toEqual(minutes('2030-01-01T00:26:00Z', 5));
    expect(a.totals.skipped).toBe(25);
    clock += MINUTE;
    expect(await a.tick()).toEqual({ leader: true, fired: 1, skipped: 0 });
  });

  it('skips an invalid schedule, warning once, while the others fire', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const a = scheduler('a', () => [
      { key: 'job:default/bad', expression: 'every minute' },
      { key: 'job:default/bad-zone', expression: '* * * * *', timezone: 'Mars/Olympus_Mons' },
      { key: 'job:default/good', expression: '* * * * *' },
    ], { logger: createLogger({ level: 'warn', format: 'json', destination }) });
    await a.tick();
    for (let i = 0; i < 3; i++) {
      clock += MINUTE;
      await a.tick();
    }
    expect(await fired()).toEqual(minutes('2030-01-01T00:01:00Z', 3).map((fire_at) => ({ key: 'job:default/good', fire_at, by: 'a' })));
    const warnings = lines.map((l) => JSON.parse(l) as { msg: string; key?: string }).filter((l) => /invalid cron schedule/.test(l.msg));
    expect(warnings.map((w) => w.key).sort()).toEqual(['job:default/bad', 'job:default/bad-zone']);
    expect((await sql`select schedule_key from jobs.cron_state`).map((r) => r.schedule_key)).toEqual(['job:default/good']);
  });

  it('starts a new schedule at now, keeps its position across an expression change, and forgets a removed one', async () => {
    let entries: CronEntry[] = [];
    const a = scheduler('a', () => entries);
    await a.tick();
    clock = at('2030-01-01T00:10:30Z');
    entries = [{ key: 'job:default/x', expression: '* * * * *' }];
    expect(await a.tick()).toMatchObject({ fired: 0 }); // no backfill from before it was listed
    clock = at('2030-01-01T00:11:00Z');
    expect(await a.tick()).toMatchObject({ fired: 1 });
    entries = [{ key: 'job:default/x', expression: '*/5 * * * *' }];
    clock = at('2030-01-01T00:16:00Z');
    expect(await a.tick()).toMatchObject({ fired: 1 }); // 00:15 under the new expression, from 00:11
    entries = [];
    await a.tick();
    expect(await sql`select 1 from jobs.cron_state`).toHaveLength(0);
    clock = at('2030-01-01T00:40:30Z');
    entries = [{ key: 'job:default/x', expression: '*/5 * * * *' }];
    expect(await a.tick()).toMatchObject({ fired: 0 }); // listed again: afresh, no catch-up of 00:20–00:40
    expect((await fired()).map((r) => r.fire_at)).toEqual(['2030-01-01T00:11:00.000Z', '2030-01-01T00:15:00.000Z']);
  });

  it('honours seconds (6 fields), nicknames and time zones', async () => {
    const a = scheduler('a', () => [
      { key: 'function:default/every-15s', expression: '*/15 * * * * *' },
      { key: 'job:default/daily', expression: '@daily' },
      { key: 'job:default/nine-in-new-york', expression: '0 9 * * *', timezone: 'America/New_York' },
      { key: 'job:default/nine-utc', expression: '0 9 * * *' },
    ], { maxCatchUp: 3 });
    await a.tick();
    clock = at('2030-01-01T00:01:00Z');
    await a.tick();
    clock = at('2030-01-02T14:00:00Z');
    await a.tick();
    const byKey = (key: string) => fired().then((rows) => rows.filter((r) => r.key === key).map((r) => r.fire_at));
    expect(await byKey('function:default/every-15s')).toEqual([
      '2030-01-01T00:00:45.000Z', '2030-01-01T00:01:00.000Z', // seconds, one by one
      '2030-01-02T13:59:30.000Z', '2030-01-02T13:59:45.000Z', '2030-01-02T14:00:00.000Z', // then the newest 3 of the gap
    ]);
    expect(await byKey('job:default/daily')).toEqual(['2030-01-02T00:00:00.000Z']);
    expect(await byKey('job:default/nine-in-new-york')).toEqual(['2030-01-01T14:00:00.000Z', '2030-01-02T14:00:00.000Z']);
    expect(await byKey('job:default/nine-utc')).toEqual(['2030-01-01T09:00:00.000Z', '2030-01-02T09:00:00.000Z']);
  });

  it('prunes fired occurrences past the retention, a bounded batch at a time', async () => {
    await sql`
      insert into jobs.cron_runs (schedule_key, fire_at)
      select 'job:default/old', timestamptz '2029-12-01T00:00:00Z' + make_interval(mins => i) from generate_series(1, 25) i`;
    const a = scheduler('a', () => [{ key: 'job:default/minutely', expression: '* * * * *' }], { pruneBatch: 10, pruneEveryMs: MINUTE });
    const count = async () => (await sql<{ n: number }[]>`select count(*)::int as n from jobs.cron_runs where schedule_key = 'job:default/old'`)[0]!.n;
    await a.tick();
    expect(await count()).toBe(15);
    clock += 1_000;
    await a.tick(); // not a minute since the last prune
    expect(await count()).toBe(15);
    clock += MINUTE;
    await a.tick();
    expect(await count()).toBe(5);
    expect(await sql`select 1 from jobs.cron_runs where schedule_key = 'job:default/minutely'`).toHaveLength(1);
  });
});
