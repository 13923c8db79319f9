// Storage backends: where object bytes live (local disk or S3) behind StorageBackend.
// Owns streaming, atomic replacement, size limits on bytes read and typed failures. Must
// not know about rows, RLS or HTTP, and must not read config itself: main.ts passes the
// `storage` slice to createBackend.
import { LocalBackend } from './local.ts';
import { S3Backend, type S3BackendOptions } from './s3.ts';
import type { StorageBackend } from './types.ts';

export * from './types.ts';
export { LocalBackend, type LocalBackendOptions } from './local.ts';
export { S3Backend, type S3BackendOptions } from './s3.ts';

/** The `storage` config slice the backends need (config keys `storage.*`). */
export interface BackendConfig {
  backend: 'local' | 's3';
  /** Resolved by config loading to `<data_dir>/storage` when unset. */
  local_path: string | undefined;
  s3: {
    endpoint: string;
    region: string;
    access_key_id: string;
    secret_access_key: string;
    force_path_style: boolean;
    /** `storage.s3.bucket`, default `fluxbase`. */
    bucket?: string;
  };
}

/** Tuning not in config (tests shrink parts; defaults suit servers). */
export type BackendTuning = Pick<S3BackendOptions, 'partSize' | 'queueSize' | 'maxAttempts' | 'connectionTimeoutMs' | 'socketTimeoutMs'>;

export function createBackend(config: BackendConfig, tuning: BackendTuning = {}): StorageBackend {
  switch (config.backend) {
    case 'local':
      if (!config.local_path) throw new Error('storage.local_path is not set');
      return new LocalBackend({ root: config.local_path });
    case 's3':
      return new S3Backend({
        endpoint: config.s3.endpoint,
        region: config.s3.region,
        accessKeyId: config.s3.access_key_id,
        secretAccessKey: config.s3.secret_access_key,
        forcePathStyle: config.s3.force_path_style,
        bucket: config.s3.bucket ?? 'fluxbase',
        ...tuning,
      });
    default: {
      const never: never = config.backend;
      throw new Error(`unknown storage backend ${String(never)}`);
    }
  }
}
