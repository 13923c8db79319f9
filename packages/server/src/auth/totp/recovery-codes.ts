// Recovery codes (docs/auth.md "Recovery codes"): 10 per user, `XXXXX-XXXXX` in base32 (50
// random bits each), shown once and stored as scrypt hashes with a per-code salt. A plain
// SHA-256 of 50 bits could be brute-forced from a leaked table; scrypt makes that
// impractical.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { base32Encode } from './base32.ts';

export const RECOVERY_CODE_COUNT = 10;
const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;
const PREFIX = 'scrypt$16384$8$1$';

function scryptAsync(secret: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_LENGTH, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** One code as shown to the user: 10 base32 characters split 5-5. */
export function newRecoveryCode(): string {
  const chars = base32Encode(randomBytes(7)).slice(0, 10); // 56 random bits → 10 uniform characters
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, newRecoveryCode);
}

/** The canonical form hashed and compared: upper case, no separator (`abcde-fghij` → `ABCDEFGHIJ`). */
export function normalizeRecoveryCode(code: string): string | null {
  const clean = code.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-7]{10}$/.test(clean) ? clean : null;
}

/** `scrypt$N$r$p$<salt b64>$<key b64>` of the normalised code. */
export async function hashRecoveryCode(code: string): Promise<string> {
  const normalized = normalizeRecoveryCode(code);
  if (normalized === null) throw new Error('not a recovery code');
  const salt = randomBytes(16);
  const key = await scryptAsync(normalized, salt);
  return `${PREFIX}${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `normalized` (see normalizeRecoveryCode) matches a stored hash. */
export async function recoveryCodeMatches(normalized: string, stored: string): Promise<boolean> {
  if (!stored.startsWith(PREFIX)) return false;
  const [saltB64, keyB64] = stored.slice(PREFIX.length).split('$');
  if (saltB64 === undefined || keyB64 === undefined) return false;
  const expected = Buffer.from(keyB64, 'base64');
  const actual = await scryptAsync(normalized, Buffer.from(saltB64, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
