// The example of docs/graphql.md ("## Example") runs as the doc says: its SQL, the two
// mutations as a signed-in user, and the query of the curl command, whose answer the doc
// gives; anonymously the unpublished post stays hidden. Then the filter example of "## Filters".
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docBlocks } from './harness/docs.ts';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

const { text: doc, blocksUnder } = docBlocks('graphql.md');

let db: TestDatabase;
let app: TestApp;
let sql: postgres.Sql;
const user = randomUUID();

async function gql(body: unknown, token?: string): Promise<{ data?: unknown; errors?: unknown[] }> {
  const headers: Record<string, string> = { apikey: app.keys.anon, 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await app.fetch('/api/v1/graphql', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return (await res.json()) as { data?: unknown; errors?: unknown[] };
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const [schemaSql] = blocksUnder('## Example', 'sql') as [string];
  await sql.unsafe(schemaSql);
  app = await startTestApp(db.url);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

it('runs the example: two mutations, then the query of the curl command answers what the doc says', async () => {
  const [author, post] = blocksUnder('## Example', 'graphql') as [string, string, string];
  const token = app.userToken(user);
  const made = await gql({ query: author }, token);
  expect(made.errors).toBeUndefined();
  const authorId = (made.data as { insertAuthors: { id: number } }).insertAuthors.id;
  const posted = await gql({ query: post, variables: { authorId } }, token);
  expect(posted.errors).toBeUndefined();
  // An unpublished draft without tags: neither the filter nor anonymous readers see it.
  await sql`insert into public.posts (author_id, title) values (${authorId}, 'Draft')`;

  const [curl] = blocksUnder('## Example', 'bash') as [string];
  const body = /-d '([^']+)'/.exec(curl)![1]!;
  const answer = /answers `([^`]+)`/.exec(doc)![1]!;
  expect(await gql(body, token)).toEqual(JSON.parse(answer));
  // Anonymous: the draft stays invisible.
  const anon = await gql({ query: '{ posts { title } }' });
  expect(anon).toEqual({ data: { posts: [{ title: 'Hello' }] } });
  const mine = await gql({ query: '{ posts(orderBy: [{ id: ASC }]) { title } }' }, token);
  expect(mine).toEqual({ data: { posts: [{ title: 'Hello' }, { title: 'Draft' }] } });
});

it('runs the filter example of "Filters"', async () => {
  const [example] = blocksUnder('## Filters', 'graphql') as [string];
  const r = await gql({ query: example }, app.userToken(user));
  expect(r).toEqual({ data: { posts: [{ title: 'Hello' }] } });
});
