// The development outbox end to end (docs/auth.md "The development outbox"): with no
// email.smtp_url, auth mail lands in auth.mail_outbox, and GET /api/v1/admin/mail/outbox
// shows it to admins only; the link in a stored message works like a mailed one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signUp, uniqueEmail, type Json } from './harness/auth.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';
import { codeIn, linkIn } from './harness/smtp.ts';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false }, auth: { site_url: 'https://dev.example.com' } } });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const outbox = (query: string, token = app.keys.service_role) => call(app, 'GET', `/api/v1/admin/mail/outbox${query}`, undefined, token);

describe('development outbox', () => {
  it('stores a magic-link message that an admin can read and follow', async () => {
    const email = uniqueEmail('outbox');
    await signUp(app, email);
    expect((await call(app, 'POST', '/api/v1/auth/magiclink', { email })).status).toBe(200);
    await app.server.drainMail();

    const r = await outbox(`?to=${encodeURIComponent(email.toUpperCase())}`);
    expect(r.status).toBe(200);
    expect(r.body.messages).toHaveLength(1);
    const [m] = r.body.messages as Json[];
    expect(Object.keys(m!).sort()).toEqual(['created_at', 'html', 'id', 'subject', 'text', 'to']);
    expect(m).toMatchObject({ to: email, subject: 'Your sign-in link' });
    expect(typeof m!.id).toBe('number');
    expect(new Date(m!.created_at).getTime()).not.toBeNaN();
    const link = linkIn({ text: m!.text });
    expect(link.url.origin).toBe('https://dev.example.com');
    expect(m!.html).toContain(link.token);

    const v = await call(app, 'POST', '/api/v1/auth/magiclink/verify', { token: link.token });
    expect(v.status).toBe(200);
    expect(v.body.user.email).toBe(email);
  });

  it('lists newest first, filtered by recipient, up to limit', async () => {
    const email = uniqueEmail('outbox-list');
    await signUp(app, email);
    await call(app, 'POST', '/api/v1/auth/otp/signin', { email });
    await app.server.drainMail();
    await call(app, 'POST', '/api/v1/auth/password/reset', { email });
    await app.server.drainMail();
    const all = await outbox(`?to=${encodeURIComponent(email)}`);
    expect((all.body.messages as Json[]).map((m) => m.subject)).toEqual(['Reset your password', expect.stringMatching(/^Your sign-in code: \d{6}$/)]);
    expect(codeIn({ text: all.body.messages[1].text })).toMatch(/^\d{6}$/);
    const one = await outbox(`?to=${encodeURIComponent(email)}&limit=1`);
    expect(one.body.messages).toHaveLength(1);
    const unfiltered = await outbox('?limit=2');
    expect(unfiltered.body.messages).toHaveLength(2);
    expect(unfiltered.body.messages[0].id).toBeGreaterThan(unfiltered.body.messages[1].id);
  });

  it('is for admins only', async () => {
    expect((await call(app, 'GET', '/api/v1/admin/mail/outbox')).status).toBe(401);
    expect((await call(app, 'GET', '/api/v1/admin/mail/outbox', undefined, undefined, { apikey: app.keys.anon })).status).toBe(401);
    const user = await signUp(app, uniqueEmail('outbox-user'));
    expect(await outbox('', user.access_token)).toMatchObject({ status: 403, body: { code: 'ADMIN_REQUIRED' } });
    await db.sql`update auth.users set role = 'admin' where id = ${user.user.id}`;
    expect((await outbox('', user.access_token)).status).toBe(200);
  });

  it.each(['0', '-1', '1001', 'abc', '1.5'])('refuses limit=%s with 400 INVALID_FORMAT', async (limit) => {
    expect(await outbox(`?limit=${limit}`)).toMatchObject({ status: 400, body: { code: 'INVALID_FORMAT' } });
  });

  it('refuses a malformed to with 400', async () => {
    expect((await outbox('?to=not-an-email')).status).toBe(400);
  });
});
