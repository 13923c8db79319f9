// AES-256-GCM sealing under `encryption_key` (docs/auth.md "How secrets are stored"):
// `base64(nonce12 ‖ ciphertext ‖ tag)`. Used for TOTP secrets, OAuth provider tokens and
// client secrets, and the refresh-token child kept for the reuse interval.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretBox } from '../deps.ts';

const NONCE = 12;
const TAG = 16;

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('encryption_key must be 32 bytes for AES-256-GCM');
  return {
    encrypt(plaintext) {
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
    },
    decrypt(sealed) {
      const raw = Buffer.from(sealed, 'base64');
      if (raw.length < NONCE + TAG) throw new Error('sealed value is too short');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, NONCE));
      decipher.setAuthTag(raw.subarray(raw.length - TAG));
      return Buffer.concat([decipher.update(raw.subarray(NONCE, raw.length - TAG)), decipher.final()]).toString('utf8');
    },
  };
}
