import { describe, expect, it } from 'vitest';
import { newUserMetadata, parseGithubEmails, profileFromClaims, profileFromGithub, providerEmail } from './profile.ts';

describe('profileFromClaims', () => {
  it('reads OIDC claims and keeps only profile claims as identity data', () => {
    const p = profileFromClaims({
      iss: 'https://idp.test', sub: 'abc', aud: 'x', nonce: 'n', at_hash: 'h', email: ' Alice@Example.COM ', email_verified: true,
      given_name: 'Alice', family_name: 'Liddell', picture: 'https://img.test/a.png',
    })!;
    expect(p).toMatchObject({ subject: 'abc', email: 'alice@example.com', emailVerified: true, name: 'Alice Liddell', avatarUrl: 'https://img.test/a.png' });
    expect(p.data).not.toHaveProperty('nonce');
    expect(p.data).not.toHaveProperty('aud');
    expect(p.data).toMatchObject({ sub: 'abc', email_verified: true });
  });

  it("accepts Apple's string booleans and refuses unverified or missing flags", () => {
    expect(profileFromClaims({ sub: 's', email: 'a@b.test', email_verified: 'true' })!.emailVerified).toBe(true);
    expect(profileFromClaims({ sub: 's', email: 'a@b.test', email_verified: 'false' })!.emailVerified).toBe(false);
    expect(profileFromClaims({ sub: 's', email: 'a@b.test' })!.emailVerified).toBe(false);
    expect(profileFromClaims({ sub: 's', email_verified: true })!.emailVerified).toBe(false); // no email
  });

  it('drops unusable emails and refuses a missing subject', () => {
    expect(profileFromClaims({ sub: 's', email: 'not-an-email', email_verified: true })!.email).toBeNull();
    expect(profileFromClaims({ email: 'a@b.test' })).toBeUndefined();
    expect(profileFromClaims({ id: 1234 })!.subject).toBe('1234');
  });
});

describe('profileFromGithub', () => {
  const user = { id: 42, login: 'octo', name: null, email: 'public@example.com', avatar_url: 'https://avatars.test/42' };

  it('prefers the primary verified email from /user/emails', () => {
    const emails = parseGithubEmails([
      { email: 'public@example.com', primary: false, verified: false },
      { email: 'Main@Example.com', primary: true, verified: true },
      { junk: true },
    ]);
    const p = profileFromGithub(user, emails)!;
    expect(p).toMatchObject({ subject: '42', email: 'main@example.com', emailVerified: true, name: 'octo', avatarUrl: 'https://avatars.test/42' });
  });

  it('falls back to the public email, unverified unless listed verified', () => {
    expect(profileFromGithub(user, [])!).toMatchObject({ email: 'public@example.com', emailVerified: false });
    expect(profileFromGithub(user, [{ email: 'public@example.com', primary: false, verified: true }])!.emailVerified).toBe(true);
  });

  it('needs a numeric id', () => {
    expect(profileFromGithub({ login: 'x' }, [])).toBeUndefined();
  });
});

describe('helpers', () => {
  it('normalises provider emails or returns null', () => {
    expect(providerEmail('A@B.TEST')).toBe('a@b.test');
    expect(providerEmail(3)).toBeNull();
  });
  it('builds new-user metadata from the profile', () => {
    const p = profileFromClaims({ sub: 's', name: 'N', picture: 'https://p.test/x' })!;
    expect(newUserMetadata(p, 'google')).toEqual({ provider: 'google', name: 'N', avatar_url: 'https://p.test/x' });
  });
});
