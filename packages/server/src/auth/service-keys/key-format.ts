// The stored service key format (docs/auth.md "Format and storage"): `sk_` + base64url (no
// padding) of 32 random bytes, 46 characters. Only its SHA-256 is stored; its first 16
// characters (not secret) find the row.
import { randomBytes } from 'node:crypto';
import { sha256 } from '../core/tokens.ts';

export const KEY_PREFIX_LENGTH = 16;
const KEY_RE = /^sk_[A-Za-z0-9_-]{43}$/;

export interface NewKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

export function isWellFormedKey(value: string): boolean {
  return KEY_RE.test(value);
}

export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX_LENGTH);
}

export function hashKey(key: string): Buffer {
  return sha256(key);
}

/** A fresh key; the plaintext is shown once and never stored. */
export function generateKey(): NewKey {
  const key = `sk_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: keyPrefix(key), hash: hashKey(key) };
}
