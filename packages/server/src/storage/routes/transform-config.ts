// GET /api/v1/storage/config/transforms → {enabled, default_quality, max_width, max_height, allowed_formats}.
import type { FastifyInstance } from 'fastify';
import { STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export function registerTransformConfig(app: FastifyInstance, deps: StorageRouteDeps): void {
  const t = deps.transformLimits;
  app.get(`${STORAGE_PATH}/config/transforms`, async () => ({
    enabled: t.enabled, default_quality: t.defaultQuality, max_width: t.maxWidth, max_height: t.maxHeight, allowed_formats: [...t.allowedFormats],
  }));
}
