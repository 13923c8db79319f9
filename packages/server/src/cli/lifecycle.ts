// Signals: the first SIGTERM/SIGINT starts a graceful stop; a second one exits at once.
// Faults: the last resort for exceptions and rejections no code handled. None is expected
// (a lost database is handled where it happens, docs/operations.md); each one is logged
// and counted in fluxbase_process_faults_total so that it gets fixed.
export interface Stoppable {
  close(): Promise<void>;
  stopNow(): void;
}

export interface LifecycleLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(obj: unknown, msg: string): void;
}

export function createSignalHandler(server: Stoppable, log: LifecycleLog, exit: (code: number) => void): (signal: string) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) {
      log.warn(`${signal} received again: exiting now`);
      server.stopNow();
      exit(1);
      return;
    }
    stopping = true;
    log.info(`${signal} received: finishing in-flight requests, then stopping (send it again to exit at once)`);
    server.close().then(
      () => exit(0),
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        exit(1);
      },
    );
  };
}

export function installSignalHandlers(server: Stoppable, log: LifecycleLog): void {
  const handle = createSignalHandler(server, log, (code) => process.exit(code));
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
}

export interface FaultCounter {
  inc(labels: { kind: 'uncaught_exception' | 'unhandled_rejection' }): void;
}

/**
 * An unhandled rejection is logged and counted, and the process goes on (the promise's
 * owner is gone; nothing is left half-done by it). An uncaught exception may have left
 * state half-changed: it is logged and counted, then the server stops gracefully and the
 * process exits with code 70 (EX_SOFTWARE) so that a supervisor restarts it.
 */
export function createFaultHandlers(server: Stoppable, log: LifecycleLog, faults: FaultCounter, exit: (code: number) => void): {
  onRejection(reason: unknown): void;
  onException(err: unknown): void;
} {
  let exiting = false;
  return {
    onRejection(reason) {
      faults.inc({ kind: 'unhandled_rejection' });
      log.error({ err: reason }, 'unhandled promise rejection (a bug: please report it)');
    },
    onException(err) {
      faults.inc({ kind: 'uncaught_exception' });
      log.error({ err }, 'uncaught exception (a bug: please report it); stopping');
      if (exiting) return;
      exiting = true;
      server.close().finally(() => exit(70));
    },
  };
}

export function installFaultHandlers(server: Stoppable, log: LifecycleLog, faults: FaultCounter): void {
  const handlers = createFaultHandlers(server, log, faults, (code) => process.exit(code));
  process.on('unhandledRejection', handlers.onRejection);
  process.on('uncaughtException', handlers.onException);
}
