// TOTP two-factor authentication (docs/auth.md "Two-factor authentication (TOTP)"): setup,
// enable, verify, disable, status, recovery codes, step-up challenges, the per-user attempt
// limit (from the attempts table, so it holds across instances), and the admin unlock and
// removal. Secrets are sealed with the core's SecretBox and never stored or logged in
// clear.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../deps.ts';
import { registerAdminTotpRoutes } from './routes/admin.ts';
import { registerChallengeRoute } from './routes/challenge.ts';
import { registerDisableRoute } from './routes/disable.ts';
import { registerEnableRoute } from './routes/enable.ts';
import { registerRecoveryCodesRoute } from './routes/recovery-codes.ts';
import { registerSetupRoute } from './routes/setup.ts';
import { registerStatusRoute } from './routes/status.ts';
import { registerVerifyRoute } from './routes/verify.ts';

export { base32Decode, base32Encode } from './base32.ts';
export { hotp, totpAt, totpStep, matchingSteps, TOTP_DIGITS, TOTP_PERIOD, type TotpOptions, type TotpAlgorithm } from './totp-code.ts';
export { rekeyTotpSecrets, type RekeyResult } from './rekey.ts';
export { deleteExpiredTotpRows, ATTEMPT_RETENTION_DAYS } from './cleanup.ts';

export function registerTotpRoutes(app: FastifyInstance, deps: AuthDeps): void {
  registerSetupRoute(app, deps);
  registerEnableRoute(app, deps);
  registerChallengeRoute(app, deps);
  registerVerifyRoute(app, deps);
  registerDisableRoute(app, deps);
  registerStatusRoute(app, deps);
  registerRecoveryCodesRoute(app, deps);
  registerAdminTotpRoutes(app, deps);
}
