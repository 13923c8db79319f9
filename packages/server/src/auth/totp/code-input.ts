// Second-factor codes and user ids as zod fields of the TOTP route schemas: a 6-digit TOTP
// code or a recovery code (`XXXXX-XXXXX`, any case). Anything else is a 400 before any
// attempt is counted: it could never match, so it tells nothing about the secret.
import { z } from 'zod';
import { LIMITS } from '../../http/index.ts';
import { normalizeRecoveryCode } from './recovery-codes.ts';

export type ParsedCode = { kind: 'totp'; value: string } | { kind: 'recovery_code'; value: string };

const blankToAbsent = (v: unknown) => (v === null || v === '' ? undefined : v);
const CODE_SHAPE = `must be a string of at most ${LIMITS.code} characters`;

/** The code in `value`, or the problem with it; `allowRecovery: false` where the current TOTP code itself is needed. */
export function readCode(value: string, allowRecovery = true): ParsedCode | { problem: string } {
  const compact = value.replace(/\s/g, '');
  if (/^\d{6}$/.test(compact)) return { kind: 'totp', value: compact };
  const recovery = allowRecovery ? normalizeRecoveryCode(compact) : null;
  if (recovery !== null) return { kind: 'recovery_code', value: recovery };
  return { problem: allowRecovery ? 'must be a 6-digit code or a recovery code (XXXXX-XXXXX)' : 'must be the current 6-digit code' };
}

/** A required code (absent, null and '' are "is required"). */
export function codeField(options: { allowRecovery?: boolean } = {}) {
  return z.preprocess(blankToAbsent, z.string({ error: CODE_SHAPE }).max(LIMITS.code, CODE_SHAPE)).transform((value, ctx) => {
    const code = readCode(value, options.allowRecovery ?? true);
    if (!('problem' in code)) return code;
    ctx.addIssue({ code: 'custom', message: code.problem, input: value });
    return z.NEVER;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USER_ID = 'must be a user id (UUID)';

/** A required user id, lower-cased. */
export function userIdField() {
  return z.preprocess(blankToAbsent, z.string({ error: USER_ID }).regex(UUID, USER_ID)).transform((v) => v.toLowerCase());
}
