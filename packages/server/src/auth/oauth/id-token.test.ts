import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { verifyIdToken, type IdTokenCheck } from './id-token.ts';
import { hashedNonce } from './pkce.ts';

const ISSUER = 'https://idp.test';
const CLIENT = 'client-1';
let keys: JWTVerifyGetKey;
let signingKey: CryptoKey;
let otherKey: CryptoKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  keys = createLocalJWKSet({ keys: [jwk] });
});

async function token(claims: JWTPayload = {}, opts: { key?: CryptoKey; kid?: string; exp?: number | string; alg?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: 'user-1', email: 'a@b.test', ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'k1' })
    .setIssuer(typeof claims.iss === 'string' ? claims.iss : ISSUER)
    .setAudience((claims.aud as string | string[] | undefined) ?? CLIENT)
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 300)
    .sign(opts.key ?? signingKey);
}

function check(overrides: Partial<IdTokenCheck> = {}): IdTokenCheck {
  return { provider: 'test', keys, issuer: ISSUER, clientId: CLIENT, nonce: { expected: undefined, allowHashed: false }, leewaySeconds: 30, ...overrides };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    return `${e.code}:${String(e.details?.reason)}`;
  }
  return 'accepted';
}

describe('verifyIdToken', () => {
  it('accepts a valid token and returns its claims', async () => {
    const claims = await verifyIdToken(await token(), check());
    expect(claims).toMatchObject({ sub: 'user-1', iss: ISSUER, aud: CLIENT });
  });

  it('refuses expired, foreign-audience, foreign-issuer and foreign-key tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(verifyIdToken(await token({}, { exp: now - 120 }), check()))).toBe('INVALID_ID_TOKEN:expired');
    expect(await reason(verifyIdToken(await token({ aud: 'someone-else' }), check()))).toBe('INVALID_ID_TOKEN:invalid_audience');
    expect(await reason(verifyIdToken(await token({ iss: 'https://evil.test' }), check()))).toBe('INVALID_ID_TOKEN:invalid_issuer');
    expect(await reason(verifyIdToken(await token({}, { key: otherKey }), check()))).toBe('INVALID_ID_TOKEN:bad_signature');
    expect(await reason(verifyIdToken(await token({}, { key: otherKey, kid: 'k9' }), check()))).toBe('INVALID_ID_TOKEN:unknown_key');
  });

  it('honours the leeway for a just-expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await reason(verifyIdToken(await token({}, { exp: now - 5 }), check()))).toBe('accepted');
  });

  it('refuses HS256 and unsigned tokens', async () => {
    const hs = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(CLIENT).setIssuedAt().setExpirationTime('5m')
      .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
    expect(await reason(verifyIdToken(hs, check()))).toBe('INVALID_ID_TOKEN:malformed');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', iss: ISSUER, aud: CLIENT })).toString('base64url')}.`;
    expect(await reason(verifyIdToken(none, check()))).toBe('INVALID_ID_TOKEN:malformed');
    expect(await reason(verifyIdToken('garbage', check()))).toBe('INVALID_ID_TOKEN:malformed');
  });

  it('checks the nonce exactly, or hashed when allowed', async () => {
    const raw = 'nonce-123';
    const plain = await token({ nonce: raw });
    const hashed = await token({ nonce: hashedNonce(raw) });
    expect(await reason(verifyIdToken(plain, check({ nonce: { expected: raw, allowHashed: false } })))).toBe('accepted');
    expect(await reason(verifyIdToken(hashed, check({ nonce: { expected: raw, allowHashed: false } })))).toBe('INVALID_ID_TOKEN:nonce_mismatch');
    expect(await reason(verifyIdToken(hashed, check({ nonce: { expected: raw, allowHashed: true } })))).toBe('accepted');
    expect(await reason(verifyIdToken(plain, check({ nonce: { expected: 'other', allowHashed: true } })))).toBe('INVALID_ID_TOKEN:nonce_mismatch');
    expect(await reason(verifyIdToken(await token(), check({ nonce: { expected: raw, allowHashed: true } })))).toBe('INVALID_ID_TOKEN:nonce_mismatch');
    // A token minted for a nonce is not accepted without it.
    expect(await reason(verifyIdToken(plain, check()))).toBe('INVALID_ID_TOKEN:missing_nonce');
  });

  it("fills Microsoft's {tenantid} issuer template from tid", async () => {
    const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';
    const tid = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const good = await token({ iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid });
    expect(await reason(verifyIdToken(good, check({ issuer: template })))).toBe('accepted');
    const mismatch = await token({ iss: 'https://login.microsoftonline.com/other/v2.0', tid });
    expect(await reason(verifyIdToken(mismatch, check({ issuer: template })))).toBe('INVALID_ID_TOKEN:invalid_issuer');
    const noTid = await token({ iss: `https://login.microsoftonline.com/${tid}/v2.0` });
    expect(await reason(verifyIdToken(noTid, check({ issuer: template })))).toBe('INVALID_ID_TOKEN:invalid_issuer');
  });

  it('accepts listed issuer aliases only', async () => {
    const t = await token({ iss: 'accounts.google.com' });
    expect(await reason(verifyIdToken(t, check()))).toBe('INVALID_ID_TOKEN:invalid_issuer');
    expect(await reason(verifyIdToken(t, check({ issuerAliases: ['accounts.google.com'] })))).toBe('accepted');
  });

  it('checks azp when the token has several audiences', async () => {
    const t = await token({ aud: [CLIENT, 'other'], azp: 'other' });
    expect(await reason(verifyIdToken(t, check()))).toBe('INVALID_ID_TOKEN:invalid_audience');
    const ok = await token({ aud: [CLIENT, 'other'], azp: CLIENT });
    expect(await reason(verifyIdToken(ok, check()))).toBe('accepted');
  });

  it('answers 502 when the key set cannot be fetched', async () => {
    const failing: JWTVerifyGetKey = () => Promise.reject(new TypeError('fetch failed'));
    expect(await reason(verifyIdToken(await token(), check({ keys: failing })))).toBe('OAUTH_PROVIDER_ERROR:jwks_unavailable');
  });
});
