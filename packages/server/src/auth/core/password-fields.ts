// Password fields of the auth route schemas. A password checked against a stored hash
// (sign-in, `current_password`, 2FA disable) is bounded at 4 × auth.password_max_length +
// 64 UTF-16 units: room for any password the policy ever accepted, and no unbounded
// hashing work. A new password is only type-checked here; the policy (Passwords.validate)
// bounds it and answers 422 WEAK_PASSWORD with its reasons, and the auth body limit bounds
// what is read at all.
import { field } from '../../http/index.ts';

export const passwordInputMax = (policyMaxLength: number): number => 4 * policyMaxLength + 64;

/** A required password to check against a stored hash. */
export const passwordField = (policyMaxLength: number) => field.text(passwordInputMax(policyMaxLength));

/** An optional password to check against a stored hash ('' is kept: it is a wrong password). */
export const optionalPasswordField = (policyMaxLength: number) => field.optionalText(passwordInputMax(policyMaxLength));

/** A new password: a string, checked by the policy after parsing. */
export const newPasswordField = () => field.text(Infinity);
