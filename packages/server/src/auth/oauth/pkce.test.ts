import { describe, expect, it } from 'vitest';
import { sha256 } from '../core/tokens.ts';
import { hashedNonce, newAttemptSecrets, pkceChallenge, stateHashOf } from './pkce.ts';

describe('PKCE and state', () => {
  it('computes the RFC 7636 appendix B S256 challenge', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes fresh 32-byte states stored as their SHA-256', () => {
    const a = newAttemptSecrets();
    const b = newAttemptSecrets();
    expect(a.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.state, 'base64url')).toHaveLength(32);
    expect(a.state).not.toBe(b.state);
    expect(a.stateHash.equals(sha256(a.state))).toBe(true);
    expect(a.codeVerifier.length).toBeGreaterThanOrEqual(43);
    expect(a.codeChallenge).toBe(pkceChallenge(a.codeVerifier));
    expect(a.nonce).not.toBe(b.nonce);
  });

  it('refuses states Fluxbase cannot have issued', () => {
    expect(stateHashOf('short')).toBeUndefined();
    expect(stateHashOf(['a'])).toBeUndefined();
    expect(stateHashOf(`${'a'.repeat(42)}!`)).toBeUndefined();
    expect(stateHashOf('a'.repeat(43))?.equals(sha256('a'.repeat(43)))).toBe(true);
  });

  it('hashes nonces as hex SHA-256', () => {
    expect(hashedNonce('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
