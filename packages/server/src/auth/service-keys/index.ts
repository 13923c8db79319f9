// Stored service keys `sk_…` (docs/auth.md "Service keys"): verification for principal
// resolution, create/list/rotate/deprecate/revoke with an audit trail, service-role JWT
// revocation. Owns auth.service_keys and its history tables (migration 007); never stores a
// key in clear. Changes reach every instance by NOTIFY, and within 5 s by cache expiry.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/index.ts';
import type { JwtClaims, RateLimitStore, ServiceKeyVerifier } from '../../http/index.ts';
import type { CacheRegistry, Logger } from '../../observability/index.ts';
import type { AuthDeps } from '../deps.ts';
import { registerKeysLifecycle } from './routes/keys-lifecycle.ts';
import { registerKeysRead } from './routes/keys-read.ts';
import { registerKeysWrite } from './routes/keys-write.ts';
import { ServiceKeysRuntime, type KeyCacheControl } from './service-keys.ts';

export { SCOPES } from './key-input.ts';
export { latestServiceRoleRevocation } from './key-store.ts';

export interface ServiceKeysOptions {
  config: Config;
  db: Database;
  logger: Logger;
  rateLimitStore: RateLimitStore;
  caches?: CacheRegistry | undefined;
}

export interface ServiceKeys {
  verifier: ServiceKeyVerifier;
  /** Throws 401 TOKEN_REVOKED for a service-role JWT issued before the last revocation. */
  checkServiceRoleJwt(claims: JwtClaims): void;
  /** Loads the revocation time and LISTENs for changes; call before serving. */
  start(): Promise<void>;
  /** Unlistens and clears timers. */
  stop(): Promise<void>;
}

/** The runtime behind each ServiceKeys, so routes can make a change visible on this instance at once. */
const runtimes = new WeakMap<ServiceKeys, KeyCacheControl>();

export function createServiceKeys(options: ServiceKeysOptions): ServiceKeys {
  const runtime = new ServiceKeysRuntime({ db: options.db, logger: options.logger, rateLimitStore: options.rateLimitStore, caches: options.caches });
  const keys: ServiceKeys = {
    verifier: runtime.publicVerifier,
    checkServiceRoleJwt: (claims) => runtime.checkServiceRoleJwt(claims),
    start: () => runtime.start(),
    stop: () => runtime.stop(),
  };
  runtimes.set(keys, runtime);
  return keys;
}

export function registerServiceKeyRoutes(app: FastifyInstance, deps: AuthDeps, keys: ServiceKeys): void {
  // Without the runtime (a substitute ServiceKeys), other instances still learn of changes by NOTIFY.
  const cache = runtimes.get(keys);
  registerKeysRead(app, deps, cache);
  registerKeysWrite(app, deps, cache);
  registerKeysLifecycle(app, deps, cache);
}
