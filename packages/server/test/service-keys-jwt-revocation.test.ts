// Service-role JWT revocation (docs/auth.md "Revoking service-role JWTs"):
// service-role JWTs issued before the revocation are refused with TOKEN_REVOKED, at once
// on the instance that revoked and within 5 s on another; newly minted ones work; other
// credentials are unaffected. Its own database: the harness keys die here.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt } from '../src/http/index.ts';
import { createTestDatabase, startTestApp, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let second: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe('create table public.things (id serial primary key)');
  const overrides = { rate_limit: { enabled: false } };
  [app, second] = await Promise.all([startTestApp(db.url, { overrides }), startTestApp(db.url, { overrides })]);
});
afterAll(async () => {
  await Promise.all([app?.close(), second?.close()]);
  await db?.drop();
});

const serviceRoleJwt = (iat: number) =>
  signJwt({ iss: 'fluxbase', role: 'service_role', iat, exp: iat + 3600, jti: randomUUID() }, TEST_JWT_SECRET);

const read = (target: TestApp, headers: Record<string, string>) => target.fetch('/api/v1/tables/things', { headers });

async function eventually(check: () => Promise<void>, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('POST /api/v1/admin/service-role-jwts/revoke', () => {
  it('refuses earlier service-role JWTs everywhere, accepts newer ones, leaves stored keys and anon alone', async () => {
    const old = app.keys.service_role;
    const oldSecond = second.keys.service_role;
    const auth = (t: string) => ({ Authorization: `Bearer ${t}` });

    // A stored key made before the revocation keeps working: only JWTs are revoked.
    const created = await app.fetch('/api/v1/admin/service-keys', {
      method: 'POST', headers: { ...auth(old), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'survivor' }),
    });
    const storedKey = ((await created.json()) as { key: string }).key;
    expect((await read(second, auth(old))).status).toBe(200);

    const res = await app.fetch('/api/v1/admin/service-role-jwts/revoke', {
      method: 'POST', headers: { ...auth(old), 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'key leaked' }),
    });
    expect(res.status).toBe(200);
    const { revoked_before: revokedBefore } = (await res.json()) as { revoked_before: string };
    const cutoff = Date.parse(revokedBefore) / 1000;
    expect(Number.isInteger(cutoff)).toBe(true);

    const here = await read(app, auth(old));
    expect(here.status).toBe(401);
    expect(here.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await here.json()).toMatchObject({ code: 'TOKEN_REVOKED' });
    for (const via of [{ apikey: old }, { 'X-Service-Key': old }] as Record<string, string>[]) {
      expect((await read(app, via)).status).toBe(401);
    }
    await eventually(async () => {
      const there = await read(second, auth(oldSecond));
      expect(there.status).toBe(401);
      expect(await there.json()).toMatchObject({ code: 'TOKEN_REVOKED' });
    }, 5000);

    // A JWT issued at the cut-off (or later) works on both instances.
    while (Date.now() / 1000 < cutoff) await new Promise((r) => setTimeout(r, 50));
    const fresh = serviceRoleJwt(cutoff);
    expect((await read(app, auth(fresh))).status).toBe(200);
    expect((await read(second, auth(fresh))).status).toBe(200);
    expect((await read(app, auth(serviceRoleJwt(cutoff - 1)))).status).toBe(401);

    expect((await read(app, { 'X-Service-Key': storedKey })).status).toBe(200);
    expect((await read(app, { apikey: app.keys.anon })).status).toBe(200);

    const [row] = await db.sql<{ reason: string; revoked_by: string }[]>`select reason, revoked_by from auth.service_role_revocations`;
    expect(row).toEqual({ reason: 'key leaked', revoked_by: 'service_role' });
  });

  it('is remembered by an instance started after the revocation', async () => {
    const [latest] = await db.sql<{ before: Date }[]>`select max(revoked_before) as before from auth.service_role_revocations`;
    const third = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
    try {
      const before = Math.floor(latest!.before.getTime() / 1000) - 5;
      const res = await read(third, { Authorization: `Bearer ${serviceRoleJwt(before)}` });
      expect(await res.json()).toMatchObject({ code: 'TOKEN_REVOKED' });
    } finally {
      await third.close();
    }
  });
});
