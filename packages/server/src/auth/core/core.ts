// The auth core: users, passwords, sessions, second-factor challenges and the check that
// a protected route's caller is a user of a live session. Everything else in auth builds
// on the `AuthCore` this returns.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import type { CacheRegistry, Logger } from '../../observability/index.ts';
import type { AuthCore, AuthedUser } from '../deps.ts';
import { authQuery } from './db.ts';
import { createPasswords } from './passwords.ts';
import { createSecretBox } from './secret-box.ts';
import { SessionLiveness } from './session-liveness.ts';
import { createSessionService } from './sessions.ts';
import { randomToken, sha256 } from './tokens.ts';
import type { ClientInfo, SignInMethod, UserRow } from './types.ts';
import { createUserStore, USER_COLUMNS } from './users.ts';

const CHALLENGE_TTL_S = 300;
const CHALLENGE_MESSAGE = '2FA verification required. Please provide your 2FA code.';

export interface CoreHandle {
  core: AuthCore;
  liveness: SessionLiveness;
  dummyVerify(password: string): Promise<void>;
}

const authRequired = (message = 'This endpoint needs a signed-in user') => new AppError('AUTHENTICATION_REQUIRED', { message });

export function createAuthCore(config: Config, db: Database, logger: Logger, clock: () => number = Date.now, caches?: CacheRegistry): CoreHandle {
  const pool = db.pool;
  const secrets = createSecretBox(config.encryptionKeyBytes);
  const passwords = createPasswords({ minLength: config.auth.password_min_length, maxLength: config.auth.password_max_length });
  const users = createUserStore(pool, passwords);
  const liveness = new SessionLiveness(pool, db.admin, logger, caches);
  const sessions = createSessionService(pool, {
    jwtSecret: config.auth.jwt_secret,
    audience: config.auth.jwt_audience,
    accessTtlMs: config.auth.jwt_expiry,
    refreshTtlMs: config.auth.refresh_expiry,
    reuseIntervalMs: config.auth.refresh_reuse_interval,
  }, secrets, liveness, logger);

  const createChallenge = async (user: UserRow, method: SignInMethod, client: ClientInfo, sessionId: string | null) => {
    const token = randomToken(32);
    await authQuery(pool, (sql) => sql`
      insert into auth.mfa_challenges (user_id, token_hash, session_id, method, ip, user_agent, expires_at)
      values (${user.id}::uuid, ${sha256(token)}, ${sessionId}::uuid, ${method}, ${client.ip || null}::inet,
              ${client.userAgent.slice(0, 512)}, now() + interval '1 second' * ${CHALLENGE_TTL_S})`);
    return token;
  };

  const core: AuthCore = {
    users,
    passwords,
    sessions,
    secrets,

    async completeSignIn(user, method, client) {
      if (user.banned_until !== null && user.banned_until > new Date()) {
        throw new AppError('ACCESS_DENIED', { message: 'This account is banned', details: { banned_until: user.banned_until.toISOString() } });
      }
      if (user.totp_enabled) {
        const token = await createChallenge(user, method, client, null);
        return { requires_2fa: true, user_id: user.id, challenge_token: token, expires_in: CHALLENGE_TTL_S, message: CHALLENGE_MESSAGE };
      }
      return sessions.issue(user, { method, client });
    },

    async createStepUpChallenge(caller, client) {
      if (!caller.user.totp_enabled) {
        throw new AppError('VALIDATION_FAILED', { message: 'Two-factor authentication is not enabled for this account', details: { fields: { totp: 'not enabled' } } });
      }
      const token = await createChallenge(caller.user, 'step_up', client, caller.sessionId);
      return { challenge_token: token, expires_in: CHALLENGE_TTL_S };
    },

    async consumeChallenge(userId, challengeToken) {
      const hash = challengeToken === undefined ? null : sha256(challengeToken);
      const [row] = await authQuery(pool, (sql) => sql<{ method: SignInMethod; session_id: string | null }[]>`
        update auth.mfa_challenges set consumed_at = now()
        where id = (select id from auth.mfa_challenges
                    where user_id = ${userId}::uuid and consumed_at is null and expires_at > now()
                      and (${hash}::bytea is null or token_hash = ${hash}::bytea)
                    order by created_at desc limit 1 for update skip locked)
        returning method, session_id`);
      if (!row) {
        throw new AppError('INVALID_2FA_CODE', {
          message: challengeToken === undefined ? 'No pending 2FA challenge; sign in first' : 'The challenge token is unknown, used or expired',
          details: { reason: challengeToken === undefined ? 'no_pending_challenge' : 'invalid_challenge' },
        });
      }
      return { method: row.method, sessionId: row.session_id };
    },

    async requireUser(request: FastifyRequest): Promise<AuthedUser> {
      const p = request.principal;
      if (p.kind !== 'user' || p.userId === null) throw authRequired();
      const sessionId = p.claims.session_id;
      if (typeof sessionId !== 'string') throw authRequired('This endpoint needs a token issued by sign-in (bound to a session)');
      const [row] = await authQuery(pool, (sql) => sql<(UserRow & { session_live: boolean | null })[]>`
        select ${sql.unsafe(USER_COLUMNS.replace(/(^|,\s*)/g, '$1u.'))},
               (s.revoked_at is null and s.expires_at > now() and s.user_id = u.id
                and (u.banned_until is null or u.banned_until <= now())) as session_live
        from auth.users u left join auth.sessions s on s.id = ${/^[0-9a-f-]{36}$/i.test(sessionId) ? sessionId : null}::uuid
        where u.id = ${p.userId}::uuid`);
      if (!row || row.session_live !== true) {
        throw new AppError('TOKEN_REVOKED', { message: 'The session of this token has ended', headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
      }
      const { session_live: _live, ...user } = row;
      return { user, sessionId, claims: p.claims };
    },

    clientInfo(request) {
      const ua = request.headers['user-agent'];
      return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : '' };
    },

    clock,
    async isAdminUser(userId) {
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(userId)) return false;
      const [row] = await authQuery(pool, (sql) => sql<{ role: string }[]>`select role from auth.users where id = ${userId}::uuid`);
      return row?.role === 'admin';
    },
  };
  return { core, liveness, dummyVerify: (pw) => passwords.dummyVerify(pw) };
}
