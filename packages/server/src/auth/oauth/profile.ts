// The provider account as Fluxbase sees it: a stable subject, an email and whether the
// provider vouches for it, and a few profile fields. Built from ID-token claims, a
// userinfo document, or GitHub's /user + /user/emails. An email the provider does not
// mark verified never links to an existing account (docs/auth.md "5. The sign-in flow").
import { normalizeEmail } from '../core/email.ts';

export interface Profile {
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | undefined;
  avatarUrl: string | undefined;
  /** Stored as identities.identity_data: profile claims only, never tokens. */
  data: Record<string, unknown>;
}

const PROFILE_CLAIMS = [
  'iss', 'sub', 'email', 'email_verified', 'name', 'given_name', 'family_name', 'nickname', 'preferred_username',
  'picture', 'locale', 'tid', 'is_private_email', 'id', 'login', 'avatar_url', 'html_url',
];

const str = (v: unknown, max = 500): string | undefined => (typeof v === 'string' && v !== '' ? v.slice(0, max) : undefined);

/** `true` or Apple's string "true". */
export const claimTrue = (v: unknown): boolean => v === true || v === 'true';

/** A provider email as stored, or null when absent or unusable (sign-in proceeds without it). */
export function providerEmail(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  try {
    return normalizeEmail(value);
  } catch {
    return null;
  }
}

function pick(source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of PROFILE_CLAIMS) {
    const v = source[key];
    if (v !== undefined && v !== null && (typeof v !== 'string' || v.length <= 2048)) out[key] = v;
  }
  return out;
}

function displayName(c: Record<string, unknown>): string | undefined {
  const joined = [str(c.given_name), str(c.family_name)].filter(Boolean).join(' ');
  return str(c.name) ?? (joined !== '' ? joined : undefined) ?? str(c.preferred_username) ?? str(c.login);
}

/** OIDC claims (ID token, possibly merged with userinfo) or a generic userinfo document. */
export function profileFromClaims(claims: Record<string, unknown>): Profile | undefined {
  const raw = claims.sub ?? claims.id;
  const subject = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : str(raw, 255);
  if (subject === undefined) return undefined;
  const email = providerEmail(claims.email);
  return {
    subject,
    email,
    emailVerified: email !== null && claimTrue(claims.email_verified),
    name: displayName(claims),
    avatarUrl: str(claims.picture, 2048) ?? str(claims.avatar_url, 2048),
    data: pick(claims),
  };
}

export interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

export function parseGithubEmails(body: unknown): GithubEmail[] {
  if (!Array.isArray(body)) return [];
  return body.flatMap((e: unknown) => {
    const r = (e ?? {}) as Record<string, unknown>;
    return typeof r.email === 'string' ? [{ email: r.email, primary: r.primary === true, verified: r.verified === true }] : [];
  });
}

/** GitHub: `id` is the subject; the email is the primary verified address when there is one. */
export function profileFromGithub(user: Record<string, unknown>, emails: GithubEmail[]): Profile | undefined {
  if (typeof user.id !== 'number' || !Number.isSafeInteger(user.id)) return undefined;
  const primary = emails.find((e) => e.primary && e.verified) ?? emails.find((e) => e.verified);
  const publicEmail = providerEmail(user.email);
  let email: string | null;
  let verified: boolean;
  if (primary && providerEmail(primary.email) !== null) {
    email = providerEmail(primary.email);
    verified = true;
  } else {
    email = publicEmail;
    verified = publicEmail !== null && emails.some((e) => e.verified && providerEmail(e.email) === publicEmail);
  }
  return {
    subject: String(user.id),
    email,
    emailVerified: verified,
    name: str(user.name) ?? str(user.login),
    avatarUrl: str(user.avatar_url, 2048),
    data: { ...pick(user), ...(email !== null ? { email, email_verified: verified } : {}) },
  };
}

/** user_metadata of a user created by this sign-in. */
export function newUserMetadata(profile: Profile, provider: string): Record<string, unknown> {
  const meta: Record<string, unknown> = { provider };
  if (profile.name !== undefined) meta.name = profile.name;
  if (profile.avatarUrl !== undefined) meta.avatar_url = profile.avatarUrl;
  return meta;
}
