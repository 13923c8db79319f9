// Sessions and refresh tokens (docs/auth.md "Sessions and refresh tokens"). A session is
// one sign-in; each refresh rotates its refresh token. Concurrent refreshes of one token
// serialise on the token and session rows: the first rotates, the others (within
// auth.refresh_reuse_interval) get the same child. A rotated token replayed later revokes
// the whole session (GoTrue's rule).
import type { Pool, ReservedSql } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import type { Logger } from '../../observability/index.ts';
import type { IssueOptions, SecretBox, SessionService } from '../deps.ts';
import { mintAccessToken } from './access-token.ts';
import { authQuery, authTx } from './db.ts';
import type { SessionLiveness } from './session-liveness.ts';
import { randomToken, sha256 } from './tokens.ts';
import type { AmrEntry, AuthenticatorAssurance, Session, UserRow } from './types.ts';
import { toUser, USER_COLUMNS } from './users.ts';

export interface SessionSettings {
  jwtSecret: string;
  audience: string;
  accessTtlMs: number;
  refreshTtlMs: number;
  reuseIntervalMs: number;
}

interface TokenRow {
  token_id: string;
  session_id: string;
  rotated_at: Date | null;
  child_token_enc: string | null;
  parent_id: string | null;
  user_id: string;
  revoked_at: Date | null;
  expired: boolean;
  aal: AuthenticatorAssurance;
  amr: AmrEntry[];
  within_reuse: boolean;
}

const invalidRefresh = (reason: string, message = 'The refresh token is invalid or expired') =>
  new AppError('INVALID_REFRESH_TOKEN', { message, details: { reason } });

