// HOTP (RFC 4226) and TOTP (RFC 6238) with node:crypto: HMAC of the 8-byte big-endian
// counter, dynamic truncation, `digits` decimal digits. Fluxbase uses SHA-1, 6 digits and
// 30-second steps (docs/auth.md "Two-factor authentication (TOTP)"); the other parameters
// exist for the RFC test vectors.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  /** Default 6. */
  digits?: number;
  /** Seconds per step; default 30. */
  period?: number;
  /** Default sha1. */
  algorithm?: TotpAlgorithm;
}

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD = 30;
/** Steps accepted either side of the current one (clock drift). */
export const TOTP_WINDOW = 1;

export function hotp(secret: Uint8Array, counter: number, digits = TOTP_DIGITS, algorithm: TotpAlgorithm = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, '0');
}

/** The step number of a time (unix milliseconds). */
export function totpStep(timeMs: number, period = TOTP_PERIOD): number {
  return Math.floor(timeMs / 1000 / period);
}

/** The code at `timeMs` (unix milliseconds). */
export function totpAt(secret: Uint8Array, timeMs: number, options: TotpOptions = {}): string {
  return hotp(secret, totpStep(timeMs, options.period), options.digits ?? TOTP_DIGITS, options.algorithm ?? 'sha1');
}

/**
 * The steps within ±TOTP_WINDOW of `timeMs` whose code equals `code`, oldest first.
 * Every candidate is compared (constant time) so timing does not tell which one matched.
 */
export function matchingSteps(secret: Uint8Array, code: string, timeMs: number): number[] {
  const current = totpStep(timeMs);
  const given = Buffer.from(code.padEnd(TOTP_DIGITS, '\0').slice(0, TOTP_DIGITS));
  const steps: number[] = [];
  for (let step = current - TOTP_WINDOW; step <= current + TOTP_WINDOW; step++) {
    const expected = Buffer.from(hotp(secret, step));
    if (timingSafeEqual(expected, given) && code.length === TOTP_DIGITS) steps.push(step);
  }
  return steps;
}
