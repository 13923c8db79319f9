// Supervision of the embedded PostgreSQL (docs/operations.md "The embedded database is
// supervised"). The instance that started the postmaster (the owner) restarts it when it
// exits without being asked to, with backoff and a bounded number of attempts; PostgreSQL
// runs crash recovery on start. An instance attached to a postmaster another process
// started only watches it, and steps in if nobody has brought it back within
// `takeoverDelayMs`. Two instances never fight: PostgreSQL's own lock on the data directory
// lets one postmaster run, and whoever finds it already running attaches to it instead of
// starting another.
import type { Observer } from '../observability/index.ts';

/** A running postmaster we started. */
export interface Postmaster {
  pid: number;
  /** Resolves with a description of how it exited. */
  exited: Promise<string>;
  /** Signal it (a no-op once it has exited). */
  kill(signal: NodeJS.Signals): void;
}

export type SupervisorStatus = 'running' | 'restarting' | 'failed' | 'stopped';

export interface SupervisorOptions {
  /** Start the postmaster on the cluster's port and wait until it accepts connections. */
  launch(): Promise<Postmaster>;
  /** The pid of a live postmaster on this cluster (ours or another process's), if any. */
  runningPid(): number | undefined;
  observe: Observer;
  /** Attempts per outage before giving up (database.embedded_restart_attempts). */
  maxAttempts: number;
  /** Delay before attempt n (1-based). Default: 500 ms doubling, at most 10 s. */
  backoffMs?: (attempt: number) => number;
  /** How often an attached instance (or one that gave up) checks the postmaster. */
  pollMs?: number;
  /** How long an attached instance waits for the owner to restart it before doing so itself. */
  takeoverDelayMs?: number;
  /** A postmaster up this long is stable: its next exit starts a fresh series of attempts. */
  stableAfterMs?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface Supervisor {
  status(): SupervisorStatus;
  /** The postmaster this instance owns now, if any (ownership can move on a takeover). */
  owned(): Postmaster | undefined;
  /** Stop supervising (before a deliberate shutdown of the postmaster). */
  stop(): void;
}

export const defaultBackoffMs = (attempt: number): number => Math.min(500 * 2 ** (attempt - 1), 10_000);

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export function superviseEmbedded(initial: { owned: Postmaster } | { attachedPid: number }, options: SupervisorOptions): Supervisor {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? abortableSleep;
  const backoff = options.backoffMs ?? defaultBackoffMs;
  const pollMs = options.pollMs ?? 1000;
  const takeoverDelayMs = options.takeoverDelayMs ?? 3000;
  const stableAfterMs = options.stableAfterMs ?? 60_000;
  const abort = new AbortController();
  let status: SupervisorStatus = 'running';
  let current: Postmaster | undefined;
  /** Attempts used in the current series (reset once a postmaster has been up stableAfterMs). */
  let attempts = 0;
  let startedAt = now();

  const stopped = () => abort.signal.aborted;

  function own(pm: Postmaster): void {
    current = pm;
    status = 'running';
    startedAt = now();
    pm.exited.then((how) => {
      if (stopped() || current !== pm) return;
      current = undefined;
      options.observe({ type: 'embedded_pg.exited', status: how });
      if (now() - startedAt >= stableAfterMs) attempts = 0;
      void restart();
    }, () => {});
  }

  /** Bring the postmaster back: ours to start, unless someone else already has. */
  async function restart(): Promise<void> {
    status = 'restarting';
    while (!stopped()) {
      if (attempts >= options.maxAttempts) {
        status = 'failed';
        options.observe({ type: 'embedded_pg.gave_up', attempts });
        void watch(); // keep looking: an operator may start it by hand
        return;
      }
      attempts++;
      await sleep(backoff(attempts), abort.signal);
      if (stopped()) return;
      const other = options.runningPid();
      if (other !== undefined) {
        options.observe({ type: 'embedded_pg.restart', attempt: attempts, outcome: 'attached' });
        status = 'running';
        void watch();
        return;
      }
      try {
        const pm = await options.launch();
        if (stopped()) return;
        options.observe({ type: 'embedded_pg.restart', attempt: attempts, outcome: 'started' });
        own(pm);
        return;
      } catch (err) {
        if (stopped()) return;
        if (options.runningPid() !== undefined) {
          // Another instance won the race for the data directory: use its postmaster.
          options.observe({ type: 'embedded_pg.restart', attempt: attempts, outcome: 'attached' });
          status = 'running';
          void watch();
          return;
        }
        options.observe({ type: 'embedded_pg.restart', attempt: attempts, outcome: 'failed', error: (err as Error).message });
      }
    }
  }

  /** Attached (or given up): poll the postmaster; step in when it stays gone. */
  async function watch(): Promise<void> {
    let missingSince: number | undefined;
    while (!stopped()) {
      await sleep(pollMs, abort.signal);
      if (stopped()) return;
      if (options.runningPid() !== undefined) {
        if (status !== 'running') attempts = 0;
        status = 'running';
        missingSince = undefined;
        continue;
      }
      if (status === 'failed') continue; // gave up: only notice a postmaster started by hand
      missingSince ??= now();
      status = 'restarting';
      if (now() - missingSince >= takeoverDelayMs) {
        options.observe({ type: 'embedded_pg.exited', status: 'postmaster of another instance is gone' });
        await restart();
        return;
      }
    }
  }

  if ('owned' in initial) own(initial.owned);
  else void watch();

  return {
    status: () => status,
    owned: () => current,
    stop() {
      if (!stopped()) status = 'stopped';
      abort.abort();
    },
  };
}