export function createSessionService(
  pool: Pool, settings: SessionSettings, secrets: SecretBox, liveness: SessionLiveness, logger: Logger,
): SessionService {
  const answer = (user: UserRow, sessionId: string, refreshToken: string, aal: AuthenticatorAssurance, amr: AmrEntry[]): Session => {
    const expiresIn = Math.round(settings.accessTtlMs / 1000);
    const { token, expiresAt } = mintAccessToken({
      user, sessionId, aal, amr, expiresInSeconds: expiresIn, secret: settings.jwtSecret, audience: settings.audience,
    });
    return { user: toUser(user), access_token: token, refresh_token: refreshToken, token_type: 'bearer', expires_in: expiresIn, expires_at: expiresAt };
  };

  const insertToken = async (sql: ReservedSql, sessionId: string, parentId: string | null): Promise<string> => {
    const token = randomToken(32);
    await sql`insert into auth.refresh_tokens (session_id, token_hash, parent_id) values (${sessionId}::uuid, ${sha256(token)}, ${parentId})`;
    return token;
  };

  const revokeInTx = async (sql: ReservedSql, where: 'session' | 'user', id: string, reason: string, except?: string) => {
    const rows = where === 'session'
      ? await sql<{ id: string }[]>`update auth.sessions set revoked_at = now(), revoked_reason = ${reason}
          where id = ${id}::uuid and revoked_at is null returning id`
      : await sql<{ id: string }[]>`update auth.sessions set revoked_at = now(), revoked_reason = ${reason}
          where user_id = ${id}::uuid and revoked_at is null and (${except ?? null}::uuid is null or id <> ${except ?? null}::uuid)
          returning id`;
    return rows.map((r) => r.id);
  };

  return {
    async issue(user: UserRow, options: IssueOptions) {
      const aal = options.aal ?? 'aal1';
      const entry: AmrEntry = { method: options.method, timestamp: Math.floor(Date.now() / 1000) };
      if (options.sessionId === undefined) {
        // A new session: one statement (session, refresh token, last_sign_in_at), atomic without BEGIN/COMMIT.
        const amrList = [...(options.amr ?? []), entry];
        const token = randomToken(32);
        const [s] = await authQuery(pool, (sql) => sql<{ id: string }[]>`
          with s as (
            insert into auth.sessions (user_id, aal, amr, user_agent, ip, expires_at)
            values (${user.id}::uuid, ${aal}, ${sql.json(amrList as never)}, ${options.client.userAgent.slice(0, 512)},
                    ${options.client.ip || null}::inet, now() + interval '1 millisecond' * ${settings.refreshTtlMs}::float8)
            returning id),
          t as (insert into auth.refresh_tokens (session_id, token_hash) select id, ${sha256(token)} from s),
          u as (update auth.users set last_sign_in_at = now() where id = ${user.id}::uuid)
          select id from s`);
        return answer({ ...user, last_sign_in_at: new Date() }, s!.id, token, aal, amrList);
      }
      const { sessionId, refreshToken, amr } = await authTx(pool, async (sql) => {
        const [s] = await sql<{ id: string; amr: AmrEntry[] }[]>`
          update auth.sessions set aal = ${aal}, amr = amr || ${sql.json([entry] as never)}::jsonb, refreshed_at = now(),
                 expires_at = now() + interval '1 millisecond' * ${settings.refreshTtlMs}::float8
          where id = ${options.sessionId!}::uuid and user_id = ${user.id}::uuid and revoked_at is null
          returning id, amr`;
        if (!s) throw new AppError('AUTHENTICATION_REQUIRED', { message: 'The session has ended; sign in again' });
        // The new refresh token joins the family; earlier ones stay valid until rotated.
        return { sessionId: s.id, refreshToken: await insertToken(sql, s.id, null), amr: s.amr };
      });
      await liveness.announce(pool, [`s:${sessionId}`]);
      return answer(user, sessionId, refreshToken, aal, amr);
    },

    async refresh(refreshToken: string) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(refreshToken)) throw invalidRefresh('malformed', 'The refresh token is malformed');
      const hash = sha256(refreshToken);
      const outcome = await authTx(pool, async (sql) => {
        // FOR UPDATE on both rows: concurrent refreshes of one token (or of one family)
        // queue here and each sees the committed result of the one before.
        const [row] = await sql<TokenRow[]>`
          select rt.id::text as token_id, rt.session_id, rt.rotated_at, rt.child_token_enc, rt.parent_id::text as parent_id,
                 s.user_id, s.revoked_at, s.expires_at <= now() as expired, s.aal, s.amr,
                 rt.rotated_at > now() - interval '1 millisecond' * ${settings.reuseIntervalMs}::float8 as within_reuse
          from auth.refresh_tokens rt join auth.sessions s on s.id = rt.session_id
          where rt.token_hash = ${hash}
          for update`;
        if (!row) throw invalidRefresh('unknown');
        if (row.revoked_at !== null) throw invalidRefresh('revoked', 'The session of this refresh token has ended');
        if (row.expired) throw invalidRefresh('expired', 'The refresh token has expired');
        const [user] = await sql<UserRow[]>`select ${sql.unsafe(USER_COLUMNS)} from auth.users where id = ${row.user_id}::uuid`;
        if (!user) throw invalidRefresh('revoked', 'The user no longer exists');
        if (user.banned_until !== null && user.banned_until > new Date()) {
          await revokeInTx(sql, 'session', row.session_id, 'banned');
          return { kind: 'revoked' as const, sessionId: row.session_id, userId: row.user_id, reason: 'banned' };
        }
        if (row.rotated_at !== null) {
          if (row.within_reuse && row.child_token_enc !== null) {
            // A concurrent (or retried) refresh: answer with the child, unless it moved on already.
            const [child] = await sql<{ rotated_at: Date | null }[]>`
              select rotated_at from auth.refresh_tokens where parent_id = ${row.token_id}::bigint order by id desc limit 1`;
            if (child && child.rotated_at === null) {
              let token: string;
              try {
                token = secrets.decrypt(row.child_token_enc);
              } catch {
                // Sealed under a previous encryption_key: refuse this replay without ending the session.
                throw invalidRefresh('rotated', 'This refresh token was just rotated; use the new one');
              }
              return { kind: 'ok' as const, user, sessionId: row.session_id, token, aal: row.aal, amr: row.amr };
            }
          }
          await revokeInTx(sql, 'session', row.session_id, 'refresh_token_reused');
          return { kind: 'reused' as const, sessionId: row.session_id, userId: row.user_id, reason: 'refresh_token_reused' };
        }
        const child = await insertToken(sql, row.session_id, row.token_id);
        await sql`update auth.refresh_tokens set rotated_at = now(), child_token_enc = ${secrets.encrypt(child)} where id = ${row.token_id}::bigint`;
        // The parent's copy of this token is no longer needed once this token rotates.
        if (row.parent_id !== null) await sql`update auth.refresh_tokens set child_token_enc = null where id = ${row.parent_id}::bigint`;
        await sql`update auth.sessions set refreshed_at = now(),
                    expires_at = now() + interval '1 millisecond' * ${settings.refreshTtlMs}::float8
                  where id = ${row.session_id}::uuid`;
        return { kind: 'ok' as const, user, sessionId: row.session_id, token: child, aal: row.aal, amr: row.amr };
      });
      if (outcome.kind !== 'ok') {
        await liveness.announce(pool, [`s:${outcome.sessionId}`]);
        if (outcome.kind === 'reused') {
          logger.warn({ session_id: outcome.sessionId, user_id: outcome.userId }, 'rotated refresh token reused: session family revoked');
          throw new AppError('REFRESH_TOKEN_REUSED', {
            message: 'This refresh token was already used; the session has been ended for safety', details: { reason: 'reused' },
          });
        }
        throw invalidRefresh('revoked', 'The account is banned');
      }
      return answer(outcome.user, outcome.sessionId, outcome.token, outcome.aal, outcome.amr);
    },

    async familyOf(refreshToken: string) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(refreshToken)) return null;
      const [row] = await authQuery(pool, (sql) => sql<{ session_id: string }[]>`
        select session_id from auth.refresh_tokens where token_hash = ${sha256(refreshToken)}`);
      return row?.session_id ?? null;
    },

    async revoke(sessionId: string, reason: string) {
      const ids = await authQuery(pool, (sql) => revokeInTx(sql, 'session', sessionId, reason));
      if (ids.length > 0) await liveness.announce(pool, [`s:${sessionId}`]);
    },

    async revokeUserSessions(userId: string, reason: string, exceptSessionId?: string) {
      const ids = await authQuery(pool, (sql) => revokeInTx(sql, 'user', userId, reason, exceptSessionId));
      if (ids.length > 0) await liveness.announce(pool, ids.map((id) => `s:${id}`));
      return ids.length;
    },
  };
}
