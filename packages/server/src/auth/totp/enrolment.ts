// Enrolment (docs/auth.md "Turning 2FA on"): setup creates a pending secret (sealed, 10
// minutes) and shows it once with its otpauth URI and QR code; enable checks a first code
// against it, turns it into the user's factor and answers 10 fresh recovery codes.
import { z } from 'zod';
import { AppError } from '../../http/index.ts';
import { authQuery, authTx } from '../core/db.ts';
import type { UserRow } from '../core/types.ts';
import type { AuthDeps } from '../deps.ts';
import { enableFactor, lockSetup, replaceRecoveryCodes, saveSetup } from './factor-store.ts';
import { newTotpSecret, otpauthUri, qrCodeDataUri } from './otpauth.ts';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { matchingSteps } from './totp-code.ts';
import { openSecret } from './verifier.ts';

export const SETUP_TTL_MS = 10 * 60_000;
const MAX_ISSUER_LENGTH = 64;

export interface SetupAnswer {
  id: string;
  type: 'totp';
  totp: { qr_code: string; secret: string; uri: string };
}

export interface RecoveryCodesAnswer {
  backup_codes: string[];
}

export const alreadyEnabled = () =>
  new AppError('CONFLICT', { message: 'Two-factor authentication is already enabled; disable it first', details: { reason: 'already_enabled' } });
export const notEnabled = () =>
  new AppError('CONFLICT', { message: 'Two-factor authentication is not enabled for this account', details: { reason: 'not_enabled' } });

/** Secrets are never stored in clear (docs/auth.md "How secrets are stored"): no key, no 2FA. */
export function assertEncryptionKey(deps: AuthDeps): void {
  const key: unknown = deps.config.encryptionKeyBytes;
  if (!Buffer.isBuffer(key) || key.length !== 32) {
    throw new AppError('OPERATION_FAILED', {
      message: 'Two-factor authentication needs encryption_key, which is not configured',
      hint: 'Set encryption_key (FLUXBASE_ENCRYPTION_KEY, 32 bytes) and restart',
    });
  }
}

const ISSUER_PROBLEM = `must be 1 to ${MAX_ISSUER_LENGTH} characters without ':' or control characters`;

/**
 * The otpauth issuer of a setup request (absent, null or '': auth.totp_issuer), trimmed.
 * ':' separates issuer from account in the otpauth label; control characters break apps.
 */
export function issuerField() {
  return z.preprocess((v) => (v === null || v === '' ? undefined : v), z.string({ error: ISSUER_PROBLEM })
    .max(MAX_ISSUER_LENGTH, ISSUER_PROBLEM)
    .refine((v) => !/[:\p{Cc}]/u.test(v) && v.trim() !== '', ISSUER_PROBLEM)
    .transform((v) => v.trim())
    .optional());
}

export async function startSetup(deps: AuthDeps, user: UserRow, issuer: string): Promise<SetupAnswer> {
  if (user.totp_enabled) throw alreadyEnabled();
  assertEncryptionKey(deps);
  const secret = newTotpSecret();
  const id = await authQuery(deps.db.pool, (sql) => saveSetup(sql, user.id, deps.core.secrets.encrypt(secret), SETUP_TTL_MS));
  const uri = otpauthUri(secret, issuer, user.email ?? user.id);
  return { id, type: 'totp', totp: { qr_code: await qrCodeDataUri(uri), secret, uri } };
}

/** Fresh codes: the plain ones to show and their hashes to store. */
export async function freshRecoveryCodes(): Promise<{ codes: string[]; hashes: string[] }> {
  const codes = newRecoveryCodes();
  return { codes, hashes: await Promise.all(codes.map(hashRecoveryCode)) };
}

export async function enableTotp(deps: AuthDeps, user: UserRow, code: string): Promise<RecoveryCodesAnswer> {
  if (user.totp_enabled) throw alreadyEnabled();
  assertEncryptionKey(deps);
  const outcome = await authTx(deps.db.pool, async (sql) => {
    const setup = await lockSetup(sql, user.id);
    if (!setup) return 'no_pending_setup' as const;
    const steps = matchingSteps(openSecret(deps.core.secrets, setup.secret_enc), code, deps.core.clock());
    const newest = steps[steps.length - 1];
    if (newest === undefined) return 'invalid_code' as const;
    // The enabling code's step counts as used: it cannot sign in afterwards.
    if (!(await enableFactor(sql, user.id, setup, newest))) return 'already_enabled' as const;
    const fresh = await freshRecoveryCodes();
    await replaceRecoveryCodes(sql, user.id, fresh.hashes);
    return fresh.codes;
  });
  if (outcome === 'no_pending_setup') {
    throw new AppError('CONFLICT', { message: 'No pending 2FA setup (it lasts 10 minutes); call /2fa/setup first', details: { reason: outcome } });
  }
  if (outcome === 'invalid_code') throw new AppError('INVALID_2FA_CODE', { message: 'The 2FA code is wrong', details: { reason: outcome } });
  if (outcome === 'already_enabled') throw alreadyEnabled();
  return { backup_codes: outcome };
}
