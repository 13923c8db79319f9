// The EmailFlows other auth routes call (signup, PATCH /user): thin bindings of the
// domain functions to the auth dependencies.
import type { EmailFlows } from '../deps.ts';
import type { EmailDeps } from './email-deps.ts';
import { startEmailChange } from './email-change.ts';
import { consumeReauthNonce } from './reauthentication.ts';
import { notifyExistingSignup, sendVerification } from './verification.ts';

export function createEmailFlows(deps: EmailDeps): EmailFlows {
  return {
    sendVerification: (user, redirectTo) => sendVerification(deps, user, redirectTo),
    notifyExistingSignup: (user) => notifyExistingSignup(deps, user),
    startEmailChange: (user, newEmail) => startEmailChange(deps, user, newEmail),
    consumeReauthNonce: (user, nonce) => consumeReauthNonce(deps, user, nonce),
  };
}
