// Real OpenID Connect servers on loopback for the OAuth tests:
// - `startOidcProvider`: the `oidc-provider` package (code flow, PKCE required, dev
//   interactions) with test accounts; `browserLogin` drives its login and consent forms over
//   HTTP like a browser would (manual redirects and a cookie jar) and returns where the
//   provider sends the browser back (the app's redirect_uri with code and state).
// - `startJwksIssuer`: a minimal issuer (discovery + JWKS over HTTP, keys from jose) whose
//   ID tokens a test signs itself, to exercise expiry, audience, nonce and foreign keys.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { call, type AuthResponse } from './auth.ts';
import type { TestApp } from './index.ts';

export interface AccountClaims {
  email?: string;
  email_verified?: boolean;
  name?: string;
  [claim: string]: unknown;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Add or replace an account (the dev login form accepts any password). */
  setAccount(id: string, claims: AccountClaims): void;
  close(): Promise<void>;
}

export interface OidcProviderOptions {
  redirectUris: string[];
  accounts?: Record<string, AccountClaims>;
  clientId?: string;
  clientSecret?: string;
}

interface ProviderInstance {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startOidcProvider(options: OidcProviderOptions): Promise<TestOidcProvider> {
  // oidc-provider ships no type declarations: load it through a non-literal specifier.
  const specifier: string = 'oidc-provider';
  const Provider = ((await import(specifier)) as { default: ProviderConstructor }).default;
  const accounts = new Map(Object.entries(options.accounts ?? {}));
  const clientId = options.clientId ?? 'fluxbase-test';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('hex');
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', use: 'sig', alg: 'RS256' };

  // The issuer URL needs the port: listen first, attach the provider after.
  const server = http.createServer();
  const port = await listen(server);
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: options.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'picture'] },
    // Put the scope's claims in the ID token, as Google and Microsoft do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    jwks: { keys: [signingKey] },
    // Explicit lifetimes (the defaults log a notice on every use).
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
    findAccount: (_ctx: unknown, id: string) => {
      const claims = accounts.get(id);
      if (!claims) return undefined;
      return { accountId: id, claims: () => ({ sub: id, ...claims }) };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer, clientId, clientSecret,
    setAccount: (id, claims) => accounts.set(id, claims),
    close: () => closeServer(server),
  };
}

/** Cookies by (name, path), sent when the path matches, as a browser would. */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      let path = '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.trim().split('=');
        if (k!.toLowerCase() === 'path') path = v;
        if (k!.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${name}\u0000${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

export type LoginResult =
  /** The provider redirected the browser to `url` (query response mode). */
  | { kind: 'redirect'; url: URL }
  /** The provider answered an auto-submitting form (response_mode=form_post). */
  | { kind: 'form_post'; action: string; fields: Record<string, string> };

function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)) fields[m[1]!] = unescape(m[2]!);
  return fields;
}

/**
 * Follow `authorizeUrl` like a browser: sign in as `accountId` on the dev login form, grant
 * consent, and stop when the provider sends the browser anywhere outside itself.
 */
export async function browserLogin(authorizeUrl: string, accountId: string): Promise<LoginResult> {
  const jar = new CookieJar();
  const origin = new URL(authorizeUrl).origin;
  let url = new URL(authorizeUrl);
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method, body, redirect: 'manual',
      headers: { cookie: jar.header(url), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.origin !== origin) return { kind: 'redirect', url: next };
      url = next;
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`OIDC provider answered ${response.status} at ${url.pathname}: ${html.slice(0, 500)}`);
    const action = /<form[^>]*method="post"[^>]*action="([^"]+)"/i.exec(html)?.[1];
    if (action && new URL(action, url).origin !== origin) return { kind: 'form_post', action, fields: formFields(html) };
    if (/name="prompt" value="login"/.test(html)) {
      body = new URLSearchParams({ prompt: 'login', login: accountId, password: 'any' }).toString();
    } else if (/name="prompt" value="consent"/.test(html)) {
      body = new URLSearchParams({ prompt: 'consent' }).toString();
    } else {
      throw new Error(`Unexpected OIDC provider page at ${url.pathname}: ${html.slice(0, 500)}`);
    }
    method = 'POST';
  }
  throw new Error('Too many steps while signing in at the OIDC provider');
}

