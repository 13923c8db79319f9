// Password hashing and policy (docs/auth.md "Users and passwords"): argon2id (OWASP
// parameters: 19 MiB, t=2, p=1) through @node-rs/argon2 on the libuv thread pool; legacy
// bcrypt hashes are verified and flagged for rehash. Passwords are NFC-normalised and never
// truncated.
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { AppError } from '../../http/index.ts';
import type { Passwords } from '../deps.ts';
import { isCommonPassword } from './common-passwords.ts';

// algorithm 2 = Argon2id (the package's const enum cannot be imported under verbatimModuleSyntax).
const ARGON = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
const CURRENT_PARAMS = '$argon2id$v=19$m=19456,t=2,p=1$';

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

/** Characters as the user sees them (code points), not UTF-16 units. */
const lengthOf = (s: string) => [...s].length;

export function createPasswords(policy: PasswordPolicy): Passwords & { dummyVerify(password: string): Promise<void> } {
  // Verified against for unknown emails so both answers cost the same hashing work.
  let dummy: Promise<string> | undefined;
  const dummyHash = () => (dummy ??= argonHash('fluxbase-dummy-password', ARGON));

  const verify = async (stored: string | null, password: string) => {
    if (stored === null || stored === '') {
      await argonVerify(await dummyHash(), password, ARGON).catch(() => false);
      return { ok: false, rehash: false };
    }
    const normalized = password.normalize('NFC');
    if (stored.startsWith('$2a$') || stored.startsWith('$2b$') || stored.startsWith('$2y$')) {
      // Legacy hashes are rare: bcryptjs is loaded on the first one.
      const { default: bcrypt } = await import('bcryptjs');
      const ok = await bcrypt.compare(normalized, stored).catch(() => false);
      return { ok, rehash: ok };
    }
    if (!stored.startsWith('$argon2')) return { ok: false, rehash: false };
    const ok = await argonVerify(stored, normalized).catch(() => false);
    return { ok, rehash: ok && !stored.startsWith(CURRENT_PARAMS) };
  };

  return {
    hash: (password) => argonHash(password.normalize('NFC'), ARGON),
    verify,
    async dummyVerify(password) {
      await verify(null, password);
    },
    validate(value) {
      if (value === undefined || value === null || value === '') {
        throw new AppError('MISSING_REQUIRED_FIELD', { message: 'password is required', details: { field: 'password' } });
      }
      if (typeof value !== 'string') {
        throw new AppError('VALIDATION_FAILED', { message: 'password must be a string', details: { fields: { password: 'must be a string' } } });
      }
      const password = value.normalize('NFC');
      const reasons: string[] = [];
      const length = lengthOf(password);
      if (length < policy.minLength) reasons.push(`shorter than ${policy.minLength} characters`);
      if (length > policy.maxLength) reasons.push(`longer than ${policy.maxLength} characters`);
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(password)) reasons.push('contains control characters');
      if (reasons.length === 0 && isCommonPassword(password)) reasons.push('too common');
      if (reasons.length > 0) {
        throw new AppError('WEAK_PASSWORD', { message: `The password is ${reasons.join(', ')}`, details: { reasons } });
      }
      return password;
    },
  };
}
