// `client.webhooks` and verifyWebhookSignature against the real server (API.md §12): the
// admin round trip (create with the secret shown once, get, list, update, test, rotate,
// deliveries, delete), a user's own webhooks, and the errors as FluxbaseError codes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { createClient, verifyWebhookSignature, type FluxbaseClient } from '../src/index.ts';

let db: TestDatabase;
let app: TestApp;
let admin: FluxbaseClient;
let owner: postgres.Sql;
let receiver: http.Server;
let url: string;
const got: { body: string; signature: string }[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ body, signature: String(req.headers['x-fluxbase-signature']) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  db = await createTestDatabase();
  owner = postgres(db.url, { max: 1, onnotice: () => {} });
  await owner`create table public.notes (id serial primary key, body text, user_id uuid)`;
  app = await startTestApp(db.url, { overrides: { webhooks: { allow_private_targets: true } } });
  admin = createClient(app.url, app.keys.service_role);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await owner?.end();
  await db?.drop();
  receiver?.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

describe('client.webhooks', () => {
  it('creates, reads, updates, tests, rotates, lists deliveries and deletes', async () => {
    const created = await admin.webhooks.create({ name: 'notes', url, events: [{ table: 'notes', operations: ['INSERT'] }], scope: 'global' });
    expect(created.error).toBeNull();
    const hook = created.data!;
    expect(hook).toMatchObject({ name: 'notes', url, scope: 'global', enabled: true, events: [{ table: 'public.notes', operations: ['INSERT'] }] });
    expect(hook.secret).toMatch(/^whsec_/);

    const fetched = await admin.webhooks.get(hook.id);
    expect(fetched.data).toMatchObject({ id: hook.id, name: 'notes' });
    expect(fetched.data).not.toHaveProperty('secret');
    expect((await admin.webhooks.list()).data!.map((w) => w.id)).toContain(hook.id);

    const updated = await admin.webhooks.update(hook.id, { description: 'to the notebook', timeout_seconds: 5 });
    expect(updated.data).toMatchObject({ description: 'to the notebook', timeout_seconds: 5 });

    const test = await admin.webhooks.test(hook.id);
    expect(test.data).toMatchObject({ success: true, status_code: 200 });
    expect(await verifyWebhookSignature(got.at(-1)!.body, got.at(-1)!.signature, hook.secret)).toBe(true);

    const rotated = await admin.webhooks.rotateSecret(hook.id, 1);
    expect(rotated.data!.secret).toMatch(/^whsec_/);
    await owner`insert into public.notes (body) values ('hello')`;
    await vi.waitFor(() => expect(got.some((g) => g.body.includes('"hello"'))).toBe(true), { timeout: 10_000 });
    const delivered = got.find((g) => g.body.includes('"hello"'))!;
    expect(await verifyWebhookSignature(delivered.body, delivered.signature, rotated.data!.secret)).toBe(true);
    expect(await verifyWebhookSignature(delivered.body, delivered.signature, hook.secret)).toBe(true);
    await vi.waitFor(async () => expect((await admin.webhooks.deliveries(hook.id, { limit: 10 })).data).toMatchObject([{ status: 'success', event: 'INSERT' }]));

    expect((await admin.webhooks.delete(hook.id)).error).toBeNull();
    const gone = await admin.webhooks.get(hook.id);
    expect(gone.error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('lets a signed-in user manage their own webhooks, and reports refusals as FluxbaseError', async () => {
    const user = createClient(app.url, app.keys.anon, { headers: { authorization: `Bearer ${app.userToken('00000000-0000-4000-8000-0000000000c1')}` } });
    const mine = await user.webhooks.create({ name: 'mine', url, events: [{ table: 'notes', operations: ['*'] }] });
    expect(mine.data).toMatchObject({ scope: 'user', created_by: '00000000-0000-4000-8000-0000000000c1' });
    expect((await user.webhooks.list()).data!.map((w) => w.id)).toEqual([mine.data!.id]);
    const global = await user.webhooks.create({ name: 'all', url, events: [{ table: 'notes', operations: ['*'] }], scope: 'global' });
    expect(global.error).toMatchObject({ code: 'ADMIN_REQUIRED', status: 403 });
    const bad = await user.webhooks.create({ name: 'bad', url: 'ftp://example.com', events: [{ table: 'notes', operations: ['*'] }] });
    expect(bad.error).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    const anon = createClient(app.url, app.keys.anon);
    expect((await anon.webhooks.list()).error).toMatchObject({ status: 401 });
  });
});
