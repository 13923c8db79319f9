// Fields shared by the two ways to start an authorization, GET /oauth/:provider/authorize
// (query) and POST /user/identities (body): redirect targets, extra scopes, and the
// client's optional PKCE pair start (`code_challenge`, `code_challenge_method=S256`). Only
// S256 is accepted: a plain challenge would bind nothing the URL does not show.
import { z } from 'zod';
import { field, LIMITS } from '../../../http/index.ts';
import { parseScopes } from '../provider-spec.ts';

/** `scopes`: space- or comma-separated scope tokens, added to the provider's. */
const scopesField = field.param(LIMITS.text).transform((raw, ctx) => {
  if (raw === undefined) return [];
  const parsed = parseScopes(raw);
  if (typeof parsed !== 'string') return parsed;
  ctx.addIssue({ code: 'custom', message: parsed, input: raw });
  return z.NEVER;
});

export const authorizeFields = {
  redirect_uri: field.param(LIMITS.url),
  redirect_to: field.param(LIMITS.url),
  scopes: scopesField,
  code_challenge: field.param(128),
  code_challenge_method: field.param(10),
};

const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The PKCE pair, checked once both fields are strings (an object-level refinement). */
export function checkClientChallenge(v: { code_challenge?: string | undefined; code_challenge_method?: string | undefined }, ctx: z.RefinementCtx): void {
  if (v.code_challenge === undefined) {
    if (v.code_challenge_method !== undefined) ctx.addIssue({ code: 'custom', path: ['code_challenge'], message: 'is required with code_challenge_method' });
  } else if (v.code_challenge_method !== 'S256') {
    ctx.addIssue({ code: 'custom', path: ['code_challenge_method'], message: 'must be S256' });
  } else if (!S256_CHALLENGE.test(v.code_challenge)) {
    ctx.addIssue({ code: 'custom', path: ['code_challenge'], message: 'must be a base64url SHA-256 (43 characters)' });
  }
}
