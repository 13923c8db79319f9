// Managing an enabled factor: status, disable (password or a code), regenerating recovery
// codes (current TOTP code), and the admin unlock and removal (docs/auth.md "Two-factor
// authentication (TOTP)"). Every check of a password or code by the user goes through the
// attempt limit, so a stolen session cannot brute-force its way to turning 2FA off.
import { AppError, invalidField } from '../../http/index.ts';
import { authQuery, authTx } from '../core/db.ts';
import type { UserRow } from '../core/types.ts';
import type { AuthDeps } from '../deps.ts';
import type { ClientInfo } from '../core/types.ts';
import { clearFailures } from './attempts.ts';
import type { ParsedCode } from './code-input.ts';
import { freshRecoveryCodes, notEnabled, type RecoveryCodesAnswer } from './enrolment.ts';
import { countUnusedRecoveryCodes, removeTotp, replaceRecoveryCodes } from './factor-store.ts';
import { guardedAttempt } from './guard.ts';
import { checkCode, checkTotp } from './verifier.ts';

export interface StatusAnswer {
  totp_enabled: boolean;
  recovery_codes_remaining: number;
}

export type DisableProof = { kind: 'password'; password: string } | { kind: 'code'; code: ParsedCode };

export async function totpStatus(deps: AuthDeps, user: UserRow): Promise<StatusAnswer> {
  if (!user.totp_enabled) return { totp_enabled: false, recovery_codes_remaining: 0 };
  const remaining = await authQuery(deps.db.pool, (sql) => countUnusedRecoveryCodes(sql, user.id));
  return { totp_enabled: true, recovery_codes_remaining: remaining };
}

export async function disableTotp(deps: AuthDeps, user: UserRow, proof: DisableProof, client: ClientInfo): Promise<void> {
  if (!user.totp_enabled) throw notEnabled();
  if (proof.kind === 'password') {
    const hash = user.encrypted_password;
    if (hash === null) throw invalidField('password', 'cannot be used: this account has no password; send a current 2FA code instead');
    await guardedAttempt(deps, { userId: user.id, client, action: 'disable', codeUsed: 'password' }, async (sql) => {
      const { ok } = await deps.core.passwords.verify(hash, proof.password);
      if (!ok) return 'wrong_password';
      await removeTotp(sql, user.id);
      return null;
    });
    return;
  }
  await guardedAttempt(deps, { userId: user.id, client, action: 'disable', codeUsed: proof.code.kind }, async (sql) => {
    const failure = await checkCode(sql, deps.core.secrets, user.id, proof.code, deps.core.clock());
    if (failure === null) await removeTotp(sql, user.id);
    return failure;
  });
}

export async function regenerateRecoveryCodes(deps: AuthDeps, user: UserRow, code: string, client: ClientInfo): Promise<RecoveryCodesAnswer> {
  if (!user.totp_enabled) throw notEnabled();
  let codes: string[] = [];
  await guardedAttempt(deps, { userId: user.id, client, action: 'recovery_codes', codeUsed: 'totp' }, async (sql) => {
    const failure = await checkTotp(sql, deps.core.secrets, user.id, code, deps.core.clock());
    if (failure !== null) return failure;
    const fresh = await freshRecoveryCodes();
    await replaceRecoveryCodes(sql, user.id, fresh.hashes);
    codes = fresh.codes;
    return null;
  });
  return { backup_codes: codes };
}

async function assertUserExists(deps: AuthDeps, userId: string): Promise<void> {
  if (!(await deps.core.users.findById(userId))) {
    throw new AppError('NOT_FOUND', { message: 'User not found', details: { resource: 'user' } });
  }
}

/** Admin: lift the attempt lock (the failures stay in the audit table, no longer counted). */
export async function adminUnlock(deps: AuthDeps, userId: string): Promise<void> {
  await assertUserExists(deps, userId);
  await authQuery(deps.db.pool, (sql) => clearFailures(sql, userId));
}

/** Admin: remove the user's TOTP (factor, pending setup, recovery codes) and any lock. */
export async function adminRemoveTotp(deps: AuthDeps, userId: string): Promise<void> {
  await assertUserExists(deps, userId);
  await authTx(deps.db.pool, async (sql) => {
    await removeTotp(sql, userId);
    await clearFailures(sql, userId);
  });
}
