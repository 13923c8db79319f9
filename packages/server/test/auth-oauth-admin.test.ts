// Provider management: the admin CRUD of database providers (secret sealed and never
// returned), providers from the configuration file (read-only, working sign-in), admin
// guards, and the periodic sweep of expired authorization attempts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../src/auth/core/secret-box.ts';
import { StateStore } from '../src/auth/oauth/state-store.ts';
import { startServer, type RunningServer } from '../src/main.ts';
import { createLogger } from '../src/observability/index.ts';
import { call, signUp } from './harness/auth.ts';
import { createTestDatabase, startTestApp, testConfig, type TestApp, type TestDatabase } from './harness/index.ts';
import { browserLogin, defaultCallbackUrl, startOidcProvider, type TestOidcProvider } from './harness/oidc.ts';

let db: TestDatabase;
let idp: TestOidcProvider;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  idp = await startOidcProvider({ redirectUris: [defaultCallbackUrl('fromconfig')] });
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
});
afterAll(async () => {
  await app?.close();
  await idp?.close();
  await db?.drop();
});

const admin = (method: string, path: string, body?: unknown) => call(app, method, `/api/v1/admin/oauth/providers${path}`, body, app.keys.service_role);

describe('admin CRUD of database providers', () => {
  it('creates, reads, lists, updates and deletes a provider without ever returning the secret', async () => {
    const created = await admin('POST', '', { name: 'google', client_id: 'g-id.apps.googleusercontent.com', client_secret: 'very-secret-value' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'google', source: 'database', preset: 'google', display_name: 'Google', issuer_url: 'https://accounts.google.com',
      has_client_secret: true, scopes: ['openid', 'email', 'profile'], enabled: true,
      callback_url: 'http://localhost:8080/api/v1/auth/oauth/google/callback',
    });
    expect(JSON.stringify(created.body)).not.toContain('very-secret-value');
    const [row] = await db.sql`select client_secret_enc, scopes from auth.oauth_providers where name = 'google'`;
    expect(row!.client_secret_enc).not.toContain('very-secret-value');
    expect(row!.scopes).toEqual([]); // follows the preset

    expect((await admin('GET', '/google')).body.client_id).toBe('g-id.apps.googleusercontent.com');
    const list = await admin('GET', '');
    expect(list.body.providers.map((p: { name: string }) => p.name)).toContain('google');

    const patched = await admin('PATCH', '/google', { display_name: 'Google Workspace', scopes: 'openid email', enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ display_name: 'Google Workspace', scopes: ['openid', 'email'], enabled: false, has_client_secret: true });
    // Disabled: gone from the public list and from sign-in.
    expect((await call(app, 'GET', '/api/v1/auth/oauth/providers')).body.providers).toEqual([]);
    expect((await call(app, 'GET', '/api/v1/auth/oauth/google/authorize')).status).toBe(404);

    const cleared = await admin('PATCH', '/google', { client_secret: null });
    expect(cleared.body.has_client_secret).toBe(false);

    expect((await admin('DELETE', '/google')).status).toBe(204);
    expect((await admin('GET', '/google')).status).toBe(404);
    expect((await admin('DELETE', '/google')).status).toBe(404);
  });

  it('validates input field by field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'acme', client_id: 'x' }, 'authorize_url'],
      [{ name: 'acme', client_id: 'x', issuer_url: 'http://sso.example.com' }, 'issuer_url'],
      [{ name: 'Bad Name', client_id: 'x', issuer_url: 'https://sso.example.com' }, 'name'],
      [{ name: 'acme', issuer_url: 'https://sso.example.com' }, 'client_id'],
      [{ name: 'acme', client_id: 'x', issuer_url: 'https://sso.example.com', clientSecret: 'typo' }, 'clientSecret'],
      [{ name: 'acme', client_id: 'x', issuer_url: 'https://sso.example.com', scopes: 7 }, 'scopes'],
      [{ name: 'acme', client_id: 'x', issuer_url: 'https://sso.example.com', enabled: 'yes' }, 'enabled'],
    ];
    for (const [body, field] of cases) {
      const r = await admin('POST', '', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(Object.keys(r.body.details.fields)).toContain(field);
    }
    expect((await admin('POST', '', { client_id: 'x' })).body).toMatchObject({ code: 'MISSING_REQUIRED_FIELD', details: { field: 'name' } });
    const [count] = await db.sql`select count(*)::int as n from auth.oauth_providers where name = 'acme'`;
    expect(count!.n).toBe(0);
  });

  it('refuses a duplicate name and renaming', async () => {
    expect((await admin('POST', '', { name: 'kc', client_id: 'x', issuer_url: 'https://sso.example.com/realms/a' })).status).toBe(201);
    const dup = await admin('POST', '', { name: 'kc', client_id: 'y', issuer_url: 'https://sso.example.com/realms/a' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('ALREADY_EXISTS');
    expect((await admin('PATCH', '/kc', { name: 'kc2' })).body.code).toBe('VALIDATION_FAILED');
    expect((await admin('PATCH', '/missing', { client_id: 'z' })).status).toBe(404);
  });

  it('is for administrators only', async () => {
    const user = await signUp(app);
    const asUser = await call(app, 'GET', '/api/v1/admin/oauth/providers', undefined, user.access_token);
    expect(asUser.status).toBe(403);
    expect(asUser.body.code).toBe('ADMIN_REQUIRED');
    expect((await call(app, 'POST', '/api/v1/admin/oauth/providers', { name: 'x', client_id: 'x' })).status).toBe(401);
  });
});

describe('providers from the configuration file', () => {
  let server: RunningServer;

  beforeAll(async () => {
    const config = testConfig(db.url, { rate_limit: { enabled: false } });
    // What loadConfig puts there from fluxbase.yaml's `auth.oauth` block.
    (config.auth as { oauth?: unknown }).oauth = {
      fromconfig: { client_id: idp.clientId, client_secret: idp.clientSecret, issuer_url: idp.issuer, display_name: 'From YAML' },
      github: { client_id: 'gh-client', client_secret: 'gh-secret', enabled: false },
    };
    server = await startServer({ config, processMetrics: false, logger: createLogger({ level: 'silent', format: 'json' }) });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('signs in through a configured provider and lists it read-only', async () => {
    const providers = (await (await fetch(`${server.url}/api/v1/auth/oauth/providers`)).json()) as { providers: { provider: string }[] };
    const names = providers.providers.map((p) => p.provider);
    expect(names).toContain('fromconfig');
    expect(names).not.toContain('github'); // enabled: false

    idp.setAccount('yaml-user', { email: 'yaml-user@example.com', email_verified: true });
    const authorize = (await (await fetch(`${server.url}/api/v1/auth/oauth/fromconfig/authorize`)).json()) as { url: string };
    const login = await browserLogin(authorize.url, 'yaml-user');
    if (login.kind !== 'redirect') throw new Error('expected a redirect');
    const r = await fetch(`${server.url}/api/v1/auth/oauth/fromconfig/callback?${login.url.searchParams.toString()}`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { user: { email: string } }).user.email).toBe('yaml-user@example.com');

    const headers = { authorization: `Bearer ${server.keys.service_role}`, 'content-type': 'application/json' };
    const listed = (await (await fetch(`${server.url}/api/v1/admin/oauth/providers`, { headers })).json()) as { providers: { name: string; source: string; has_client_secret: boolean; client_secret?: string }[] };
    const entry = listed.providers.find((p) => p.name === 'fromconfig');
    expect(entry).toMatchObject({ source: 'config', has_client_secret: true });
    expect(JSON.stringify(listed)).not.toContain(idp.clientSecret);
    const patch = await fetch(`${server.url}/api/v1/admin/oauth/providers/fromconfig`, { method: 'PATCH', headers, body: JSON.stringify({ enabled: false }) });
    expect(patch.status).toBe(409);
  });
});

describe('expired attempt cleanup', () => {
  it('deletes expired authorization attempts and keeps live ones', async () => {
    await call(app, 'POST', '/api/v1/admin/oauth/providers', { name: 'sweep', client_id: 'x', issuer_url: idp.issuer }, app.keys.service_role);
    const live = await call(app, 'GET', '/api/v1/auth/oauth/sweep/authorize');
    const stale = await call(app, 'GET', '/api/v1/auth/oauth/sweep/authorize');
    const stateOf = (r: typeof live) => new URL(r.body.url as string).searchParams.get('state')!;
    await db.sql`update auth.oauth_states set expires_at = now() - interval '1 minute' where state_hash = sha256(${stateOf(stale)}::bytea)`;
    const store = new StateStore(app.server.db.pool, createSecretBox(app.server.config.encryptionKeyBytes));
    expect(await store.deleteExpired()).toBeGreaterThanOrEqual(1);
    const rows = await db.sql`select state_hash = sha256(${stateOf(live)}::bytea) as live from auth.oauth_states where provider = 'sweep'`;
    expect(rows.map((r) => r.live)).toEqual([true]);
  });
});
