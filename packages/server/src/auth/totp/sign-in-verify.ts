// POST /2fa/verify (docs/auth.md "Signing in with 2FA"): the second step of any sign-in (or
// a step-up). Order: per-user lock → a pending challenge must exist (and match
// `challenge_token` when sent) → the code (TOTP or recovery code, single use) → the
// challenge is consumed only after the code was right → an aal2 session. A request without
// a pending challenge tests no code, so it neither counts toward the lock nor burns a code.
import type { ReservedSql } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { authQuery } from '../core/db.ts';
import { sha256 } from '../core/tokens.ts';
import type { AmrEntry, ClientInfo, Session } from '../core/types.ts';
import type { AuthDeps, IssueOptions } from '../deps.ts';
import { markAttemptFailed } from './attempts.ts';
import type { ParsedCode } from './code-input.ts';
import { failureError, guardedAttempt } from './guard.ts';
import { checkCode } from './verifier.ts';

export interface VerifyInput {
  userId: string;
  code: ParsedCode;
  challengeToken: string | undefined;
}

/** The same rows AuthCore.consumeChallenge would take (unconsumed, unexpired, token if given). */
async function hasPendingChallenge(sql: ReservedSql, userId: string, challengeToken: string | undefined): Promise<boolean> {
  const hash = challengeToken === undefined ? null : sha256(challengeToken);
  const [row] = await sql<{ pending: boolean }[]>`
    select exists (select 1 from auth.mfa_challenges
                   where user_id = ${userId}::uuid and consumed_at is null and expires_at > now()
                     and (${hash}::bytea is null or token_hash = ${hash}::bytea)) as pending`;
  return row?.pending === true;
}

export async function verifySecondFactor(deps: AuthDeps, input: VerifyInput, client: ClientInfo): Promise<Session> {
  const { userId, code, challengeToken } = input;
  const attemptId = await guardedAttempt(deps, { userId, client, action: 'verify', codeUsed: code.kind }, async (sql) => {
    if (!(await hasPendingChallenge(sql, userId, challengeToken))) {
      return challengeToken === undefined ? 'no_pending_challenge' : 'invalid_challenge';
    }
    return checkCode(sql, deps.core.secrets, userId, code, deps.core.clock());
  });

  let challenge: { method: string; sessionId: string | null };
  try {
    challenge = await deps.core.consumeChallenge(userId, challengeToken);
  } catch (err) {
    // Taken by a concurrent request since the check: this attempt did not sign in.
    if (attemptId !== null) await authQuery(deps.db.pool, (sql) => markAttemptFailed(sql, attemptId, 'no_pending_challenge'));
    throw err;
  }

  const user = await deps.core.users.findById(userId);
  if (!user) throw failureError('no_pending_challenge');
  if (user.banned_until !== null && user.banned_until > new Date()) {
    throw new AppError('ACCESS_DENIED', { message: 'This account is banned', details: { banned_until: user.banned_until.toISOString() } });
  }
  const options: IssueOptions = { method: code.kind === 'totp' ? 'totp' : 'recovery_code', client, aal: 'aal2' };
  if (challenge.sessionId !== null) {
    options.sessionId = challenge.sessionId; // step-up: the session keeps its first factor in amr
  } else {
    const first: AmrEntry = { method: challenge.method, timestamp: Math.floor(Date.now() / 1000) };
    options.amr = [first];
  }
  return deps.core.sessions.issue(user, options);
}
