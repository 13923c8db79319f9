import { describe, expect, it } from 'vitest';
import { AppError } from '../../http/index.ts';
import { issuerAcceptable } from './discovery.ts';
import { parseTokenSet } from './provider-http.ts';

describe('parseTokenSet', () => {
  it('reads a token response', () => {
    expect(parseTokenSet('p', { access_token: 'at', token_type: 'Bearer', refresh_token: 'rt', id_token: 'it', expires_in: '3600', scope: 'openid' }))
      .toEqual({ access_token: 'at', token_type: 'Bearer', refresh_token: 'rt', id_token: 'it', expires_in: 3600, scope: 'openid' });
  });

  it("turns GitHub's 200-with-error into 502 OAUTH_PROVIDER_ERROR carrying the provider's code", () => {
    let err: unknown;
    try {
      parseTokenSet('github', { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(502);
    expect((err as AppError).details).toMatchObject({ provider: 'github', provider_error: 'bad_verification_code' });
  });

  it('refuses a response without an access token', () => {
    expect(() => parseTokenSet('p', { token_type: 'Bearer' })).toThrow(AppError);
  });
});

describe('issuerAcceptable', () => {
  it('compares issuers modulo a trailing slash', () => {
    expect(issuerAcceptable('https://accounts.google.com', 'https://accounts.google.com/')).toBe(true);
    expect(issuerAcceptable('https://a.test', 'https://b.test')).toBe(false);
  });
  it("accepts Microsoft's tenant template for the multi-tenant endpoints only", () => {
    expect(issuerAcceptable('https://login.microsoftonline.com/common/v2.0', 'https://login.microsoftonline.com/{tenantid}/v2.0')).toBe(true);
    expect(issuerAcceptable('https://login.microsoftonline.com/consumers/v2.0', 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0')).toBe(true);
    expect(issuerAcceptable('https://login.microsoftonline.com/my-tenant/v2.0', 'https://login.microsoftonline.com/{tenantid}/v2.0')).toBe(false);
  });
});
