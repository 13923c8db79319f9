// The service-keys runtime: the verifier and the service-role revocation cut-off, kept
// fresh by LISTEN on CHANNEL (a dedicated postgres.js listen connection), a poll of the
// cut-off, and direct invalidation by the instance that changed something.
import type { Database } from '../../db/index.ts';
import type { JwtClaims, RateLimitStore, ServiceKeyVerifier } from '../../http/index.ts';
import type { CacheRegistry, Logger } from '../../observability/index.ts';
import { CHANNEL, findByPrefix, latestServiceRoleRevocation, SERVICE_ROLE_PAYLOAD, touchLastUsed } from './key-store.ts';
import { KeyVerifier } from './key-verifier.ts';
import { ServiceRoleRevocation } from './service-role-revocation.ts';

export interface ServiceKeysRuntimeOptions {
  db: Database;
  logger: Logger;
  rateLimitStore: RateLimitStore;
  /** Verified-key cache lifetime; default 4000 ms. */
  cacheTtlMs?: number;
  /** How often the service-role cut-off is re-read; default 5000 ms. */
  pollMs?: number;
  caches?: CacheRegistry | undefined;
}

/** What the admin routes need besides the public interface: make a change visible here at once. */
export interface KeyCacheControl {
  keysChanged(): void;
  serviceRoleRevoked(before: Date): void;
}

const UNLISTEN_TIMEOUT_MS = 2000;

export class ServiceKeysRuntime implements KeyCacheControl {
  readonly verifier: KeyVerifier;
  private readonly revocation: ServiceRoleRevocation;
  private unlisten: (() => Promise<void>) | undefined;
  private poll: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly options: ServiceKeysRuntimeOptions) {
    const pool = options.db.pool;
    this.verifier = new KeyVerifier({
      lookup: (prefix) => pool.withConnection((sql) => findByPrefix(sql, prefix)),
      touch: async (id) => {
        await pool.withConnection((sql) => touchLastUsed(sql, id));
      },
      rateLimitStore: options.rateLimitStore,
      logger: options.logger,
      cacheTtlMs: options.cacheTtlMs,
      caches: options.caches,
    });
    this.revocation = new ServiceRoleRevocation(() => pool.withConnection((sql) => latestServiceRoleRevocation(sql)));
  }

  get publicVerifier(): ServiceKeyVerifier {
    return this.verifier;
  }

  checkServiceRoleJwt(claims: JwtClaims): void {
    this.revocation.check(claims);
  }

  keysChanged(): void {
    this.verifier.invalidate();
  }

  serviceRoleRevoked(before: Date): void {
    this.revocation.set(before);
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await Promise.all([this.listen(), this.revocation.refresh()]);
    this.poll = setInterval(() => {
      this.revocation.refresh().catch((err: unknown) => this.options.logger.warn({ err }, 'could not reload the service-role revocation time'));
    }, this.options.pollMs ?? 5000);
    this.poll.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    const unlisten = this.unlisten;
    this.unlisten = undefined;
    this.verifier.invalidate();
    if (unlisten) await withTimeout(unlisten(), UNLISTEN_TIMEOUT_MS);
  }

  private onNotify(payload: string): void {
    if (this.stopped) return;
    if (payload === SERVICE_ROLE_PAYLOAD) {
      this.revocation.refresh().catch((err: unknown) => this.options.logger.warn({ err }, 'could not reload the service-role revocation time'));
    } else {
      this.verifier.invalidate();
    }
  }

  private async listen(): Promise<void> {
    let first = true;
    const { unlisten } = await this.options.db.pool.sql.listen(CHANNEL, (payload) => this.onNotify(payload), () => {
      if (first) {
        first = false;
        return;
      }
      // Re-listened after a lost connection: notifications may have been missed meanwhile.
      if (this.stopped) return;
      this.options.logger.info({ channel: CHANNEL }, 'service key listener reconnected; dropping cached keys');
      this.verifier.invalidate();
      this.revocation.refresh().catch(() => {});
    });
    if (this.stopped) await unlisten();
    else this.unlisten = unlisten;
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    p.then(() => resolve(), () => resolve()).finally(() => clearTimeout(timer));
  });
}