export interface JwksIssuer {
  issuer: string;
  /** Sign an ID token with this issuer's key (or `foreignKey: true`: a key it does not publish). */
  sign(claims: JWTPayload, options?: { foreignKey?: boolean; expiresIn?: number; issuedAt?: number }): Promise<string>;
  close(): Promise<void>;
}

/** Discovery + JWKS over real HTTP; tokens are minted by the test. */
export async function startJwksIssuer(): Promise<JwksIssuer> {
  const own = await generateKeyPair('ES256', { extractable: true });
  const foreign = await generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await exportJWK(own.publicKey)), kid: 'issuer-key', use: 'sig', alg: 'ES256' };
  let issuer = '';
  const server = http.createServer((req, res) => {
    const send = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.url === '/.well-known/openid-configuration') {
      send({
        issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['ES256'],
      });
    } else if (req.url === '/jwks') {
      send({ keys: [publicJwk] });
    } else {
      res.writeHead(404).end();
    }
  });
  issuer = `http://127.0.0.1:${await listen(server)}`;
  return {
    issuer,
    async sign(claims, options = {}) {
      const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'ES256', kid: 'issuer-key' })
        .setIssuer(typeof claims.iss === 'string' ? claims.iss : issuer)
        .setIssuedAt(iat)
        .setExpirationTime(iat + (options.expiresIn ?? 300))
        .sign(options.foreignKey ? foreign.privateKey : own.privateKey);
    },
    close: () => closeServer(server),
  };
}

/** The app's default callback URL for `provider` (server.public_url is the default in tests). */
export function defaultCallbackUrl(provider: string, publicUrl = 'http://localhost:8080'): string {
  return `${publicUrl}/api/v1/auth/oauth/${provider}/callback`;
}

/** Register a database-managed provider through the admin API (service-role key). */
export async function registerProvider(app: TestApp, body: Record<string, unknown>): Promise<AuthResponse> {
  const r = await call(app, 'POST', '/api/v1/admin/oauth/providers', body, app.keys.service_role);
  if (r.status !== 201) throw new Error(`provider registration failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export interface ProviderRedirect {
  code: string;
  state: string;
  /** Where the provider sent the browser. */
  url: URL;
}

/** GET /authorize on `app`, sign in at the provider as `accountId`, return code and state. */
export async function authorizeAndLogin(app: TestApp, provider: string, accountId: string, query: Record<string, string> = {}, token?: string): Promise<ProviderRedirect & { authorize: AuthResponse }> {
  const qs = new URLSearchParams(query).toString();
  const authorize = await call(app, 'GET', `/api/v1/auth/oauth/${provider}/authorize${qs ? `?${qs}` : ''}`, undefined, token);
  if (authorize.status !== 200) throw new Error(`authorize failed: ${authorize.status} ${JSON.stringify(authorize.body)}`);
  return { ...(await loginAt(authorize.body.url as string, accountId)), authorize };
}

/** Sign in at the provider from an authorization URL and read code and state from the redirect. */
export async function loginAt(authorizeUrl: string, accountId: string): Promise<ProviderRedirect> {
  const result = await browserLogin(authorizeUrl, accountId);
  if (result.kind !== 'redirect') throw new Error('expected a query-mode redirect from the provider');
  const code = result.url.searchParams.get('code');
  const state = result.url.searchParams.get('state');
  if (!code || !state) throw new Error(`provider redirect without code/state: ${result.url.toString()}`);
  return { code, state, url: result.url };
}

/** The app's callback with code and state (what the SDK's exchangeCodeForSession does). */
export function callback(app: TestApp, provider: string, params: Record<string, string>, token?: string): Promise<AuthResponse> {
  return call(app, 'GET', `/api/v1/auth/oauth/${provider}/callback?${new URLSearchParams(params).toString()}`, undefined, token);
}

/**
 * Act as a native client of the provider: authorize with our own nonce and PKCE, sign in,
 * exchange the code ourselves, and return the provider's ID token.
 */
export async function obtainIdToken(provider: TestOidcProvider, redirectUri: string, accountId: string, nonce: string): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${provider.issuer}/auth`);
  const params = {
    client_id: provider.clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid email profile',
    state: randomBytes(16).toString('hex'), nonce, code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const { code } = await loginAt(url.toString(), accountId);
  const response = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: provider.clientId, client_secret: provider.clientSecret }),
  });
  const body = (await response.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`no ID token from the provider: ${JSON.stringify(body)}`);
  return body.id_token;
}
