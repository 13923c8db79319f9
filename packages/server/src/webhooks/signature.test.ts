// Signature headers against HMACs computed here independently, and the secret format.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, legacySignature, signatureHeader } from './signature.ts';

const body = '{"id":"3f2c","event":"INSERT","schema":"public","table":"posts","record":{"title":"héllo ✓"}}';
const hmac = (key: string, message: string): string => createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(message, 'utf8')).digest('hex');

describe('signatureHeader', () => {
  it('signs "<t>.<body>" with one secret', () => {
    expect(signatureHeader(body, ['whsec_one'], 1_700_000_000)).toBe(`t=1700000000,v1=${hmac('whsec_one', `1700000000.${body}`)}`);
  });

  it('matches a fixed known answer', () => {
    // printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test
    const v1 = '35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91';
    expect(signatureHeader('{}', ['whsec_test'], 1_700_000_000)).toBe(`t=1700000000,v1=${v1}`);
  });

  it('carries one v1 per secret in the order given', () => {
    const header = signatureHeader(body, ['whsec_new', 'whsec_old', 'whsec_older'], 1_712_345_678);
    expect(header).toBe([
      't=1712345678',
      `v1=${hmac('whsec_new', `1712345678.${body}`)}`,
      `v1=${hmac('whsec_old', `1712345678.${body}`)}`,
      `v1=${hmac('whsec_older', `1712345678.${body}`)}`,
    ].join(','));
  });

  it('writes whole seconds and refuses an empty secret list', () => {
    expect(signatureHeader(body, ['k'], 1_700_000_000.9)).toMatch(/^t=1700000000,v1=/);
    expect(() => signatureHeader(body, [], 1_700_000_000)).toThrow(/at least one secret/);
  });
});

describe('legacySignature', () => {
  it('is the HMAC of the body alone', () => {
    expect(legacySignature(body, 'whsec_one')).toBe(hmac('whsec_one', body));
    expect(legacySignature(body, 'whsec_one')).not.toBe(legacySignature(body, 'whsec_two'));
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ and 32 random bytes in base64url', () => {
    const secrets = Array.from({ length: 20 }, generateWebhookSecret);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64url')).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });
});
