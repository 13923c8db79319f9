// Admin user management (docs/auth.md "Admin user management") against a real server:
// list/search, create, update with role/app_metadata/ban, delete, sessions; who may call
// it; bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, STRONG_PASSWORD, uniqueEmail } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
  admin = app.keys.service_role;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const asAdmin = (method: string, path: string, body?: unknown) => call(app, method, `/api/v1/admin/users${path}`, body, admin);

describe('admin users', () => {
  it('creates a user with role and app_metadata, and it can sign in', async () => {
    const email = uniqueEmail('created');
    const r = await asAdmin('POST', '', { email, password: STRONG_PASSWORD, email_verified: true, role: 'editor', app_metadata: { plan: 'pro' }, user_metadata: { name: 'Ed' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email, email_verified: true, role: 'editor', app_metadata: { plan: 'pro' }, banned_until: null, failed_login_attempts: 0, locked_until: null });
    const s = await call(app, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD });
    expect(s.status).toBe(200);
    expect(s.body.user.role).toBe('editor');
    expect((await asAdmin('POST', '', { email })).status).toBe(409);
  });

  it('lists and searches with paging and lock fields', async () => {
    const tag = `needle${Date.now()}`;
    for (let i = 0; i < 3; i++) await signUp(app, `${tag}-${i}@example.com`);
    await call(app, 'POST', '/api/v1/auth/signin', { email: `${tag}-0@example.com`, password: 'wrong wrong' });
    const all = await asAdmin('GET', `?search=${tag}&limit=2`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(all.body.users).toHaveLength(2);
    const page2 = await asAdmin('GET', `?search=${tag}&limit=2&offset=2`);
    expect(page2.body.users).toHaveLength(1);
    const first = [...all.body.users, ...page2.body.users].find((u: { email: string }) => u.email === `${tag}-0@example.com`);
    expect(first.failed_login_attempts).toBe(1);
    expect((await asAdmin('GET', '?search=%25')).body.total).toBe(0); // % is literal, not a wildcard
  });

  it('sets role and app_metadata, and a role change ends the sessions', async () => {
    const s = await signUp(app);
    const r = await asAdmin('PATCH', `/${s.user.id}`, { role: 'admin', app_metadata: { tier: 2 } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ role: 'admin', app_metadata: { tier: 2 } });
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, s.access_token)).status).toBe(401);
    expect((await call(app, 'POST', '/api/v1/auth/refresh', { refresh_token: s.refresh_token })).status).toBe(401);
  });

  it('bans and unbans; a ban ends the sessions', async () => {
    const email = uniqueEmail();
    const s = await signUp(app, email);
    const r = await asAdmin('PATCH', `/${s.user.id}`, { ban_duration: '24h' });
    expect(r.status).toBe(200);
    expect(new Date(r.body.banned_until).getTime()).toBeGreaterThan(Date.now() + 23 * 3600_000);
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, s.access_token)).status).toBe(401);
    expect((await call(app, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).body.code).toBe('ACCESS_DENIED');
    expect((await asAdmin('PATCH', `/${s.user.id}`, { ban_duration: 'none' })).body.banned_until).toBeNull();
    expect((await call(app, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD })).status).toBe(200);
  });

  it('changes a password (ending sessions) and an email', async () => {
    const s = await signUp(app);
    const email = uniqueEmail('moved');
    const r = await asAdmin('PATCH', `/${s.user.id}`, { password: 'an admin chosen passphrase', email });
    expect(r.status).toBe(200);
    expect(r.body.email).toBe(email);
    expect((await call(app, 'GET', '/api/v1/auth/user', undefined, s.access_token)).status).toBe(401);
    expect((await call(app, 'POST', '/api/v1/auth/signin', { email, password: 'an admin chosen passphrase' })).status).toBe(200);
  });

  it('lists and revokes sessions, and deletes a user (tokens refused)', async () => {
    const email = uniqueEmail();
    const s = await signUp(app, email);
    await call(app, 'POST', '/api/v1/auth/signin', { email, password: STRONG_PASSWORD }, undefined, { 'User-Agent': 'test-agent/1' });
    const list = await asAdmin('GET', `/${s.user.id}/sessions`);
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(2);
    expect(list.body.sessions.map((x: { user_agent: string }) => x.user_agent)).toContain('test-agent/1');
    expect(list.body.sessions[0]).toMatchObject({ aal: 'aal1', ip: expect.any(String) as unknown });
    expect((await asAdmin('DELETE', `/${s.user.id}/sessions`)).status).toBe(204);
    expect((await asAdmin('GET', `/${s.user.id}/sessions`)).body.sessions).toHaveLength(0);

    const t = await signUp(app);
    expect((await asAdmin('DELETE', `/${t.user.id}`)).status).toBe(204);
    expect((await call(app, 'GET', '/rest/v1/', undefined, t.access_token)).status).toBe(401);
    expect((await asAdmin('GET', `/${t.user.id}`)).status).toBe(404);
    expect((await asAdmin('DELETE', `/${t.user.id}`)).status).toBe(404);
  });

  it('is for admins only', async () => {
    const s = await signUp(app);
    expect((await call(app, 'GET', '/api/v1/admin/users')).body.code).toBe('MISSING_AUTHENTICATION');
    expect((await call(app, 'GET', '/api/v1/admin/users', undefined, app.keys.anon)).body.code).toBe('MISSING_AUTHENTICATION');
    expect((await call(app, 'GET', '/api/v1/admin/users', undefined, s.access_token)).body.code).toBe('ADMIN_REQUIRED');
    // A user cannot promote themselves through the admin API.
    expect((await call(app, 'PATCH', `/api/v1/admin/users/${s.user.id}`, { role: 'admin' }, s.access_token)).status).toBe(403);
    await db.sql`update auth.users set role = 'admin' where id = ${s.user.id}`;
    expect((await call(app, 'GET', '/api/v1/admin/users', undefined, s.access_token)).status).toBe(200);
  });

  it.each([
    ['malformed id', 'GET', '/not-a-uuid', undefined, 400, 'INVALID_ID'],
    ['unknown id', 'GET', '/00000000-0000-4000-8000-000000000000', undefined, 404, 'NOT_FOUND'],
    ['bad limit', 'GET', '?limit=abc', undefined, 400, 'INVALID_FORMAT'],
    ['missing email', 'POST', '', { password: STRONG_PASSWORD }, 400, 'MISSING_REQUIRED_FIELD'],
    ['bad email', 'POST', '', { email: 'x' }, 400, 'VALIDATION_FAILED'],
    ['weak password', 'POST', '', { email: 'weak@example.com', password: 'abc' }, 422, 'WEAK_PASSWORD'],
    ['bad role', 'POST', '', { email: 'role@example.com', role: 'Robert; drop table' }, 400, 'VALIDATION_FAILED'],
    ['reserved role', 'POST', '', { email: 'role2@example.com', role: 'service_role' }, 400, 'VALIDATION_FAILED'],
    ['unknown field', 'POST', '', { email: 'u@example.com', is_superuser: true }, 400, 'VALIDATION_FAILED'],
    ['metadata array', 'POST', '', { email: 'm@example.com', app_metadata: [] }, 400, 'VALIDATION_FAILED'],
    ['bad email_verified', 'POST', '', { email: 'v@example.com', email_verified: 'yes' }, 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_n, method, path, body, status, code) => {
    const r = await asAdmin(method, path, body);
    expect(r.status).toBe(status);
    expect(r.body.code).toBe(code);
  });

  it('refuses a bad ban duration without changing the user', async () => {
    const s = await signUp(app);
    const r = await asAdmin('PATCH', `/${s.user.id}`, { ban_duration: 'forever', role: 'editor' });
    expect(r.status).toBe(400);
    const [row] = await db.sql`select role, banned_until from auth.users where id = ${s.user.id}`;
    expect(row).toEqual({ role: 'authenticated', banned_until: null });
  });
});
