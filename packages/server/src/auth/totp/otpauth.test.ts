// Enrolment material: 20-byte secrets, the otpauth key URI and the QR data URI.
import { describe, expect, it } from 'vitest';
import { base32Decode } from './base32.ts';
import { newTotpSecret, otpauthUri, qrCodeDataUri } from './otpauth.ts';

describe('otpauth', () => {
  it('makes 20-byte secrets in unpadded base32', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(secret);
  });

  it('writes the key URI with issuer label, SHA1, 6 digits and 30 s', () => {
    const uri = otpauthUri('JBSWY3DPEHPK3PXP', 'My App', 'ann@example.com');
    expect(uri).toBe('otpauth://totp/My%20App:ann%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=My%20App&algorithm=SHA1&digits=6&period=30');
  });

  it('renders the URI as a PNG data URI', async () => {
    const png = await qrCodeDataUri('otpauth://totp/Fluxbase:a%40b.c?secret=JBSWY3DPEHPK3PXP');
    expect(png.startsWith('data:image/png;base64,')).toBe(true);
    expect(Buffer.from(png.slice('data:image/png;base64,'.length), 'base64').subarray(1, 4).toString()).toBe('PNG');
  });
});
