// A real S3-compatible server for tests: s3rver (a dev dependency) in a child process on a
// free loopback port, storing in a temp directory, with one bucket created. It runs in its
// own process so that stop() is a real crash (SIGKILL: open connections die mid-request, as
// with an S3 outage) and its memory never counts against the test's. restart() brings it
// back on the same port with the same data.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface TestS3 {
  /** `http://127.0.0.1:<port>`, for `storage.s3.endpoint` (path style). */
  endpoint: string;
  port: number;
  /** The bucket created at start, for `storage.s3.bucket`. */
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps its files. */
  directory: string;
  /** Kills the server (SIGKILL) mid-whatever; data stays. Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data (stops it first if running). */
  restart(): Promise<void>;
  /** Stops the server and removes its data. Idempotent. */
  close(): Promise<void>;
}

export interface StartS3Options {
  /** Default `fluxbase-test`. */
  bucket?: string;
}

// s3rver is CommonJS; the child loads it by absolute path, so the working directory does not matter.
const CHILD = `
const S3rver = require(process.env.S3RVER_PATH);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(process.env.S3RVER_PORT),
  directory: process.env.S3RVER_DIR,
  silent: true,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then(
  (addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); },
);
`;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function spawnS3rver(dir: string, bucket: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(process.execPath, ['-e', CHILD], {
    env: { ...process.env, S3RVER_PATH: s3rverPath, S3RVER_PORT: String(port), S3RVER_DIR: dir, S3RVER_BUCKET: bucket },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`s3rver did not start in 15 s: ${err}`));
    }, 15_000);
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve({ child, port: (JSON.parse(line) as { port: number }).port });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code}: ${err}`));
    });
  });
}

export async function startS3(options: StartS3Options = {}): Promise<TestS3> {
  const bucket = options.bucket ?? 'fluxbase-test';
  const directory = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-s3rver-'));
  const first = await spawnS3rver(directory, bucket, 0);
  const port = first.port;
  let child = first.child;
  let running = true;

  const stop = async () => {
    if (!running) return;
    running = false;
    child.kill('SIGKILL');
    await exited(child);
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    region: 'us-east-1',
    // s3rver's built-in account.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    directory,
    stop,
    async restart() {
      await stop();
      // The port was just freed; retry briefly in case the kernel holds it a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          ({ child } = await spawnS3rver(directory, bucket, port));
          running = true;
          return;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async close() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
