// Storage (API.md §10; docs/storage.md, to come): buckets and objects whose metadata rows obey
// RLS, bytes on local disk or S3 (backends/), signed URLs and image transforms. app.ts builds
// it, registers its routes (JSON routes, and object routes in a scope that leaves bodies as
// streams) and closes it.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { Logger } from '../observability/index.ts';
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
import { OUTPUT_FORMATS } from './transform-params.ts';
import { ImageTransformer } from './transformer.ts';

export { StorageService } from './service.ts';
export * from './backends/index.ts';

export interface StorageDeps {
  config: Config;
  db: Database;
  logger: Logger;
  now?: () => number;
}

export interface Storage {
  service: StorageService;
  backend: StorageBackend;
  register(app: FastifyInstance): void;
  close(): Promise<void>;
}

export function createStorage(deps: StorageDeps): Storage {
  const { config } = deps;
  const st = config.storage;
  const backend = createBackend({ backend: st.backend, local_path: st.local_path, s3: st.s3 });
  const service = new StorageService({
    db: deps.db, backend, maxFileSize: st.max_file_size, signingSecret: config.auth.jwt_secret, publicUrl: config.server.public_url,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const t = st.transforms;
  const transformer = t.enabled
    ? new ImageTransformer({ maxPixels: t.max_pixels, maxOutputWidth: t.max_width, maxOutputHeight: t.max_height, concurrency: t.concurrency })
    : undefined;
  const routeDeps: StorageRouteDeps = {
    service, transformer, bodyLimits: config.server.body_limits,
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
        for (const r of [registerObjectSigned, registerObjectList, registerObjectMoveCopy, registerObjectSign, registerObjectUpload, registerObjectDownload, registerObjectDelete]) r(scope, routeDeps);
      });
    },
    close: () => backend.close(),
  };
}
