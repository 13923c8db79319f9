// TOTP in tests without waiting on the wall clock: the server under test gets a fixed clock
// (startTestApp({ clock: totpClock })), set once in the middle of a 30-second step, and the
// test computes codes from the same clock, so a code never expires between being computed
// and being checked, whenever the test runs.
import { base32Decode, hotp, TOTP_PERIOD, totpStep } from '../../src/auth/totp/index.ts';

const STEP_MS = TOTP_PERIOD * 1000;
const FIXED_NOW = Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS / 2;

/** The clock the server's TOTP checks and these helpers share. */
export const totpClock = (): number => FIXED_NOW;

/** The code of the step `offset` steps from the clock's. */
export const codeAt = (secret: string, offset = 0): string => hotp(base32Decode(secret), totpStep(totpClock()) + offset);

/** A 6-digit code that matches none of the accepted steps (the clock's, and one on each side). */
export function wrongCode(secret: string): string {
  const valid = new Set([-1, 0, 1].map((o) => codeAt(secret, o)));
  for (let n = 0; ; n++) {
    const candidate = String((Number(codeAt(secret)) + 7 + n) % 1_000_000).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}
