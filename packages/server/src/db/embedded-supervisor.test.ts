// The embedded PostgreSQL supervisor as a state machine: fake postmasters, an injected
// clock and sleeps that resolve at once, so every path is exercised without a database.
import { describe, expect, it } from 'vitest';
import type { Observation } from '../observability/index.ts';
import { defaultBackoffMs, superviseEmbedded, type Postmaster, type SupervisorOptions } from './embedded-supervisor.ts';

/** A postmaster that exits when told to. */
function fakePostmaster(pid: number): Postmaster & { die(how?: string): void } {
  let die!: (how: string) => void;
  const exited = new Promise<string>((resolve) => (die = resolve));
  return { pid, exited, kill: () => die('signal SIGINT'), die: (how = 'signal SIGKILL') => die(how) };
}

interface Harness {
  events: Observation[];
  /** Live postmaster pid as `runningPid()` reports it. */
  running: { pid: number | undefined };
  launches: number;
  sleeps: number[];
  options: SupervisorOptions;
  /** Let pending promise callbacks run. */
  settle(): Promise<void>;
}

function harness(launch: (h: Harness) => Promise<Postmaster>, extra: Partial<SupervisorOptions> = {}): Harness {
  let clock = 0;
  const h: Harness = {
    events: [], running: { pid: undefined }, launches: 0, sleeps: [],
    options: undefined as unknown as SupervisorOptions,
    settle: async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    },
  };
  h.options = {
    launch: () => {
      h.launches++;
      return launch(h);
    },
    runningPid: () => h.running.pid,
    observe: (e) => h.events.push(e),
    maxAttempts: 3,
    now: () => clock,
    // Instant, but yielding to the event loop, so polling loops cannot starve the test.
    sleep: async (ms) => {
      h.sleeps.push(ms);
      clock += ms;
      await new Promise((r) => setImmediate(r));
    },
    ...extra,
  };
  return h;
}

describe('defaultBackoffMs', () => {
  it('doubles from 500 ms and stops growing at 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(defaultBackoffMs)).toEqual([500, 1000, 2000, 4000, 8000, 10000, 10000]);
  });
});

