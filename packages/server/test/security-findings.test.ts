// Findings of a probe of the admin surface, tokens, auth flows and logs, each fixed and
// pinned: the OpenAPI description behind the same admin check as every admin route (a
// stored key scoped to something else may not read the schema); an access token accepted
// only with a session of its own user; no link or code of an auth email in the logs;
// production refusing to start without SMTP; and the listening interface, which outside
// production is this machine only. (The email-change oracle is tested with the email
// flows, the procedure listing with RPC.)
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, resolveSecrets } from '../src/config/index.ts';
import { signJwt } from '../src/http/index.ts';
import { startServer } from '../src/main.ts';
import { createLogger } from '../src/observability/index.ts';
import { createTestDatabase, startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, testConfig, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
const logLines: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  app = await startTestApp(db.url, {
    logger: createLogger({ level: 'debug', format: 'json', destination: sink }),
    overrides: { rate_limit: { enabled: false } },
  });
});

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json', apikey: app.keys.anon }, body: JSON.stringify(body) });

async function signUp(email: string): Promise<{ access_token: string; user: { id: string } }> {
  const res = await app.fetch('/api/v1/auth/signup', json({ email, password: 'correct horse battery staple' }));
  expect(res.status).toBe(201);
  return (await res.json()) as { access_token: string; user: { id: string } };
}

describe('the OpenAPI description (GET /rest/v1/)', () => {
  it('is refused to a stored key without the admin scope, and served to one with it', async () => {
    const create = async (scopes: string[]) => {
      const res = await app.fetch('/api/v1/admin/service-keys', {
        method: 'POST', headers: { Authorization: `Bearer ${app.keys.service_role}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `key-${scopes.join('-')}`, scopes }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };
    const storage = await create(['read:storage']);
    const refused = await app.fetch('/rest/v1/', { headers: { 'X-Service-Key': storage } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe('INSUFFICIENT_PERMISSIONS');
    const admin = await create(['*']);
    expect((await app.fetch('/rest/v1/', { headers: { 'X-Service-Key': admin } })).status).toBe(200);
    expect((await app.fetch('/rest/v1/', { headers: { apikey: app.keys.anon } })).status).toBe(401);
  });
});

describe('an access token', () => {
  it('is refused when its session_id is a live session of another user', async () => {
    const a = await signUp('owner-a@example.com');
    const b = await signUp('owner-b@example.com');
    const sessionOfA = (JSON.parse(Buffer.from(a.access_token.split('.')[1]!, 'base64url').toString()) as { session_id: string }).session_id;
    const now = Math.floor(Date.now() / 1000);
    const forged = signJwt({ iss: 'fluxbase', aud: 'authenticated', sub: b.user.id, role: 'authenticated', session_id: sessionOfA, iat: now, exp: now + 600 }, TEST_JWT_SECRET);
    const res = await app.fetch('/api/v1/auth/user', { headers: { Authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('TOKEN_REVOKED');
    // The same session with its own user is fine.
    expect((await app.fetch('/api/v1/auth/user', { headers: { Authorization: `Bearer ${a.access_token}` } })).status).toBe(200);
  });
});

describe('auth emails and the logs', () => {
  it('never logs the links or codes of an auth email (the development outbox keeps them)', async () => {
    await signUp('logs@example.com');
    for (const [path, body] of [
      ['/api/v1/auth/magiclink', { email: 'logs@example.com' }],
      ['/api/v1/auth/password/reset', { email: 'logs@example.com' }],
      ['/api/v1/auth/otp/signin', { email: 'logs@example.com' }],
    ] as const) {
      expect((await app.fetch(path, json(body))).status).toBe(200);
    }
    await app.server.drainMail();
    const outbox = await app.fetch('/api/v1/admin/mail/outbox?to=logs@example.com', { headers: { Authorization: `Bearer ${app.keys.service_role}` } });
    const mails = ((await outbox.json()) as { messages: { text: string }[] }).messages;
    expect(mails.length).toBeGreaterThanOrEqual(3);
    const secrets = mails.flatMap((m) => [...m.text.matchAll(/token=([\w-]{16,})|\b(\d{6})\b/g)].map((x) => x[1] ?? x[2]!));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const logged = logLines.join('\n');
    expect(logged).toContain('Email stored in the development outbox');
    // Whole tokens only: six digits also occur inside timestamps.
    for (const secret of secrets) expect(logged).not.toMatch(new RegExp(`(?<![\\w-])${secret}(?![\\w-])`));
  });
});

describe('production', () => {
  it('refuses to start without SMTP, naming the key', async () => {
    const values = loadConfig({
      env: { FLUXBASE_ENV: 'production', FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET, FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, FLUXBASE_DATABASE_URL: db.url },
    });
    const config = resolveSecrets(values).config;
    await expect(startServer({ config, logger: createLogger({ level: 'silent', format: 'json' }) })).rejects.toThrow(/email\.smtp_url is required in production.*FLUXBASE_EMAIL_SMTP_URL/);
  });
});

describe('the listening interface', () => {
  it('is this machine only outside production, every interface in production, and server.host when set', () => {
    expect(loadConfig({ env: {} }).server.host).toBe('127.0.0.1');
    expect(loadConfig({ env: { FLUXBASE_ENV: 'test' } }).server.host).toBe('127.0.0.1');
    expect(loadConfig({ env: { FLUXBASE_ENV: 'production' } }).server.host).toBe('0.0.0.0');
    expect(loadConfig({ env: { FLUXBASE_SERVER_HOST: '0.0.0.0' } }).server.host).toBe('0.0.0.0');
    expect(testConfig(db.url).server.host).toBe('127.0.0.1');
  });
});
