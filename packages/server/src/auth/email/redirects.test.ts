import { describe, expect, it } from 'vitest';
import { codeOf } from '../../http/errors/failure-fixture.ts';
import type { Config } from '../../config/index.ts';
import { buildLink } from './links.ts';
import { checkRedirect } from './redirects.ts';

const config = (allow: string[], site = 'https://app.example.com') =>
  ({ auth: { site_url: site, redirect_allow_list: allow }, server: { public_url: 'http://localhost:8080' } }) as unknown as Config;


describe('checkRedirect', () => {
  const c = config(['https://app.example.com/auth/**', 'https://other.example.org/callback', 'myapp://login']);

  it.each([
    ['the site URL', 'https://app.example.com'],
    ['the site URL with a slash', 'https://app.example.com/'],
    ['an exact entry', 'https://other.example.org/callback'],
    ['a custom-scheme exact entry', 'myapp://login'],
    ['the prefix itself', 'https://app.example.com/auth'],
    ['below the prefix', 'https://app.example.com/auth/callback?next=/home#x'],
  ])('accepts %s', (_name, url) => {
    expect(checkRedirect(c, url)).toBe(url);
  });

  it.each([
    ['another host', 'https://evil.example.net/'],
    ['a look-alike host', 'https://app.example.com.evil.net/auth/x'],
    ['userinfo tricks', 'https://app.example.com@evil.net/auth/x'],
    ['credentials on the right host', 'https://user:pw@app.example.com/auth/x'],
    ['a sibling path', 'https://app.example.com/authority'],
    ['a path outside the prefix', 'https://app.example.com/admin'],
    ['dot segments escaping the prefix', 'https://app.example.com/auth/../admin'],
    ['encoded dot segments', 'https://app.example.com/auth/%2e%2e/admin'],
    ['another scheme', 'http://app.example.com/auth/x'],
    ['another port', 'https://app.example.com:8443/auth/x'],
    ['an exact entry with extra path', 'https://other.example.org/callback/more'],
    ['javascript:', 'javascript:alert(1)'],
    ['a relative URL', '/auth/callback'],
    ['a protocol-relative URL', '//evil.net/x'],
    ['garbage', 'not a url'],
    ['a very long URL', `https://app.example.com/auth/${'a'.repeat(3000)}`],
  ])('refuses %s with INVALID_REDIRECT_URL', (_name, url) => {
    expect(codeOf(() => checkRedirect(c, url))).toBe('INVALID_REDIRECT_URL');
  });

  it('refuses non-strings with VALIDATION_FAILED', () => {
    expect(codeOf(() => checkRedirect(c, 42))).toBe('VALIDATION_FAILED');
  });

  it('never accepts javascript: even when allow-listed', () => {
    expect(codeOf(() => checkRedirect(config(['javascript:alert(1)']), 'javascript:alert(1)'))).toBe('INVALID_REDIRECT_URL');
  });

  it('falls back to server.public_url when site_url is unset', () => {
    const c2 = { auth: { redirect_allow_list: [] }, server: { public_url: 'http://localhost:8080' } } as unknown as Config;
    expect(checkRedirect(c2, 'http://localhost:8080/')).toBe('http://localhost:8080/');
  });
});

describe('buildLink', () => {
  it('adds token and type to the site URL', () => {
    expect(buildLink(config([]), undefined, 'abc', 'magiclink')).toBe('https://app.example.com/?token=abc&type=magiclink');
  });

  it('keeps the redirect target query and fragment', () => {
    expect(buildLink(config([]), 'https://app.example.com/cb?next=%2Fx#frag', 't-_1', 'recovery'))
      .toBe('https://app.example.com/cb?next=%2Fx&token=t-_1&type=recovery#frag');
  });
});
