import { describe, expect, it } from 'vitest';
import { buildProviderSpec, checkEndpointUrl, parseScopes, providersFromConfig, type Problems } from './provider-spec.ts';

describe('providersFromConfig', () => {
  it('builds presets with their issuer, endpoints and scopes', () => {
    const { specs, problems } = providersFromConfig({
      google: { client_id: 'g-id', client_secret: 'g-secret' },
      github: { client_id: 'gh-id', client_secret: 'gh-secret' },
      microsoft: { client_id: 'ms', enabled: false },
      apple: { client_id: 'com.example.web', client_secret: 'jwt' },
    });
    expect(problems).toEqual([]);
    const google = specs.get('google')!;
    expect(google).toMatchObject({ issuer: 'https://accounts.google.com', profile: 'id_token', scopes: ['openid', 'email', 'profile'], source: 'config', preset: 'google', enabled: true });
    const github = specs.get('github')!;
    expect(github).toMatchObject({
      issuer: undefined, profile: 'github', scopes: ['read:user', 'user:email'],
      authorizeUrl: 'https://github.com/login/oauth/authorize', tokenUrl: 'https://github.com/login/oauth/access_token', userinfoUrl: 'https://api.github.com/user',
    });
    expect(specs.get('microsoft')).toMatchObject({ issuer: 'https://login.microsoftonline.com/common/v2.0', enabled: false });
    expect(specs.get('apple')).toMatchObject({ issuer: 'https://appleid.apple.com', authorizeParams: { response_mode: 'form_post' } });
  });

  it('accepts a generic OIDC provider by issuer_url, with comma-separated scopes', () => {
    const { specs, problems } = providersFromConfig({ keycloak: { client_id: 'kc', issuer_url: 'https://sso.example.com/realms/main', scopes: 'openid,email, groups' } });
    expect(problems).toEqual([]);
    expect(specs.get('keycloak')).toMatchObject({ issuer: 'https://sso.example.com/realms/main', profile: 'id_token', scopes: ['openid', 'email', 'groups'], displayName: 'keycloak' });
  });

  it('lists every problem with its key path', () => {
    const { specs, problems } = providersFromConfig({
      google: { client_secret: 'x' },
      custom: { client_id: 'c' },
      bad: { client_id: 'b', issuer_url: 'http://sso.example.com', scopes: 'a "b"', enabled: 'yes', clientid: 'typo' },
      'Bad Name': { client_id: 'x', issuer_url: 'https://x.example.com' },
      broken: 'not a mapping',
    });
    expect(specs.size).toBe(0);
    expect(problems).toEqual(expect.arrayContaining([
      'auth.oauth.google.client_id: is required',
      'auth.oauth.custom.authorize_url: is required unless issuer_url is set (OIDC discovery)',
      'auth.oauth.custom.token_url: is required unless issuer_url is set (OIDC discovery)',
      'auth.oauth.custom.userinfo_url: is required unless issuer_url is set (OIDC discovery)',
      'auth.oauth.bad.issuer_url: must be an https URL (http only on localhost)',
      'auth.oauth.bad.scopes: must contain valid scope tokens (no spaces, quotes or backslashes)',
      'auth.oauth.bad.enabled: must be true or false',
      'auth.oauth.bad.clientid: unknown key',
      expect.stringMatching(/^auth\.oauth\.Bad Name: provider name must be lower-case/),
      expect.stringMatching(/^auth\.oauth\.broken: expected a mapping/),
    ]));
  });

  it('treats an absent block as no providers and a non-mapping as an error', () => {
    expect(providersFromConfig(undefined)).toEqual({ specs: new Map(), problems: [] });
    expect(providersFromConfig(['google']).problems).toHaveLength(1);
  });
});

describe('buildProviderSpec', () => {
  it('lets explicit settings override the preset', () => {
    const problems: Problems = {};
    const spec = buildProviderSpec('github', { client_id: 'x', authorize_url: 'https://ghe.example.com/login/oauth/authorize', scopes: ['read:user'], display_name: 'GHE' }, 'database', problems);
    expect(problems).toEqual({});
    expect(spec).toMatchObject({ authorizeUrl: 'https://ghe.example.com/login/oauth/authorize', tokenUrl: 'https://github.com/login/oauth/access_token', scopes: ['read:user'], displayName: 'GHE', source: 'database' });
  });

  it('accepts a plain OAuth 2.0 provider with all three endpoints', () => {
    const problems: Problems = {};
    const spec = buildProviderSpec('acme', {
      client_id: 'x', authorize_url: 'https://acme.test/authorize', token_url: 'https://acme.test/token', userinfo_url: 'https://acme.test/me',
    }, 'database', problems);
    expect(problems).toEqual({});
    expect(spec?.profile).toBe('userinfo');
    expect(spec?.scopes).toEqual([]);
  });
});

describe('checkEndpointUrl and parseScopes', () => {
  it('allows https anywhere and http only on loopback', () => {
    expect(checkEndpointUrl('https://x.test/a')).toBeUndefined();
    expect(checkEndpointUrl('http://127.0.0.1:4000/a')).toBeUndefined();
    expect(checkEndpointUrl('http://localhost/a')).toBeUndefined();
    expect(checkEndpointUrl('http://x.test/a')).toMatch(/https/);
    expect(checkEndpointUrl('https://u:p@x.test/')).toMatch(/credentials/);
    expect(checkEndpointUrl('nope')).toMatch(/valid URL/);
  });

  it('splits, deduplicates and bounds scopes', () => {
    expect(parseScopes('openid email  openid')).toEqual(['openid', 'email']);
    expect(parseScopes(['a', 'b'])).toEqual(['a', 'b']);
    expect(parseScopes(42)).toBe('must be a list of scopes');
    expect(parseScopes(Array.from({ length: 51 }, (_, i) => `s${i}`))).toMatch(/at most 50/);
    expect(parseScopes(['a\\b'])).toMatch(/valid scope tokens/);
  });
});
