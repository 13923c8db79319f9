import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, parseExpiresIn, signGrant, verifyGrant, type GrantRequest } from './signed-token.ts';
import type { TransformSpec } from './transform-params.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0, 250);
const transform: TransformSpec = { width: 200, height: 100, format: 'webp', quality: 80, fit: 'cover' };
const base: GrantRequest = { bucket: 'avatars', key: 'users/ü 1/photo.png', method: 'GET', transform, expiresIn: 60 };

/** Replaces the character at `index` with a different base64url character. */
function flip(token: string, index: number): string {
  const c = token[index]!;
  return token.slice(0, index) + (c === 'A' ? 'B' : 'A') + token.slice(index + 1);
}

describe('signGrant / verifyGrant', () => {
  it('round-trips a grant with its transform', () => {
    const { token, grant } = signGrant(base, SECRET, NOW);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(grant).toEqual({ bucket: 'avatars', key: 'users/ü 1/photo.png', method: 'GET', transform, exp: Math.ceil(NOW / 1000) + 60 });
    expect(verifyGrant(token, SECRET, NOW)).toEqual({ ok: true, grant });
  });

  it('round-trips a PUT grant without transform, and a Buffer secret', () => {
    const secret = Buffer.from(SECRET);
    const { token, grant } = signGrant({ bucket: 'b', key: 'k', method: 'PUT', expiresIn: 1 }, secret, NOW);
    expect(grant).not.toHaveProperty('transform');
    expect(verifyGrant(token, secret, NOW)).toEqual({ ok: true, grant });
  });

  it('a PUT grant carries its owner; a GET grant or an empty owner is refused at signing', () => {
    const owner = '5b0c2f4e-0000-4000-8000-000000000001';
    const { token, grant } = signGrant({ bucket: 'b', key: 'k', method: 'PUT', expiresIn: 60, owner }, SECRET, NOW);
    expect(grant.owner).toBe(owner);
    expect(verifyGrant(token, SECRET, NOW)).toEqual({ ok: true, grant });
    expect(() => signGrant({ ...base, owner }, SECRET, NOW)).toThrow(/owner/);
    expect(() => signGrant({ bucket: 'b', key: 'k', method: 'PUT', expiresIn: 60, owner: '' }, SECRET, NOW)).toThrow(/owner/);
  });

  it('expires: valid for at least expires_in seconds, refused from exp on', () => {
    const { token, grant } = signGrant(base, SECRET, NOW);
    expect(verifyGrant(token, SECRET, NOW + 60_000 - 1).ok).toBe(true);
    expect(verifyGrant(token, SECRET, grant.exp * 1000 - 1).ok).toBe(true);
    expect(verifyGrant(token, SECRET, grant.exp * 1000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyGrant(token, SECRET, NOW + 7 * 24 * 3600 * 1000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses every single-character change to the payload or the signature', () => {
    const { token } = signGrant(base, SECRET, NOW);
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const result = verifyGrant(flip(token, i), SECRET, NOW);
      expect(result.ok, `index ${i}`).toBe(false);
    }
    // The last signature character carries two unused bits: still refused.
    expect(verifyGrant(flip(token, token.length - 1), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyGrant(flip(token, 0), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a payload edited to another key, method, expiry or transform', () => {
    const { token } = signGrant(base, SECRET, NOW);
    const [payload, sig] = token.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const edits: Record<string, unknown>[] = [
      { ...decoded, k: 'users/other/photo.png' },
      { ...decoded, b: 'private' },
      { ...decoded, m: 'PUT' },
      { ...decoded, e: (decoded.e as number) + 3600 },
      { ...decoded, t: { ...transform, width: 4000 } },
      { ...decoded, t: undefined },
    ];
    for (const edit of edits) {
      const forged = `${Buffer.from(JSON.stringify(edit)).toString('base64url')}.${sig}`;
      expect(verifyGrant(forged, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('refuses truncated tokens', () => {
    const { token } = signGrant(base, SECRET, NOW);
    for (const cut of [1, 2, 10, 43, 44, token.length - 1]) {
      const result = verifyGrant(token.slice(0, token.length - cut), SECRET, NOW);
      expect(result.ok).toBe(false);
    }
    expect(verifyGrant(token.slice(0, -1), SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyGrant(token.slice(1), SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses payloads and signatures swapped between tokens', () => {
    const a = signGrant(base, SECRET, NOW).token.split('.');
    const b = signGrant({ ...base, key: 'other.png' }, SECRET, NOW).token.split('.');
    expect(verifyGrant(`${a[0]}.${b[1]}`, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyGrant(`${b[0]}.${a[1]}`, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a token signed with another secret', () => {
    const { token } = signGrant(base, 'another-secret-of-sufficient-length-xxxxx', NOW);
    expect(verifyGrant(token, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('does not use the secret itself as the MAC key', async () => {
    const { createHmac } = await import('node:crypto');
    const { token } = signGrant(base, SECRET, NOW);
    const [payload, sig] = token.split('.') as [string, string];
    expect(createHmac('sha256', SECRET).update(payload).digest('base64url')).not.toBe(sig);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['no dot', 'abc'],
    ['three parts', 'a.b.c'],
    ['bad characters', 'a+b/.' + 'A'.repeat(43)],
    ['short signature', 'abc.' + 'A'.repeat(42)],
    ['too long', 'A'.repeat(20_000) + '.' + 'A'.repeat(43)],
  ])('malformed: %s', (_name, token) => {
    expect(verifyGrant(token, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses invalid grants at signing time', () => {
    expect(() => signGrant({ ...base, expiresIn: 0 }, SECRET, NOW)).toThrow(RangeError);
    expect(() => signGrant({ ...base, expiresIn: MAX_EXPIRES_IN + 1 }, SECRET, NOW)).toThrow(RangeError);
    expect(() => signGrant({ ...base, expiresIn: 1.5 }, SECRET, NOW)).toThrow(RangeError);
    expect(() => signGrant({ ...base, method: 'PUT' }, SECRET, NOW)).toThrow(/transform/);
    expect(() => signGrant({ ...base, method: 'DELETE' as 'GET' }, SECRET, NOW)).toThrow(/GET or PUT/);
    expect(() => signGrant({ ...base, key: '' }, SECRET, NOW)).toThrow(/key/);
    expect(() => signGrant({ ...base, transform: { quality: 80, width: 100 } }, SECRET, NOW)).toThrow(/canonical/);
    expect(() => signGrant(base, '', NOW)).toThrow(/empty/);
    expect(signGrant({ ...base, expiresIn: MAX_EXPIRES_IN }, SECRET, NOW).grant.exp).toBe(Math.ceil(NOW / 1000) + 604_800);
  });
});

describe('parseExpiresIn', () => {
  it.each([
    [undefined, { ok: true, seconds: DEFAULT_EXPIRES_IN }],
    [null, { ok: true, seconds: 900 }],
    [1, { ok: true, seconds: 1 }],
    ['3600', { ok: true, seconds: 3600 }],
    [604_800, { ok: true, seconds: 604_800 }],
    [0, { ok: false, field: 'expires_in' }],
    [-1, { ok: false, field: 'expires_in' }],
    [1.5, { ok: false, field: 'expires_in' }],
    [604_801, { ok: false, field: 'expires_in' }],
    ['1h', { ok: false, field: 'expires_in' }],
    [true, { ok: false, field: 'expires_in' }],
  ])('%j', (value, expected) => {
    expect(parseExpiresIn(value)).toMatchObject(expected);
  });
});
