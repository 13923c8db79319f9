// Storage metrics (docs/storage.md "Metrics"; API.md names fluxbase_storage_bytes_total).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TransformerStats } from './transformer.ts';

export interface StorageMetrics {
  bytes: Counter<'operation'>;
  uploads: Counter<'outcome'>;
  sweeps: Counter<'removed'>;
}

export function createStorageMetrics(registry: Registry, transforms: () => TransformerStats | undefined): StorageMetrics {
  const registers = [registry];
  new Gauge({
    name: 'fluxbase_storage_transform_cache_lookups', help: 'Image transform cache lookups since start, by result (hit, miss)', labelNames: ['result'], registers,
    collect() {
      const s = transforms();
      this.set({ result: 'hit' }, s?.hits ?? 0);
      this.set({ result: 'miss' }, s?.misses ?? 0);
    },
  });
  new Gauge({
    name: 'fluxbase_storage_transforms', help: 'Image transforms running and waiting for a slot (storage.transforms.concurrency)', labelNames: ['state'], registers,
    collect() {
      const s = transforms();
      this.set({ state: 'active' }, s?.active ?? 0);
      this.set({ state: 'waiting' }, s?.waiting ?? 0);
    },
  });
  return {
    bytes: new Counter({ name: 'fluxbase_storage_bytes_total', help: 'Object bytes stored (upload) and sent (download)', labelNames: ['operation'], registers }),
    uploads: new Counter({
      name: 'fluxbase_storage_uploads_total', help: 'Uploads by outcome (stored, refused: RLS, conflict, type or size; failed: backend or client)', labelNames: ['outcome'], registers,
    }),
    sweeps: new Counter({ name: 'fluxbase_storage_sweep_removed_total', help: 'Leftovers removed by the storage sweep (orphan_bytes, temp_files, expired_sessions)', labelNames: ['removed'], registers }),
  };
}