describe('owner: the postmaster this instance started exits', () => {
  it('restarts it after the backoff and reports running again', async () => {
    const first = fakePostmaster(1);
    const second = fakePostmaster(2);
    const h = harness(async (hh) => {
      hh.running.pid = 2;
      return second;
    });
    const sup = superviseEmbedded({ owned: first }, h.options);
    expect(sup.status()).toBe('running');
    first.die();
    await h.settle();
    expect(h.launches).toBe(1);
    expect(h.sleeps).toEqual([500]);
    expect(sup.status()).toBe('running');
    expect(sup.owned()).toBe(second);
    expect(h.events).toEqual([
      { type: 'embedded_pg.exited', status: 'signal SIGKILL' },
      { type: 'embedded_pg.restart', attempt: 1, outcome: 'started' },
    ]);
    sup.stop();
  });

  it('is "restarting" while it waits before an attempt', async () => {
    const first = fakePostmaster(1);
    let release!: () => void;
    const h = harness(async () => fakePostmaster(2), { sleep: () => new Promise<void>((r) => (release = r)) });
    const sup = superviseEmbedded({ owned: first }, h.options);
    first.die();
    await h.settle();
    expect(sup.status()).toBe('restarting');
    release();
    await h.settle();
    expect(sup.status()).toBe('running');
    sup.stop();
  });

  it('gives up after maxAttempts failures, then notices a postmaster started by hand', async () => {
    const first = fakePostmaster(1);
    const h = harness(async () => {
      throw new Error('pre-existing shared memory block is still in use');
    });
    const sup = superviseEmbedded({ owned: first }, h.options);
    first.die();
    await h.settle();
    expect(h.launches).toBe(3);
    expect(h.sleeps.slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(sup.status()).toBe('failed');
    expect(h.events.filter((e) => e.type === 'embedded_pg.restart').map((e) => (e as { outcome: string }).outcome)).toEqual(['failed', 'failed', 'failed']);
    expect(h.events.at(-1)).toEqual({ type: 'embedded_pg.gave_up', attempts: 3 });
    // An operator starts it: the next poll sees it.
    h.running.pid = 42;
    await h.settle();
    expect(sup.status()).toBe('running');
    expect(h.launches).toBe(3);
    sup.stop();
  });

  it('attaches instead of starting when another instance already restarted it', async () => {
    const first = fakePostmaster(1);
    const h = harness(async () => fakePostmaster(3));
    const sup = superviseEmbedded({ owned: first }, h.options);
    h.running.pid = 99; // another instance won the race
    first.die();
    await h.settle();
    expect(h.launches).toBe(0);
    expect(sup.status()).toBe('running');
    expect(sup.owned()).toBeUndefined();
    expect(h.events.at(-1)).toEqual({ type: 'embedded_pg.restart', attempt: 1, outcome: 'attached' });
    sup.stop();
  });

  it('attaches when its own start loses the race for the data directory', async () => {
    const first = fakePostmaster(1);
    const h = harness(async (hh) => {
      hh.running.pid = 77; // the other instance's postmaster holds postmaster.pid
      throw new Error('lock file "postmaster.pid" already exists');
    });
    const sup = superviseEmbedded({ owned: first }, h.options);
    first.die();
    await h.settle();
    expect(h.launches).toBe(1);
    expect(sup.status()).toBe('running');
    expect(h.events.at(-1)).toEqual({ type: 'embedded_pg.restart', attempt: 1, outcome: 'attached' });
    sup.stop();
  });

  it('does nothing when stopped before the postmaster exits (a deliberate shutdown)', async () => {
    const first = fakePostmaster(1);
    const h = harness(async () => fakePostmaster(2));
    const sup = superviseEmbedded({ owned: first }, h.options);
    sup.stop();
    first.die('signal SIGINT');
    await h.settle();
    expect(h.launches).toBe(0);
    expect(h.events).toEqual([]);
    expect(sup.status()).toBe('stopped');
  });

  it('counts attempts across a crash loop, and starts afresh after a stable run', async () => {
    let clock = 0;
    const pms: ReturnType<typeof fakePostmaster>[] = [];
    const h = harness(async () => {
      const pm = fakePostmaster(10 + pms.length);
      pms.push(pm);
      return pm;
    }, { now: () => clock, sleep: async (ms) => { clock += ms; await new Promise((r) => setImmediate(r)); }, stableAfterMs: 60_000 });
    const first = fakePostmaster(1);
    const sup = superviseEmbedded({ owned: first }, h.options);
    first.die();
    await h.settle();
    pms[0]!.die(); // dies at once: the same series continues (attempt 2)
    await h.settle();
    expect(h.events.filter((e) => e.type === 'embedded_pg.restart').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2]);
    clock += 120_000; // a long stable run
    pms[1]!.die();
    await h.settle();
    expect(h.events.filter((e) => e.type === 'embedded_pg.restart').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2, 1]);
    sup.stop();
  });
});

describe('attached: another process runs the postmaster', () => {
  it('waits while it runs, and takes over after the takeover delay once it is gone', async () => {
    const mine = fakePostmaster(5);
    let polls = 0;
    const h = harness(async () => mine, { pollMs: 1000, takeoverDelayMs: 3000 });
    h.running.pid = 4;
    h.options.sleep = async (ms) => {
      h.sleeps.push(ms);
      polls++;
      if (polls === 3) h.running.pid = undefined; // the owner's postmaster and the owner are gone
      await new Promise((r) => setImmediate(r));
    };
    let clock = 0;
    h.options.now = () => (clock += 500);
    const sup = superviseEmbedded({ attachedPid: 4 }, h.options);
    await h.settle();
    expect(h.launches).toBe(1);
    expect(sup.owned()).toBe(mine);
    expect(sup.status()).toBe('running');
    expect(h.events[0]).toEqual({ type: 'embedded_pg.exited', status: 'postmaster of another instance is gone' });
    sup.stop();
  });

  it('does not start a second postmaster while the owner brings it back within the delay', async () => {
    const h = harness(async () => fakePostmaster(6), { pollMs: 1000, takeoverDelayMs: 3000 });
    h.running.pid = 4;
    let polls = 0;
    h.options.sleep = async () => {
      polls++;
      if (polls === 2) h.running.pid = undefined; // gone for one poll...
      if (polls === 3) h.running.pid = 8; // ...and back: the owner restarted it
      if (polls === 6) sup.stop();
      await new Promise((r) => setImmediate(r));
    };
    let clock = 0;
    h.options.now = () => (clock += 1000);
    const sup = superviseEmbedded({ attachedPid: 4 }, h.options);
    await h.settle();
    expect(h.launches).toBe(0);
    expect(h.events).toEqual([]);
  });
});
