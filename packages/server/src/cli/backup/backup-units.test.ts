// Unit tests of the pure parts of backup/restore: which data-directory files a base backup
// leaves out, which WAL segments it needs, manifest checks, retention, the metrics textfile,
// and the copy pipeline with a writer that fails like a full disk.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { extractFile, mapLimit, storeFile } from './file-copy.ts';
import { checkMigrationVersion, readManifest, type Manifest } from './manifest.ts';
import { BACKUP_METRIC_NAMES, renderBackupMetrics, writeBackupMetrics } from './metrics-file.ts';
import { skipInBaseBackup, walSegmentsBetween } from './physical.ts';
import { applyRetention, backupName, completeBackups } from './retention.ts';
import { secretEntries, secretMismatches } from './secrets.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-backup-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('base backup contents', () => {
  it.each([
    ['postmaster.pid', false, true],
    ['postmaster.opts', false, true],
    ['backup_label', false, true],
    ['pg_wal/000000010000000000000001', false, true],
    ['pg_wal', true, false],
    ['pg_replslot/slot', true, true],
    ['pg_stat_tmp/global.stat', false, true],
    ['base/5/pg_internal.init', false, true],
    ['base/pgsql_tmp', true, true],
    ['base/5/16384', false, false],
    ['global/pg_control', false, false],
    ['postgresql.auto.conf', false, false],
  ])('%s (dir: %s) skipped: %s', (rel, isDir, skipped) => {
    expect(skipInBaseBackup(rel.split('/').join(path.sep), isDir)).toBe(skipped);
  });

  it('takes the WAL segments from the start through the stop file, on the same timeline', () => {
    const names = ['000000010000000000000001', '000000010000000000000002', '000000010000000000000003', '000000010000000000000004', '000000020000000000000003', 'archive_status', '000000010000000000000003.partial'];
    expect(walSegmentsBetween(names, '000000010000000000000002', '000000010000000000000003')).toEqual(['000000010000000000000002', '000000010000000000000003']);
  });
});

describe('manifest', () => {
  const base: Partial<Manifest> = { format: 1, method: 'physical', migration_version: 16, files: [], fluxbase_version: '0.2.0' };
  const write = (name: string, text: string) => {
    const dir = path.join(tmp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'manifest.json'), text);
    return dir;
  };
  it('reads a good one and refuses broken ones with the fix', () => {
    expect(readManifest(write('good', JSON.stringify(base))).method).toBe('physical');
    expect(() => readManifest(path.join(tmp, 'nothing'))).toThrow(/manifest\.json is missing/);
    expect(() => readManifest(write('garbage', '{"format": 1, "fil'))).toThrow(/not valid JSON/);
    expect(() => readManifest(write('shape', '{"format": 1}'))).toThrow(/not a Fluxbase backup manifest/);
    expect(() => readManifest(write('newer', JSON.stringify({ ...base, format: 2 })))).toThrow(/upgrade Fluxbase to 0\.2\.0 or later/);
  });
  it('refuses a newer schema than this binary ships', () => {
    expect(() => checkMigrationVersion(base as Manifest, 16)).not.toThrow();
    expect(() => checkMigrationVersion(base as Manifest, 15)).toThrow(/migration 16 .* newer than this Fluxbase knows \(up to 15\): upgrade Fluxbase to 0\.2\.0/);
  });
});

describe('secrets', () => {
  it('names and fingerprints them, and finds what differs', () => {
    const entries = secretEntries({ jwt_secret: 'a'.repeat(32), encryption_key: 'k' }, false);
    expect(entries.map((e) => [e.name, e.included, e.sha256?.length])).toEqual([['auth.jwt_secret', false, 64], ['encryption_key', false, 64]]);
    expect(JSON.stringify(entries)).not.toContain('aaaa');
    expect(secretMismatches(entries, { jwt_secret: 'a'.repeat(32), encryption_key: 'k' })).toEqual([]);
    expect(secretMismatches(entries, { jwt_secret: 'b'.repeat(32) })).toEqual([
      { name: 'auth.jwt_secret', problem: 'different' }, { name: 'encryption_key', problem: 'missing' },
    ]);
  });
});

describe('retention', () => {
  it('keeps the newest complete backups and ignores partial ones', () => {
    const out = path.join(tmp, 'retention');
    const names = [1, 2, 3, 4].map((d) => backupName(new Date(Date.UTC(2026, 0, d)), 'physical'));
    for (const n of names) {
      mkdirSync(path.join(out, n), { recursive: true });
      writeFileSync(path.join(out, n, 'manifest.json'), '{}');
    }
    mkdirSync(path.join(out, `.${backupName(new Date(Date.UTC(2026, 0, 5)), 'physical')}.partial`));
    mkdirSync(path.join(out, backupName(new Date(Date.UTC(2025, 0, 1)), 'logical'))); // no manifest: incomplete
    expect(completeBackups(out)).toEqual(names);
    expect(applyRetention(out, 2)).toEqual(names.slice(0, 2));
    expect(readdirSync(out).sort()).toHaveLength(4);
    expect(completeBackups(out)).toEqual(names.slice(2));
  });
});

describe('metrics textfile', () => {
  it('has the three gauges and is replaced atomically', () => {
    const text = renderBackupMetrics({ finishedAt: new Date(1_700_000_000_000), sizeBytes: 1234, durationSeconds: 2.5, method: 'logical' });
    expect(text).toContain('fluxbase_backup_last_success_timestamp_seconds{method="logical"} 1700000000\n');
    expect(text).toContain('fluxbase_backup_size_bytes{method="logical"} 1234\n');
    expect(text).toContain('fluxbase_backup_duration_seconds{method="logical"} 2.500\n');
    for (const n of BACKUP_METRIC_NAMES) expect(text).toContain(`# TYPE ${n} gauge`);
    const file = path.join(tmp, 'backup.prom');
    writeBackupMetrics(file, { finishedAt: new Date(), sizeBytes: 1, durationSeconds: 1, method: 'physical' });
    expect(readFileSync(file, 'utf8')).toContain('fluxbase_backup_size_bytes{method="physical"} 1');
    expect(readdirSync(tmp).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('copy pipeline', () => {
  it('round-trips a file through gzip with its checksum', async () => {
    const src = path.join(tmp, 'src.bin');
    writeFileSync(src, Buffer.alloc(100_000, 7));
    const stored = await storeFile(src, path.join(tmp, 'store'), 'a/b.bin', { compress: true });
    expect(stored).toMatchObject({ path: 'a/b.bin.gz' });
    expect(stored!.size).toBeLessThan(1000);
    await extractFile(path.join(tmp, 'store', 'a', 'b.bin.gz'), path.join(tmp, 'back.bin'), true);
    expect(readFileSync(path.join(tmp, 'back.bin')).equals(readFileSync(src))).toBe(true);
    expect(await storeFile(path.join(tmp, 'vanished'), path.join(tmp, 'store'), 'gone', { compress: false })).toBeUndefined();
  });

  it('passes a full disk up as ENOSPC, and stops handing out work after a failure', async () => {
    const full = () => new Writable({ write: (_c, _e, cb) => cb(Object.assign(new Error('no space'), { code: 'ENOSPC' })) });
    await expect(storeFile(Readable.from([Buffer.from('x')]), path.join(tmp, 'full'), 'f', { compress: false, openWriter: full })).rejects.toMatchObject({ code: 'ENOSPC' });
    const started: number[] = [];
    await expect(mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 5));
    })).rejects.toThrow('boom');
    expect(started.length).toBeLessThan(6);
  });
});
