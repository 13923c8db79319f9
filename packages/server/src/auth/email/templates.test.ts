import { describe, expect, it } from 'vitest';
import {
  describeDuration, emailChangeMessage, emailOtpMessage, escapeHtml, existingSignupMessage, magicLinkMessage,
  passwordResetMessage, reauthenticationMessage, verificationMessage,
} from './templates.ts';

const LINK = 'https://app.example.com/?token=abc&type=magiclink';

describe('templates', () => {
  it('puts the link and the code in both the text and the HTML of a magic link', () => {
    const m = magicLinkMessage('a@example.com', LINK, '123456', 600_000);
    expect(m.to).toBe('a@example.com');
    expect(m.text).toContain(LINK);
    expect(m.text).toContain('123456');
    expect(m.text).toContain('10 minutes');
    expect(m.html).toContain('href="https://app.example.com/?token=abc&amp;type=magiclink"');
    expect(m.html).toContain('123456');
  });

  it.each([
    ['email OTP', emailOtpMessage('a@x.io', '654321', 600_000), '654321'],
    ['reauthentication', reauthenticationMessage('a@x.io', '000123', 300_000), '000123'],
    ['password reset', passwordResetMessage('a@x.io', LINK, 3_600_000), LINK],
    ['verification', verificationMessage('a@x.io', LINK, 86_400_000), LINK],
    ['email change', emailChangeMessage('a@x.io', LINK, 86_400_000), LINK],
    ['existing signup', existingSignupMessage('a@x.io', 'https://app.example.com'), 'https://app.example.com'],
  ])('%s carries its secret or link in text and HTML', (_name, m, needle) => {
    expect(m.subject.length).toBeGreaterThan(5);
    expect(m.text).toContain(needle);
    expect(m.html).toContain(escapeHtml(needle));
    expect(m.html).toMatch(/^<!doctype html>/);
  });

  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it.each([[600_000, '10 minutes'], [60_000, '1 minute'], [3_600_000, '1 hour'], [86_400_000, '24 hours'], [1500, '2 seconds'], [90_000, '90 seconds']])(
    'describes %d ms as %s', (ms, text) => {
      expect(describeDuration(ms)).toBe(text);
    },
  );
});
