// What the email flows use: every auth dependency except the flows themselves (they are
// built from this, and other auth modules receive them through AuthDeps.emailFlows).
import type { AuthDeps } from '../deps.ts';

export type EmailDeps = Omit<AuthDeps, 'emailFlows'>;

/** The reauthentication nonce lives 5 minutes (docs/auth.md "Token lifetimes and storage"). */
export const REAUTH_NONCE_TTL_MS = 5 * 60_000;
