// Storage (API.md §10; docs/storage.md, to come): buckets and objects whose metadata rows obey
// RLS, bytes on local disk or S3 (backends/), signed URLs and image transforms. app.ts builds
// it, registers its routes (JSON routes, and object routes in a scope that leaves bodies as
// streams) and closes it.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import { createStorageMetrics } from './metrics.ts';
import { sweepStorage } from './sweep.ts';
import { createBackend, type StorageBackend } from './backends/index.ts';
import { registerBucketCreate } from './routes/bucket-create.ts';
import { registerBucketDelete } from './routes/bucket-delete.ts';
import { registerBucketGet } from './routes/bucket-get.ts';
import { registerBucketUpdate } from './routes/bucket-update.ts';
import { registerBucketsList } from './routes/buckets-list.ts';
import { registerObjectDelete } from './routes/object-delete.ts';
import { registerObjectDownload } from './routes/object-download.ts';
import { registerObjectList } from './routes/object-list.ts';
import { registerObjectMoveCopy } from './routes/object-move-copy.ts';
import { registerObjectSign } from './routes/object-sign.ts';
import { registerObjectSigned } from './routes/object-signed.ts';
import { registerObjectUpload } from './routes/object-upload.ts';
import type { StorageRouteDeps } from './routes/schema.ts';
import { registerTransformConfig } from './routes/transform-config.ts';
import { StorageService } from './service.ts';
import { ChunkedUploads } from './chunked-service.ts';
import { ShareService } from './share-service.ts';
import { registerObjectShare } from './routes/object-share.ts';
import { registerObjectMultiUpload } from './routes/object-multi-upload.ts';
import { registerChunkedInit } from './routes/chunked-init.ts';
import { registerChunkedChunk } from './routes/chunked-chunk.ts';
import { registerChunkedComplete } from './routes/chunked-complete.ts';
import { registerChunkedStatus } from './routes/chunked-status.ts';
import { registerChunkedAbort } from './routes/chunked-abort.ts';
import { OUTPUT_FORMATS } from './transform-params.ts';
import { ImageTransformer } from './transformer.ts';

export { StorageService } from './service.ts';
export * from './backends/index.ts';

export interface StorageDeps {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

/** How often the sweep runs, and how old a leftover must be (an upload in flight is younger). */
const SWEEP_EVERY_MS = 10 * 60_000;
const SWEEP_GRACE_MS = 60 * 60_000;

export interface Storage {
  service: StorageService;
  backend: StorageBackend;
  register(app: FastifyInstance): void;
  /** Starts the periodic sweep (sweep.ts). */
  start(): void;
  /** One sweep now (tests, operators). */
  sweep(graceMs?: number): ReturnType<typeof sweepStorage>;
  close(): Promise<void>;
}

export function createStorage(deps: StorageDeps): Storage {
  const { config } = deps;
  const st = config.storage;
  const backend = createBackend({ backend: st.backend, local_path: st.local_path, s3: st.s3 });
  const t = st.transforms;
  const transformer = t.enabled
    ? new ImageTransformer({ maxPixels: t.max_pixels, maxOutputWidth: t.max_width, maxOutputHeight: t.max_height, concurrency: t.concurrency })
    : undefined;
  const metrics = createStorageMetrics(deps.metrics.registry, () => transformer?.stats());
  const service = new StorageService({
    db: deps.db, backend, maxFileSize: st.max_file_size, signingSecret: config.auth.jwt_secret, publicUrl: config.server.public_url,
    ...(deps.now ? { now: deps.now } : {}),
    onUpload: (outcome, bytes) => {
      metrics.uploads.inc({ outcome });
      if (bytes > 0) metrics.bytes.inc({ operation: 'upload' }, bytes);
    },
  });
  const shares = new ShareService({ db: deps.db });
  const chunked = new ChunkedUploads({ db: deps.db, backend, service, maxFileSize: st.max_file_size, ...(deps.now ? { now: deps.now } : {}) });
  const sweep = (graceMs = SWEEP_GRACE_MS) => sweepStorage({ db: deps.db, backend, logger: deps.logger, graceMs, sweepSessions: () => chunked.sweepExpiredSessions(), ...(deps.now ? { now: deps.now } : {}) }).then((r) => {
    if (r.orphanBytes > 0) metrics.sweeps.inc({ removed: 'orphan_bytes' }, r.orphanBytes);
    if (r.tempFiles > 0) metrics.sweeps.inc({ removed: 'temp_files' }, r.tempFiles);
    if (r.expiredSessions > 0) metrics.sweeps.inc({ removed: 'expired_sessions' }, r.expiredSessions);
    return r;
  });
  let timer: NodeJS.Timeout | undefined;
  const routeDeps: StorageRouteDeps = {
    service, transformer, bodyLimits: config.server.body_limits, onSent: (n) => metrics.bytes.inc({ operation: 'download' }, n),
    transformLimits: { enabled: t.enabled, maxWidth: t.max_width, maxHeight: t.max_height, defaultQuality: t.default_quality, allowedFormats: OUTPUT_FORMATS },
  };
  return {
    service,
    backend,
    register(app) {
      if (!st.enabled) return;
      for (const r of [registerBucketsList, registerBucketGet, registerBucketCreate, registerBucketUpdate, registerBucketDelete, registerTransformConfig]) r(app, routeDeps);
      // Object routes read their bodies as streams (uploads never buffered; small JSON bodies read by the route).
      void app.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
        const more = { ...routeDeps, shares, chunked };
        registerObjectShare(scope, more);
        for (const r of [registerObjectMultiUpload, registerChunkedInit, registerChunkedChunk, registerChunkedComplete, registerChunkedStatus, registerChunkedAbort]) r(scope, more);
        for (const r of [registerObjectSigned, registerObjectList, registerObjectMoveCopy, registerObjectSign, registerObjectUpload, registerObjectDownload, registerObjectDelete]) r(scope, routeDeps);
      });
    },
    start() {
      if (!st.enabled || timer) return;
      timer = setInterval(() => void sweep().catch((err: unknown) => deps.logger.warn({ err }, 'storage: sweep failed; retrying later')), SWEEP_EVERY_MS);
      timer.unref();
    },
    sweep,
    async close() {
      if (timer) clearInterval(timer);
      await backend.close();
    },
  };
}
