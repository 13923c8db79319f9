import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { checkRedirect, isAllowedRedirect } from './redirects.ts';

const allowed = ['https://app.example.com', 'https://app.example.com/auth/**', 'http://localhost:3000/callback', 'myapp://callback', 'javascript:alert(1)'];

describe('isAllowedRedirect', () => {
  const cases: [string, boolean][] = [
    ['https://app.example.com', true],
    ['https://app.example.com/', true], // same URL once parsed
    ['HTTPS://APP.EXAMPLE.COM/', true],
    ['https://app.example.com:443/', true],
    ['https://app.example.com/auth/', true],
    ['https://app.example.com/auth/callback?x=1#frag', true],
    ['https://app.example.com/auth/a/b/c', true],
    ['https://app.example.com/authx', false],
    ['https://app.example.com/auth', true], // /auth/** covers /auth itself
    ['https://app.example.com/auth/../admin', false],
    ['https://app.example.com/auth/%2e%2e/admin', false],
    ['https://app.example.com/other', false],
    ['https://app.example.com.evil.com/auth/x', false],
    ['https://evil.com/?https://app.example.com', false],
    ['https://app.example.com@evil.com/auth/x', false],
    ['https://user:pw@app.example.com/auth/x', false],
    ['http://app.example.com/auth/x', false], // scheme matters
    ['https://app.example.com:8443/auth/x', false],
    ['http://localhost:3000/callback', true],
    ['http://localhost:3000/callback?next=/', false], // exact entries are exact
    ['javascript:alert(1)', false], // even when listed
    ['myapp://callback', true], // native-app scheme, exact entry
    ['myapp://callback/extra', false],
    ['data:text/html,hi', false],
    ['//evil.com', false],
    ['/relative', false],
    ['', false],
    [`https://app.example.com/auth/${'a'.repeat(3000)}`, false],
  ];
  it.each(cases)('%s → %s', (target, expected) => {
    expect(isAllowedRedirect(target, allowed)).toBe(expected);
  });

  it('ignores malformed allow-list entries instead of matching everything', () => {
    expect(isAllowedRedirect('https://x.test/', ['not a url', '/**', 'ftp://x.test/**'])).toBe(false);
    expect(isAllowedRedirect('myapp://host/deep', ['myapp://host/**'])).toBe(false); // prefixes are http(s) only
  });
});

describe('checkRedirect', () => {
  it('throws 400 INVALID_REDIRECT_URL naming the field', () => {
    let err: unknown;
    try {
      checkRedirect('redirect_to', 'https://evil.com', allowed);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_REDIRECT_URL');
    expect((err as AppError).status).toBe(400);
    expect((err as AppError).details).toEqual({ field: 'redirect_to' });
  });

  it('returns an allowed value unchanged', () => {
    expect(checkRedirect('redirect_uri', 'https://app.example.com/auth/cb', allowed)).toBe('https://app.example.com/auth/cb');
  });
});
