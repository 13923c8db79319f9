// The storage sweep (docs/storage.md "Consistency"): what a crash or a failed cleanup can
// leave is reconciled here, periodically, on every instance (each step is idempotent).
// - Bytes without a row: backend objects whose version no row names, older than `graceMs`
//   (an upload between its backend write and its commit is younger), are deleted.
// - Temp files of interrupted local uploads (a killed process) older than `graceMs`.
// - Expired resumable upload sessions, with their staged chunks (when given a sweeper).
// A row without bytes cannot arise (rows are committed after their bytes, and old bytes are
// deleted after the commit that replaced them); downloads of such a row answer 503.
import { withRequestTx, type Database, type RequestContext } from '../db/index.ts';
import type { Logger } from '../observability/index.ts';
import { LocalBackend, type StorageBackend } from './backends/index.ts';
import { unreferencedVersions } from './object-store.ts';

const SERVICE: RequestContext = { role: 'service_role', claims: { role: 'service_role' }, sub: '', method: 'SWEEP', path: 'storage-sweep', requestId: 'storage-sweep' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BATCH = 500;

export interface SweepResult {
  orphanBytes: number;
  tempFiles: number;
  expiredSessions: number;
}

export async function sweepStorage(o: {
  db: Database; backend: StorageBackend; logger: Logger; graceMs: number; now?: () => number;
  sweepSessions?: () => Promise<number>;
}): Promise<SweepResult> {
  const now = (o.now ?? Date.now)();
  const result: SweepResult = { orphanBytes: 0, tempFiles: 0, expiredSessions: 0 };
  let batch: { bucket: string; key: string }[] = [];
  const flush = async () => {
    const byBucket = new Map<string, string[]>();
    for (const b of batch) byBucket.set(b.bucket, [...(byBucket.get(b.bucket) ?? []), b.key]);
    batch = [];
    for (const [bucket, keys] of byBucket) {
      const lost = await withRequestTx(o.db.pool, SERVICE, (tx) => unreferencedVersions(tx, bucket, keys));
      for (const key of lost) {
        await o.backend.delete(bucket, key);
        result.orphanBytes++;
      }
    }
  };
  for await (const obj of o.backend.list()) {
    // Object bytes are keyed by version (a UUID); other keys (staged chunks) are not this step's.
    if (!UUID.test(obj.key) || now - obj.lastModified.getTime() < o.graceMs) continue;
    batch.push({ bucket: obj.bucket, key: obj.key });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (o.backend instanceof LocalBackend) result.tempFiles = await o.backend.sweepTemp(o.graceMs);
  if (o.sweepSessions) result.expiredSessions = await o.sweepSessions();
  if (result.orphanBytes + result.tempFiles + result.expiredSessions > 0) o.logger.info({ ...result }, 'storage: sweep removed leftovers');
  return result;
}
