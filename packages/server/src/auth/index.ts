// Auth: users, passwords, sessions and JWTs, email flows, TOTP, OAuth/OIDC, stored service
// keys and the auth rate limits. Gives principal resolution (http/) its service-key
// verifier, revocation checker and admin lookup; never reaches into other subsystems.
import type { FastifyInstance } from 'fastify';
import type postgres from 'postgres';
import type { Config } from '../config/index.ts';
import type { Database } from '../db/index.ts';
import type { AdminUserLookup, JwtClaims, Principal, RateLimitStore, RevocationChecker, ServiceKeyVerifier } from '../http/index.ts';
import type { Logger, Metrics, Tracing } from '../observability/index.ts';
import { registerAdminUserRoutes } from './admin-users/index.ts';
import { deleteExpiredAuthRows } from './core/cleanup.ts';
import { createAuthCore } from './core/core.ts';
import { traceAuthCore } from './core/traced.ts';
import type { AuthDeps } from './deps.ts';
import { createEmailFlows, createMailer, createMailRequestWorker, registerEmailRoutes } from './email/index.ts';
import { enabledOAuthProviderNames, registerOAuthRoutes } from './oauth/index.ts';
import { createAuthLimits } from './rate-limits.ts';
import { registerCoreRoutes } from './routes/index.ts';
import { createServiceKeys, latestServiceRoleRevocation, registerServiceKeyRoutes } from './service-keys/index.ts';
import { mintApiKeys, type ApiKeys } from './api-keys.ts';
import { deleteExpiredTotpRows, registerTotpRoutes, rekeyTotpSecrets } from './totp/index.ts';
import { rekeySealedColumns } from './core/rekey.ts';
import { createSecretBox } from './core/secret-box.ts';

export { mintApiKeys, stableIssuedAt, type ApiKeys, type MintOptions } from './api-keys.ts';
export { normalizeEmail } from './core/email.ts';
export { createSecretBox } from './core/secret-box.ts';
export type { AuthDeps, AuthCore } from './deps.ts';
export type { User, Session, UserRow } from './core/types.ts';

/**
 * Re-seal every stored secret from `oldKey` to `newKey` (the `encryption-key rotate` CLI):
 * TOTP secrets in one transaction, then the other sealed columns in another; both are
 * idempotent (re-run after an interruption) and abort when a value opens with neither key.
 */
export async function rotateEncryptionKey(sql: postgres.Sql, oldKey: Buffer, newKey: Buffer): Promise<{ resealed: number; unchanged: number }> {
  const from = createSecretBox(oldKey);
  const to = createSecretBox(newKey);
  const totp = await rekeyTotpSecrets(sql, from, to);
  const rest = await sql.begin((tx) => rekeySealedColumns(tx, from, to));
  return { resealed: totp.resealed + rest.resealed, unchanged: totp.unchanged + rest.unchanged };
}

/** The API keys as they are valid now: past the last service-role revocation, if there was one. */
export async function currentApiKeys(sql: postgres.Sql, jwtSecret: string): Promise<ApiKeys> {
  const before = await latestServiceRoleRevocation(sql);
  return mintApiKeys(jwtSecret, { notBefore: before ? Math.ceil(before.getTime() / 1000) : null });
}

export interface AuthOptions {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  rateLimitStore: RateLimitStore;
  /** Spans for sign-up, sign-in, refresh and TOTP steps when on (docs/tracing.md); absent: none. */
  tracing?: Tracing | undefined;
  /** Milliseconds since the epoch for TOTP (default Date.now; tests inject one). */
  clock?: (() => number) | undefined;
}

export interface Auth {
  serviceKeys: ServiceKeyVerifier;
  revocation: RevocationChecker;
  isAdminUser: AdminUserLookup;
  register(app: FastifyInstance): void;
  /** LISTEN for revocations and queued mail (before the server accepts requests). */
  start(): Promise<void>;
  /** Send the queued sign-in mail that is due now, and wait for it (tests; the worker does it by itself). */
  drainMail(): Promise<number>;
  close(): Promise<void>;
}

const CLEANUP_INTERVAL_MS = 10 * 60_000;

export function createAuth(options: AuthOptions): Auth {
  const { config, db, logger, metrics, rateLimitStore } = options;
  const { core, liveness } = createAuthCore(config, db, logger, options.clock, metrics.caches);
  if (options.tracing?.enabled) traceAuthCore(core, options.tracing);
  const mailer = createMailer(config, db, logger);
  const limits = createAuthLimits(config, rateLimitStore, metrics);
  const base = { config, db, logger, metrics, core, mailer, limits, rateLimitStore, ...(options.tracing?.enabled ? { tracing: options.tracing } : {}) };
  const deps: AuthDeps = { ...base, emailFlows: createEmailFlows(base) };
  const mailWorker = createMailRequestWorker(base, db.admin);
  const keys = createServiceKeys({ config, db, logger, rateLimitStore, caches: metrics.caches });
  let cleanup: NodeJS.Timeout | undefined;

  const revocation: RevocationChecker = {
    check(claims: JwtClaims, principal: Principal) {
      if (principal.kind === 'user' && typeof claims.session_id === 'string') return liveness.assertLive(claims.session_id, principal.userId);
      if (principal.kind === 'service_role') keys.checkServiceRoleJwt(claims);
      return undefined;
    },
  };

  return {
    serviceKeys: keys.verifier,
    revocation,
    isAdminUser: (userId) => core.isAdminUser(userId),
    register(app) {
      const oauth = registerOAuthRoutes(app, deps);
      registerCoreRoutes(app, deps, () => enabledOAuthProviderNames(oauth));
      registerEmailRoutes(app, deps);
      registerTotpRoutes(app, deps);
      registerServiceKeyRoutes(app, deps, keys);
      registerAdminUserRoutes(app, deps);
    },
    async start() {
      await Promise.all([liveness.start(), keys.start(), mailWorker.start()]);
      cleanup = setInterval(() => {
        Promise.all([deleteExpiredAuthRows(db.pool), deleteExpiredTotpRows(db.pool)])
          .catch((err: unknown) => logger.warn({ err }, 'auth cleanup failed'));
      }, CLEANUP_INTERVAL_MS).unref();
    },
    drainMail: () => mailWorker.runOnce(),
    async close() {
      clearInterval(cleanup);
      await mailWorker.stop().catch(() => {});
      await Promise.allSettled([liveness.stop(), keys.stop(), mailer.close()]);
    },
  };
}
