// Signals: the first SIGTERM/SIGINT starts a graceful stop; a second one exits at once.
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
