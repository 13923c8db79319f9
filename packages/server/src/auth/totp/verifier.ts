// Checking one second-factor code against the stored factor, inside the caller's
// transaction: TOTP codes by step (a step is consumed once, so a replay within its window
// fails), recovery codes by scrypt hash (consumed once). Returns the failure reason, or
// null when the code was right and is now used up.
import type { ReservedSql } from '../../db/index.ts';
import type { SecretBox } from '../deps.ts';
import type { FailureReason } from './attempts.ts';
import { base32Decode } from './base32.ts';
import type { ParsedCode } from './code-input.ts';
import { consumeRecoveryCode, consumeStep, findFactor, unusedRecoveryCodes } from './factor-store.ts';
import { recoveryCodeMatches } from './recovery-codes.ts';
import { matchingSteps } from './totp-code.ts';

/** The secret's bytes; a value the key cannot open is an operator problem (500, logged with this text). */
export function openSecret(secrets: SecretBox, sealed: string): Buffer {
  try {
    return base32Decode(secrets.decrypt(sealed));
  } catch (cause) {
    throw new Error(
      'A stored TOTP secret cannot be decrypted with the configured encryption_key; '
      + 're-encrypt the secrets with the old key (docs: "Rotating encryption_key") or restore the previous key',
      { cause },
    );
  }
}

export async function checkTotp(sql: ReservedSql, secrets: SecretBox, userId: string, code: string, nowMs: number): Promise<FailureReason | null> {
  const factor = await findFactor(sql, userId);
  if (!factor) return 'invalid_code';
  const steps = matchingSteps(openSecret(secrets, factor.secret_enc), code, nowMs);
  const newest = steps[steps.length - 1];
  if (newest === undefined) return 'invalid_code';
  // Consume the newest matching step so that no step of this code can be used again.
  if (newest <= factor.last_used_step) return 'code_already_used';
  return (await consumeStep(sql, userId, newest)) ? null : 'code_already_used';
}

export async function checkRecoveryCode(sql: ReservedSql, userId: string, normalized: string): Promise<FailureReason | null> {
  const codes = await unusedRecoveryCodes(sql, userId);
  // Hash against every unused code (at most 10, on the thread pool) rather than stopping early.
  const matches = await Promise.all(codes.map((c) => recoveryCodeMatches(normalized, c.code_hash)));
  const hit = codes[matches.indexOf(true)];
  if (!hit) return 'invalid_code';
  return (await consumeRecoveryCode(sql, hit.id)) ? null : 'invalid_code';
}

export function checkCode(sql: ReservedSql, secrets: SecretBox, userId: string, code: ParsedCode, nowMs: number): Promise<FailureReason | null> {
  return code.kind === 'totp' ? checkTotp(sql, secrets, userId, code.value, nowMs) : checkRecoveryCode(sql, userId, code.value);
}
