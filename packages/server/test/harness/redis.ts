// A real Redis for tests: Debian's `redis-server` on a free loopback port, no persistence,
// stopped by close(). FLUXBASE_TEST_REDIS_URL points tests at an existing server instead
// (not for tests that kill Redis: they pass `{ spawn: true }`).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface TestRedis {
  url: string;
  /** Whether this process started the server (close() stops it). */
  owned: boolean;
  /** Stop the server (owned) or forget it (external). Idempotent. */
  close(): Promise<void>;
}

const FIX = 'run .ci/run, which installs the redis-server package, or set FLUXBASE_TEST_REDIS_URL';

function hasBinary(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Why the Redis tests cannot run here, or undefined when they can. Tests never install
 * packages: .ci/run installs redis-server; a machine without it skips those tests visibly
 * (`describe.skipIf(redisMissing)` with this reason in the name).
 */
export const redisMissing: string | undefined =
  hasBinary() || process.env.FLUXBASE_TEST_REDIS_URL?.trim() ? undefined : `skipped: redis-server is not installed (${FIX})`;

function ensureBinary(): void {
  if (!hasBinary()) throw new Error(`redis-server is not installed: ${FIX}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket; true on +PONG. */
export function ping(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function spawnServer(fixedPort?: number): Promise<TestRedis> {
  ensureBinary();
  for (let attempt = 0; ; attempt++) {
    const port = fixedPort ?? await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 10_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await ping(port)) {
        up = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    if (up) {
      let closing: Promise<void> | undefined;
      return {
        url: `redis://127.0.0.1:${port}`,
        owned: true,
        close: () => (closing ??= (async () => {
          child.kill('SIGKILL');
          await exited(child);
        })()),
      };
    }
    child.kill('SIGKILL');
    await exited(child);
    // Another process took the port between our probe and the bind: try another one.
    if (attempt >= 3 || fixedPort !== undefined) throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || 'no output'}`);
  }
}

export interface StartRedisOptions {
  /** Always start our own server, even with FLUXBASE_TEST_REDIS_URL (tests that kill it). */
  spawn?: boolean;
  /** Listen on this port (restarting a killed server where clients expect it); implies `spawn`. */
  port?: number;
}

/** A Redis for this test file: FLUXBASE_TEST_REDIS_URL if set (unless `spawn`), else a new redis-server. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const external = process.env.FLUXBASE_TEST_REDIS_URL?.trim();
  if (external && !options.spawn && options.port === undefined) return { url: external, owned: false, close: () => Promise.resolve() };
  return spawnServer(options.port);
}
