import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signJwt, verifyJwt } from './jwt.ts';

const SECRET = 's'.repeat(40);
const NOW = 1_800_000_000;
const opts = { secret: SECRET, leewaySeconds: 30, now: NOW };
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function forge(header: unknown, payload: unknown, secret = SECRET, alg = 'sha256') {
  const h = b64(header);
  const p = b64(payload);
  return `${h}.${p}.${createHmac(alg, secret).update(`${h}.${p}`).digest('base64url')}`;
}

describe('verifyJwt', () => {
  it('accepts a valid HS256 token and returns its claims', () => {
    const r = verifyJwt(signJwt({ role: 'anon', exp: NOW + 60 }, SECRET), opts);
    expect(r).toEqual({ ok: true, claims: { role: 'anon', exp: NOW + 60 } });
  });

  it.each([
    ['garbage', 'not-a-token', 'malformed'],
    ['two parts', 'abc.def', 'malformed'],
    ['non-base64 characters', 'a$b.c.d', 'malformed'],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.e30.sig`, 'malformed'],
  ])('refuses %s as malformed', (_n, token, reason) => {
    const r = verifyJwt(token, opts);
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.code, r.reason]).toEqual(['INVALID_TOKEN', reason]);
  });

  it('refuses alg none without looking at the signature', () => {
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'service_role' })}.`;
    const r = verifyJwt(token, opts);
    expect(r.ok === false && r.reason).toBe('unsupported_algorithm');
  });

  it.each([['HS512', 'sha512'], ['HS384', 'sha384']])('refuses other HMAC algorithms (%s) even when correctly signed', (alg, hash) => {
    const r = verifyJwt(forge({ alg, typ: 'JWT' }, { role: 'anon' }, SECRET, hash), opts);
    expect(r.ok === false && r.reason).toBe('unsupported_algorithm');
  });

  it.each(['jku', 'x5u', 'jwk', 'crit'])('refuses a header carrying %s', (key) => {
    const r = verifyJwt(forge({ alg: 'HS256', [key]: 'x' }, { role: 'anon' }), opts);
    expect(r.ok === false && r.reason).toBe('unsupported_algorithm');
  });

  it('refuses a token signed with another secret', () => {
    const r = verifyJwt(signJwt({ role: 'anon' }, 'other'.repeat(10)), opts);
    expect(r.ok === false && r.reason).toBe('bad_signature');
  });

  it('refuses a tampered payload', () => {
    const [h, , s] = signJwt({ role: 'anon' }, SECRET).split('.');
    const r = verifyJwt(`${h}.${b64({ role: 'service_role' })}.${s}`, opts);
    expect(r.ok === false && r.reason).toBe('bad_signature');
  });

  it('applies the 30 s leeway to exp', () => {
    expect(verifyJwt(signJwt({ role: 'anon', exp: NOW - 29 }, SECRET), opts).ok).toBe(true);
    const r = verifyJwt(signJwt({ role: 'anon', exp: NOW - 31 }, SECRET), opts);
    expect(r.ok === false && r.code).toBe('EXPIRED_TOKEN');
  });

  it('refuses nbf and iat in the future beyond the leeway', () => {
    expect(verifyJwt(signJwt({ nbf: NOW + 29 }, SECRET), opts).ok).toBe(true);
    expect((verifyJwt(signJwt({ nbf: NOW + 31 }, SECRET), opts) as { reason: string }).reason).toBe('not_yet_valid');
    expect((verifyJwt(signJwt({ iat: NOW + 31 }, SECRET), opts) as { reason: string }).reason).toBe('not_yet_valid');
  });

  it('refuses non-numeric time claims', () => {
    expect((verifyJwt(signJwt({ exp: 'tomorrow' }, SECRET), opts) as { reason: string }).reason).toBe('invalid_claims');
  });

  it('checks aud when an audience is configured', () => {
    const o = { ...opts, audience: 'authenticated' };
    expect(verifyJwt(signJwt({ aud: 'authenticated' }, SECRET), o).ok).toBe(true);
    expect(verifyJwt(signJwt({ aud: ['x', 'authenticated'] }, SECRET), o).ok).toBe(true);
    expect((verifyJwt(signJwt({ aud: 'other' }, SECRET), o) as { reason: string }).reason).toBe('invalid_audience');
    expect((verifyJwt(signJwt({}, SECRET), o) as { reason: string }).reason).toBe('invalid_audience');
  });
});
