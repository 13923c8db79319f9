import { describe, expect, it } from 'vitest';
import { smtpOptions } from './smtp-mailer.ts';

describe('smtpOptions', () => {
  it('reads host, port and URL-encoded credentials', () => {
    const o = smtpOptions('smtp://us%40er:p%3Ass@mail.example.com:2525');
    expect(o).toMatchObject({ host: 'mail.example.com', port: 2525, secure: false, ignoreTLS: false, auth: { user: 'us@er', pass: 'p:ss' } });
  });

  it('uses implicit TLS for smtps://', () => {
    expect(smtpOptions('smtps://mail.example.com')).toMatchObject({ secure: true, ignoreTLS: false });
    expect(smtpOptions('smtps://mail.example.com').port).toBeUndefined();
  });

  it('skips STARTTLS on loopback only', () => {
    expect(smtpOptions('smtp://127.0.0.1:1025').ignoreTLS).toBe(true);
    expect(smtpOptions('smtp://localhost:1025').ignoreTLS).toBe(true);
    expect(smtpOptions('smtp://[::1]:1025')).toMatchObject({ host: '::1', ignoreTLS: true });
    expect(smtpOptions('smtp://10.0.0.5:25').ignoreTLS).toBe(false);
  });

  it('honours ignoreTLS, requireTLS and tls.rejectUnauthorized parameters', () => {
    expect(smtpOptions('smtp://localhost?ignoreTLS=false&requireTLS=true')).toMatchObject({ ignoreTLS: false, requireTLS: true });
    expect(smtpOptions('smtp://mail.example.com?tls.rejectUnauthorized=false').tls).toEqual({ rejectUnauthorized: false });
  });

  it.each([
    ['http://mail.example.com', /smtp:\/\/ or smtps:\/\//],
    ['not a url', /not a valid URL/],
    ['smtp://mail.example.com?requireTLS=yes', /must be true or false/],
  ])('refuses %s at startup', (url, message) => {
    expect(() => smtpOptions(url)).toThrow(message);
  });

  it('bounds connection and socket time', () => {
    const o = smtpOptions('smtp://mail.example.com');
    expect(o.connectionTimeout).toBeGreaterThan(0);
    expect(o.socketTimeout).toBeGreaterThan(0);
  });
});
