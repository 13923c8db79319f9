// The example of docs/storage.md ("## Example") runs as the doc says: the bucket JSON, the
// upload body, the full and ranged reads with the answers the doc gives, another user's 404,
// and the signed URL served without a login; then the policy of "## Access control" applied
// as written keeps each user in their own folder.
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docBlocks } from './harness/docs.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';


const { text: doc, blocksUnder } = docBlocks('storage.md');

let db: TestDatabase;
let app: TestApp;
let sql: postgres.Sql;
const user = randomUUID();
const other = randomUUID();

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
  for (const id of [user, other]) await sql`insert into auth.users (id, email) values (${id}, ${`${id}@example.com`})`;
  app = await startTestApp(db.url);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

it('runs the example: bucket, upload, reads, another user, signed URL', async () => {
  const [create, upload, sign] = blocksUnder('## Example', 'bash') as [string, string, string];
  const bucketBody = /-d '([^']+)'/.exec(create)![1]!;
  const made = await app.fetch('/api/v1/storage/buckets/documents', { method: 'POST', headers: { authorization: `Bearer ${app.keys.service_role}`, 'content-type': 'application/json' }, body: bucketBody });
  expect(made.status).toBe(201);
  expect(await made.json()).toMatchObject({ name: 'documents', public: false, max_file_size: 10485760 });

  const token = { authorization: `Bearer ${app.userToken(user)}` };
  const content = /--data-binary '([^']+)'/.exec(upload)![1]!;
  const up = await app.fetch(`/api/v1/storage/documents/${user}/notes.txt`, { method: 'POST', headers: { ...token, 'content-type': 'text/plain' }, body: content });
  expect(up.status).toBe(201);
  expect(await up.json()).toMatchObject({ key: `${user}/notes.txt`, bucket: 'documents', size: 13, content_type: 'text/plain' });
  expect(doc).toContain('"size": 13');
  expect(await (await app.fetch(`/api/v1/storage/documents/${user}/notes.txt`, { headers: token })).text()).toBe('hello storage');
  const part = await app.fetch(`/api/v1/storage/documents/${user}/notes.txt`, { headers: { ...token, range: /-H 'Range: ([^']+)'/.exec(upload)![1]! } });
  expect([part.status, await part.text()]).toEqual([206, 'hello']);
  expect((await app.fetch(`/api/v1/storage/documents/${user}/notes.txt`, { headers: { authorization: `Bearer ${app.userToken(other)}` } })).status).toBe(404);

  const signBody = /-d '([^']+)'/.exec(sign)![1]!;
  const signed = await app.fetch(`/api/v1/storage/documents/sign/${user}/notes.txt`, { method: 'POST', headers: { ...token, 'content-type': 'application/json' }, body: signBody });
  const { signed_url: url, expires_in: expiresIn } = (await signed.json()) as { signed_url: string; expires_in: number };
  expect(expiresIn).toBe(3600);
  const u = new URL(url);
  expect(await (await app.fetch(`${u.pathname}${u.search}`)).text()).toBe('hello storage');
});

it('applies the own-folder policy of "Access control" as written', async () => {
  const [policy] = blocksUnder('## Access control', 'sql');
  await sql.unsafe(policy!);
  const token = { authorization: `Bearer ${app.userToken(other)}`, 'content-type': 'text/plain' };
  expect((await app.fetch(`/api/v1/storage/documents/${other}/mine.txt`, { method: 'POST', headers: token, body: 'ok' })).status).toBe(201);
  expect((await app.fetch(`/api/v1/storage/documents/${user}/intruder.txt`, { method: 'POST', headers: token, body: 'no' })).status).toBe(403);
});
