// The enrolment material shown once at setup: a fresh 20-byte secret in base32, the
// otpauth:// key URI (Google Authenticator key-uri format) and its QR code as a PNG
// data: URI for authenticator apps.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type QRCodeModule from 'qrcode';
import { base32Encode } from './base32.ts';
import { TOTP_DIGITS, TOTP_PERIOD } from './totp-code.ts';

export const SECRET_BYTES = 20;

export function newTotpSecret(): string {
  return base32Encode(randomBytes(SECRET_BYTES));
}

/** `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`. */
export function otpauthUri(secret: string, issuer: string, account: string): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const params = new URLSearchParams({
    secret, issuer, algorithm: 'SHA1', digits: String(TOTP_DIGITS), period: String(TOTP_PERIOD),
  });
  // URLSearchParams writes spaces as '+', which some authenticator apps show literally.
  return `otpauth://totp/${label}?${params.toString().replace(/\+/g, '%20')}`;
}

export function qrCodeDataUri(uri: string): Promise<string> {
  // Loaded on the first 2FA setup, not at start (~10 MB resident).
  const QRCode = createRequire(import.meta.url)('qrcode') as typeof QRCodeModule;
  return QRCode.toDataURL(uri, { type: 'image/png', width: 256, margin: 2, errorCorrectionLevel: 'M' });
}
