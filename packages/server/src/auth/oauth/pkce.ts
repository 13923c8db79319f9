// The random values of one authorization attempt: state (32 bytes, stored as SHA-256),
// PKCE S256 verifier and challenge (RFC 7636), and the OIDC nonce.
import { createHash } from 'node:crypto';
import { randomToken, sha256 } from '../core/tokens.ts';

/** 32 random bytes as base64url: 43 characters. */
const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export interface AttemptSecrets {
  state: string;
  stateHash: Buffer;
  codeVerifier: string;
  codeChallenge: string;
  nonce: string;
}

export function newAttemptSecrets(): AttemptSecrets {
  const state = randomToken(32);
  // 32 bytes → 43 base64url characters, within RFC 7636's 43–128 unreserved characters.
  const codeVerifier = randomToken(32);
  return {
    state,
    stateHash: sha256(state),
    codeVerifier,
    codeChallenge: pkceChallenge(codeVerifier),
    nonce: randomToken(24),
  };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The stored form of a state, or undefined when it cannot be one of ours. */
export function stateHashOf(state: unknown): Buffer | undefined {
  return typeof state === 'string' && STATE_FORMAT.test(state) ? sha256(state) : undefined;
}

/** Hex SHA-256, the hashed-nonce form mobile SDKs send to the provider (Supabase style). */
export function hashedNonce(nonce: string): string {
  return createHash('sha256').update(nonce, 'utf8').digest('hex');
}
