// Embedded PostgreSQL placement: the cluster lives in <data_dir>/postgres, except when
// running as root with a data dir the unprivileged `postgres` user cannot reach, where a
// reachable location is chosen and logged rather than failing.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/db/index.ts';
import { createLogger } from '../src/observability/index.ts';

const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { logger: createLogger({ level: 'info', format: 'json', destination }), lines };
}

describe('embedded PostgreSQL placement', () => {
  it('keeps the cluster in the data dir with private permissions, and attaches to a running one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-emb-'));
    cleanup.push(dir);
    const { logger, lines } = capture();
    const pg = await startEmbeddedPostgres({ dataDir: dir, logger });
    try {
      expect(pg.clusterDir).toBe(path.join(dir, 'postgres'));
      expect(statSync(pg.clusterDir).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dir, 'embedded-postgres.json')).mode & 0o777).toBe(0o600);
      const second = await startEmbeddedPostgres({ dataDir: dir, logger });
      expect(second.owned).toBe(false);
      expect(second.port).toBe(pg.port);
      expect(lines.join('')).toContain('already running; attaching to it');
    } finally {
      await pg.stop();
    }
    expect(existsSync(path.join(pg.clusterDir, 'postmaster.pid'))).toBe(false);
  });

  const isRoot = process.getuid?.() === 0;

  /** A data dir inside a private (0700) directory, like /root. */
  function privateDataDir(): string {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-private-'));
    cleanup.push(parent);
    chmodSync(parent, 0o700); // like /root: only its owner may enter
    const dataDir = path.join(parent, 'data');
    mkdirSync(dataDir);
    return dataDir;
  }

  it.skipIf(!isRoot)(`as root, moves the cluster to a reachable location when the data dir is private${isRoot ? '' : ' (skipped: not running as root)'}`, async () => {
    const dataDir = privateDataDir();
    const { logger, lines } = capture();
    const pg = await startEmbeddedPostgres({ dataDir, logger });
    try {
      expect(pg.clusterDir.startsWith('/var/lib/fluxbase/cluster-')).toBe(true);
      cleanup.push(path.dirname(pg.clusterDir));
      expect(lines.join('')).toContain('not reachable by the \\"postgres\\" OS user');
      // Remembered, so the next start finds the same cluster.
      expect(JSON.parse(readFileSync(path.join(dataDir, 'embedded-postgres.json'), 'utf8')).cluster_dir).toBe(pg.clusterDir);
    } finally {
      await pg.stop();
    }
  });

  it.skipIf(isRoot)(`as a normal user, keeps the cluster in its own private data dir${isRoot ? ' (skipped: running as root)' : ''}`, async () => {
    const dataDir = privateDataDir();
    const pg = await startEmbeddedPostgres({ dataDir, logger: capture().logger });
    try {
      expect(pg.clusterDir).toBe(path.join(dataDir, 'postgres'));
    } finally {
      await pg.stop();
    }
  });
});
