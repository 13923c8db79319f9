// Stored service keys end to end (docs/auth.md "Service keys"): create and use,
// key shown once and stored hashed, scopes, per-key rate limits, rotation with a grace
// period, deprecation, revocation seen at once here and within 5 s on a second instance,
// the audit trail, who may manage keys, and bad input.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let app: TestApp;
let second: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe(`
    create table public.items (id serial primary key, name text not null);
    insert into public.items (name) values ('one'), ('two');`);
  const overrides = { rate_limit: { enabled: false } };
  [app, second] = await Promise.all([startTestApp(db.url, { overrides }), startTestApp(db.url, { overrides })]);
});
afterAll(async () => {
  await Promise.all([app?.close(), second?.close()]);
  await db?.drop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read nested fields freely
type Json = Record<string, any>;

const admin = () => ({ Authorization: `Bearer ${app.keys.service_role}` });

async function call(target: TestApp, method: string, path: string, body?: unknown, headers: Record<string, string> = admin()): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await target.fetch(`/api/v1/admin${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

async function createKey(body: Json = {}): Promise<Json> {
  const res = await call(app, 'POST', '/service-keys', { name: `key ${randomUUID().slice(0, 8)}`, ...body });
  expect(res.status).toBe(201);
  return res.body;
}

/** Read the items table with a stored key (X-Service-Key unless other headers are given). */
async function useKey(target: TestApp, key: string, headers: Record<string, string> = { 'X-Service-Key': key }): Promise<{ status: number; body: Json }> {
  const res = await target.fetch('/rest/v1/items?select=id,name&order=id', { headers });
  return { status: res.status, body: (await res.json()) as Json };
}

/** Poll until `check` passes or the deadline passes (then its last failure is thrown). */
async function eventually(check: () => Promise<void>, deadlineMs = 7000): Promise<void> {
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

const audit = async (keyId: string) =>
  (await db.sql<{ action: string; actor: string; ip: string | null; details: Json }[]>`
    select action, actor, host(ip) as ip, details from auth.service_key_audit where key_id = ${keyId} order by id`);

describe('creating and using a key', () => {
  it('creates an sk_ key shown once, stored only as its SHA-256, and usable in every header form', async () => {
    const created = await createKey({ description: 'ci', scopes: ['read:tables', 'write:tables'] });
    expect(created.key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      description: 'ci', key_prefix: created.key.slice(0, 16), scopes: ['read:tables', 'write:tables'], enabled: true, status: 'active',
      created_by: 'service_role', last_used_at: null, expires_at: null, deprecated_at: null, replaced_by: null, revoked_at: null,
    });

    const [row] = await db.sql`select * from auth.service_keys where id = ${created.id}`;
    expect(Buffer.from(row!.key_hash as Uint8Array).equals(createHash('sha256').update(created.key).digest())).toBe(true);
    expect(JSON.stringify(Object.values(row!))).not.toContain(created.key.slice(16));

    const list = await call(app, 'GET', '/service-keys');
    const listed = (list.body as unknown as Json[]).find((k) => k.id === created.id);
    expect(listed).toBeDefined();
    expect(listed).not.toHaveProperty('key');
    const one = await call(app, 'GET', `/service-keys/${created.id}`);
    expect(one.status).toBe(200);
    expect(one.body).not.toHaveProperty('key');
    expect(one.body.name).toBe(created.name);

    for (const headers of [
      { 'X-Service-Key': created.key as string },
      { Authorization: `ServiceKey ${created.key}` },
      { Authorization: `Bearer ${created.key}` },
      { apikey: created.key },
    ] as Record<string, string>[]) {
      const res = await useKey(app, created.key, headers);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([{ id: 1, name: 'one' }, { id: 2, name: 'two' }]);
    }
    const write = await app.fetch('/api/v1/tables/items', {
      method: 'POST', headers: { 'X-Service-Key': created.key, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'three' }),
    });
    expect(write.status).toBe(201);
  });

  it('lists newest first', async () => {
    const a = await createKey();
    const b = await createKey();
    const ids = ((await call(app, 'GET', '/service-keys')).body as unknown as Json[]).map((k) => k.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
  });

  it('records last_used_at on use', async () => {
    const created = await createKey();
    expect((await useKey(app, created.key)).status).toBe(200);
    await eventually(async () => {
      expect((await call(app, 'GET', `/service-keys/${created.id}`)).body.last_used_at).not.toBeNull();
    });
  });

  it('enforces scopes: a read:tables key cannot write', async () => {
    const created = await createKey({ scopes: ['read:tables'] });
    expect((await useKey(app, created.key)).status).toBe(200);
    const res = await app.fetch('/rest/v1/items', {
      method: 'POST', headers: { 'X-Service-Key': created.key, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS' });
    const api = await app.fetch('/api/v1/tables/items', {
      method: 'POST', headers: { 'X-Service-Key': created.key, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x' }),
    });
    expect(await api.json()).toMatchObject({ code: 'INSUFFICIENT_PERMISSIONS', details: { required_scope: 'write:tables' } });
  });

  it('applies the key\'s own rate limit: 429 with Retry-After', async () => {
    const created = await createKey({ rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i++) expect((await useKey(app, created.key)).status).toBe(200);
    const res = await app.fetch('/api/v1/tables/items', { headers: { 'X-Service-Key': created.key } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.json()).toMatchObject({ code: 'RATE_LIMITED', details: { limiter: 'service_key', limit: 3, window_seconds: 60 } });
  });

  it('refuses a malformed key and an unknown well-formed key with INVALID_API_KEY', async () => {
    const bad = await app.fetch('/api/v1/tables/items', { headers: { 'X-Service-Key': 'sk_tooshort' } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ code: 'INVALID_API_KEY', details: { reason: 'malformed' } });
    const unknown = await useKey(app, `sk_${'A'.repeat(43)}`);
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ code: 'PGRST301', details: { reason: 'unknown' } });
  });

  it('refuses an expired key', async () => {
    const created = await createKey({ expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await useKey(app, created.key)).status).toBe(200);
    await db.sql`update auth.service_keys set expires_at = now() - interval '1 second' where id = ${created.id}`;
    await eventually(async () => {
      const res = await app.fetch('/api/v1/tables/items', { headers: { 'X-Service-Key': created.key } });
      expect(await res.json()).toMatchObject({ code: 'INVALID_API_KEY', details: { reason: 'expired' } });
    });
    expect((await call(app, 'GET', `/service-keys/${created.id}`)).body.status).toBe('expired');
  });
});

describe('changing keys', () => {
  it('updates, disables and enables a key, refusing it while disabled, with audit rows', async () => {
    const created = await createKey();
    const patched = await call(app, 'PATCH', `/service-keys/${created.id}`, { name: 'renamed', description: 'd2', scopes: ['read:tables'], rate_limit_per_hour: 50 });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', description: 'd2', scopes: ['read:tables'], rate_limit_per_hour: 50 });

    const disabled = await call(app, 'POST', `/service-keys/${created.id}/disable`);
    expect(disabled.body).toMatchObject({ enabled: false, status: 'disabled' });
    const refused = await app.fetch('/api/v1/tables/items', { headers: { 'X-Service-Key': created.key } });
    expect(await refused.json()).toMatchObject({ code: 'INVALID_API_KEY', details: { reason: 'disabled' } });

    expect((await call(app, 'POST', `/service-keys/${created.id}/enable`)).body).toMatchObject({ enabled: true, status: 'active' });
    expect((await useKey(app, created.key)).status).toBe(200);

    const rows = await audit(created.id);
    expect(rows.map((r) => r.action)).toEqual(['create', 'update', 'disable', 'enable']);
    for (const r of rows) expect(r).toMatchObject({ actor: 'service_role', ip: '127.0.0.1' });
    expect(rows[1]!.details.changes).toMatchObject({ name: 'renamed', rate_limit_per_hour: 50 });
  });

  it('deletes a key (204): it stops working, and the deletion is audited', async () => {
    const created = await createKey();
    expect((await useKey(app, created.key)).status).toBe(200);
    expect((await call(app, 'DELETE', `/service-keys/${created.id}`)).status).toBe(204);
    expect((await useKey(app, created.key)).body).toMatchObject({ details: { reason: 'unknown' } });
    expect((await call(app, 'GET', `/service-keys/${created.id}`)).status).toBe(404);
    expect((await call(app, 'DELETE', `/service-keys/${created.id}`)).status).toBe(404);
    expect((await audit(created.id)).map((r) => r.action)).toEqual(['create', 'delete']);
  });

  it('deprecates a key: it works during the grace period; deprecating again is 409', async () => {
    const created = await createKey();
    const res = await call(app, 'POST', `/service-keys/${created.id}/deprecate`, { reason: 'moving to vault', grace_period_hours: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, key_id: created.id, grace_period_hours: 2 });
    const ends = Date.parse(res.body.grace_period_ends as string);
    expect(ends - Date.now()).toBeGreaterThan(7_100_000);
    expect(ends - Date.now()).toBeLessThanOrEqual(7_200_000);
    expect((await useKey(app, created.key)).status).toBe(200);
    expect((await call(app, 'GET', `/service-keys/${created.id}`)).body).toMatchObject({ status: 'deprecated' });
    expect((await call(app, 'POST', `/service-keys/${created.id}/deprecate`, {})).status).toBe(409);
    const revs = (await call(app, 'GET', `/service-keys/${created.id}/revocations`)).body as unknown as Json[];
    expect(revs).toEqual([expect.objectContaining({ key_id: created.id, key_prefix: created.key_prefix, reason: 'moving to vault', revocation_type: 'rotation', revoked_by: 'service_role' })]);
    expect((await audit(created.id)).map((r) => r.action)).toEqual(['create', 'deprecate']);
  });

  it('rotates: new key works, old one works during the grace period and is refused after it', async () => {
    const old = await createKey({ scopes: ['read:tables'], rate_limit_per_minute: 1000 });
    const res = await call(app, 'POST', `/service-keys/${old.id}/rotate`, { grace_period_hours: 1 });
    expect(res.status).toBe(201);
    const fresh = res.body.new_key as Json;
    expect(res.body).toMatchObject({ success: true, old_key_id: old.id });
    expect(fresh.key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(fresh).toMatchObject({ name: `${old.name} (rotated)`, scopes: ['read:tables'], rate_limit_per_minute: 1000, status: 'active' });
    expect((await call(app, 'GET', `/service-keys/${old.id}`)).body).toMatchObject({
      status: 'deprecated', replaced_by: fresh.id, grace_period_ends_at: res.body.grace_period_ends,
    });
    expect((await useKey(app, fresh.key)).status).toBe(200);
    expect((await useKey(app, old.key)).status).toBe(200);
    expect((await call(app, 'POST', `/service-keys/${old.id}/rotate`, {})).status).toBe(409);

    const revs = (await call(app, 'GET', `/service-keys/${old.id}/revocations`)).body as unknown as Json[];
    expect(revs.map((r) => r.revocation_type)).toEqual(['rotation']);
    expect((await audit(old.id)).map((r) => r.action)).toEqual(['create', 'rotate']);
    expect((await audit(fresh.id as string)).map((r) => r.action)).toEqual(['create']);

    // The grace period ends (moved into the past directly, as time passing would).
    await db.sql`update auth.service_keys set grace_period_ends_at = now() - interval '1 second' where id = ${old.id}`;
    for (const target of [app, second]) {
      await eventually(async () => {
        const r = await useKey(target, old.key);
        expect(r.status).toBe(401);
        expect(r.body).toMatchObject({ details: { reason: 'grace_period_ended' } });
      });
    }
    expect((await useKey(app, fresh.key)).status).toBe(200);
  });

  it('rotates with a new name and scopes; grace 0 refuses the old key at once', async () => {
    const old = await createKey();
    const res = await call(app, 'POST', `/service-keys/${old.id}/rotate`, { grace_period_hours: 0, new_key_name: 'v2', new_scopes: ['read:tables'] });
    expect(res.body.new_key).toMatchObject({ name: 'v2', scopes: ['read:tables'] });
    expect((await useKey(app, old.key)).body).toMatchObject({ details: { reason: 'grace_period_ended' } });
  });

  it('revokes: refused from the next request here, within 5 s on another instance; revoking again is 409', async () => {
    const created = await createKey();
    expect((await useKey(app, created.key)).status).toBe(200);
    expect((await useKey(second, created.key)).status).toBe(200); // now cached on the second instance
    const res = await call(app, 'POST', `/service-keys/${created.id}/revoke`, { reason: 'leaked in a log' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: expect.any(String), key_id: created.id });

    const here = await useKey(app, created.key);
    expect(here.status).toBe(401);
    expect(here.body).toMatchObject({ details: { reason: 'revoked' } });
    await eventually(async () => {
      expect((await useKey(second, created.key)).body).toMatchObject({ details: { reason: 'revoked' } });
    }, 5000);

    const again = await call(app, 'POST', `/service-keys/${created.id}/revoke`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CONFLICT');
    expect((await call(app, 'POST', `/service-keys/${created.id}/enable`)).status).toBe(409);
    expect((await call(app, 'POST', `/service-keys/${created.id}/deprecate`)).status).toBe(409);
    expect((await call(app, 'GET', `/service-keys/${created.id}`)).body).toMatchObject({ status: 'revoked', revocation_reason: 'leaked in a log' });
    const revs = (await call(app, 'GET', `/service-keys/${created.id}/revocations`)).body as unknown as Json[];
    expect(revs).toEqual([expect.objectContaining({ revocation_type: 'emergency', reason: 'leaked in a log' })]);
    expect((await audit(created.id)).map((r) => r.action)).toEqual(['create', 'revoke']);
  });
});

describe('who may manage keys', () => {
  it('refuses stored keys (even with scope *) with 403 ADMIN_REQUIRED, anonymous callers with 401', async () => {
    const created = await createKey({ scopes: ['*'] });
    for (const headers of [{ 'X-Service-Key': created.key }, { Authorization: `Bearer ${created.key}` }] as Record<string, string>[]) {
      const list = await call(app, 'GET', '/service-keys', undefined, headers);
      expect(list.status).toBe(403);
      expect(list.body.code).toBe('ADMIN_REQUIRED');
      expect((await call(app, 'POST', '/service-keys', { name: 'x' }, headers)).body.code).toBe('ADMIN_REQUIRED');
      expect((await call(app, 'POST', '/service-role-jwts/revoke', { reason: 'x' }, headers)).body.code).toBe('ADMIN_REQUIRED');
    }
    expect((await call(app, 'GET', '/service-keys', undefined, {})).status).toBe(401);
    expect((await call(app, 'GET', '/service-keys', undefined, { apikey: app.keys.anon })).status).toBe(401);
  });

  it('lets an admin user manage keys (recorded as user:<id>) and refuses other users', async () => {
    const [adminUser] = await db.sql<{ id: string }[]>`insert into auth.users (email, role) values ('keys-admin@example.com', 'admin') returning id`;
    const [plainUser] = await db.sql<{ id: string }[]>`insert into auth.users (email) values ('keys-user@example.com') returning id`;
    const asAdmin = { Authorization: `Bearer ${app.userToken(adminUser!.id)}` };
    const res = await call(app, 'POST', '/service-keys', { name: 'by admin user' }, asAdmin);
    expect(res.status).toBe(201);
    expect(res.body.created_by).toBe(`user:${adminUser!.id}`);
    expect((await audit(res.body.id as string))[0]).toMatchObject({ action: 'create', actor: `user:${adminUser!.id}` });
    const denied = await call(app, 'GET', '/service-keys', undefined, { Authorization: `Bearer ${app.userToken(plainUser!.id)}` });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('ADMIN_REQUIRED');
  });
});

describe('bad input', () => {
  const missing = '00000000-0000-4000-8000-000000000000';
  it.each([
    ['missing name', 'POST', '/service-keys', {}, 400, 'MISSING_REQUIRED_FIELD'],
    ['empty name', 'POST', '/service-keys', { name: '' }, 400, 'VALIDATION_FAILED'],
    ['name too long', 'POST', '/service-keys', { name: 'x'.repeat(201) }, 400, 'VALIDATION_FAILED'],
    ['unknown scope', 'POST', '/service-keys', { name: 'a', scopes: ['admin:everything'] }, 400, 'VALIDATION_FAILED'],
    ['zero rate limit', 'POST', '/service-keys', { name: 'a', rate_limit_per_minute: 0 }, 400, 'VALIDATION_FAILED'],
    ['past expiry', 'POST', '/service-keys', { name: 'a', expires_at: '2001-01-01T00:00:00Z' }, 400, 'VALIDATION_FAILED'],
    ['array body', 'POST', '/service-keys', [1], 400, 'INVALID_REQUEST_BODY'],
    ['malformed id', 'GET', '/service-keys/not-a-uuid', undefined, 400, 'INVALID_ID'],
    ['injection id', 'POST', "/service-keys/1'%20or%201=1/revoke", { reason: 'x' }, 400, 'INVALID_ID'],
    ['unknown id', 'GET', `/service-keys/${missing}`, undefined, 404, 'NOT_FOUND'],
    ['unknown id revoke', 'POST', `/service-keys/${missing}/revoke`, { reason: 'x' }, 404, 'NOT_FOUND'],
    ['unknown id rotate', 'POST', `/service-keys/${missing}/rotate`, {}, 404, 'NOT_FOUND'],
    ['unknown id revocations', 'GET', `/service-keys/${missing}/revocations`, undefined, 404, 'NOT_FOUND'],
    ['unknown id patch', 'PATCH', `/service-keys/${missing}`, { name: 'x' }, 404, 'NOT_FOUND'],
    ['revoke without reason', 'POST', `/service-keys/${missing}/revoke`, {}, 400, 'MISSING_REQUIRED_FIELD'],
    ['service-role revoke without reason', 'POST', '/service-role-jwts/revoke', {}, 400, 'MISSING_REQUIRED_FIELD'],
  ])('%s → %i %s', async (_name, method, path, body, status, code) => {
    const res = await call(app, method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
  });

  it('refuses grace periods outside 0..720 hours and bad rotation scopes, changing nothing', async () => {
    const created = await createKey();
    for (const body of [{ grace_period_hours: 721 }, { grace_period_hours: -1 }, { grace_period_hours: 'soon' }]) {
      const rot = await call(app, 'POST', `/service-keys/${created.id}/rotate`, body);
      expect(rot.status).toBe(400);
      expect(rot.body.details.fields).toHaveProperty('grace_period_hours');
      expect((await call(app, 'POST', `/service-keys/${created.id}/deprecate`, body)).status).toBe(400);
    }
    expect((await call(app, 'POST', `/service-keys/${created.id}/rotate`, { new_scopes: ['nope'] })).status).toBe(400);
    expect((await call(app, 'PATCH', `/service-keys/${created.id}`, { scopes: ['nope'] })).body.details.fields).toHaveProperty('scopes');
    expect((await call(app, 'GET', `/service-keys/${created.id}`)).body).toMatchObject({ status: 'active', scopes: ['*'] });
    expect((await audit(created.id)).map((r) => r.action)).toEqual(['create']);
  });
});
