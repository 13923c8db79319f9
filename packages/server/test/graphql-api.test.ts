// GraphQL over HTTP (issue 18, API.md §13): the generated schema and its names, nested
// parents and children with their own filters, order and ranges, aliases, fragments,
// variables, single rows by key, mutations, RLS under the caller's claims, and one SQL
// statement per operation (fluxbase_graphql_statements_total, and the statement counter
// of pg_stat_database for the same transactions).
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness/index.ts';

let db: TestDatabase;
let sql: postgres.Sql;
let app: TestApp;
const alice = randomUUID();
const bob = randomUUID();

interface GqlResponse { status: number; body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] } }

async function gql(query: string, variables?: Record<string, unknown>, as?: string, extra: Record<string, unknown> = {}): Promise<GqlResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json', apikey: app.keys.anon };
  if (as) headers.authorization = `Bearer ${app.userToken(as)}`;
  const res = await app.fetch('/api/v1/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables, ...extra }) });
  return { status: res.status, body: (await res.json()) as GqlResponse['body'] };
}

async function statements(): Promise<Record<string, number>> {
  const text = await (await app.fetch('/metrics')).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^fluxbase_graphql_statements_total\{operation="(\w+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = postgres(db.url, { max: 2, onnotice: () => {} });
  await sql.unsafe(`
    create table public.authors (id serial primary key, name text not null, owner uuid, created_at timestamptz not null default now());
    create table public.posts (
      id bigserial primary key, author_id int references public.authors(id), editor_id int references public.authors(id),
      title text not null, views int default 0, tags jsonb, labels text[], published boolean not null default false
    );
    create table public.categories (id int primary key, label text);
    create table public.status (id int primary key, name text);
    create view public.post_titles as select id, title from public.posts;
    create function public.search_posts(q text) returns setof public.posts language sql stable as $$ select * from public.posts where title ilike '%' || q || '%' $$;
    create function public.add_numbers(a int, b int default 1) returns int language sql immutable as $$ select a + b $$;
    create function public.bump_views(post_id bigint, by_n int) returns int language sql volatile as $$ update public.posts set views = views + by_n where id = post_id returning views $$;
    create function public.post_stats() returns table(total bigint, viewed bigint) language sql stable as $$ select count(*), sum(views) from public.posts $$;
    grant execute on all functions in schema public to anon, authenticated;
    alter table public.authors enable row level security;
    create policy authors_read on public.authors for select using (true);
    create policy authors_own on public.authors for all to authenticated using (owner = auth.uid()) with check (owner = auth.uid());
    alter table public.posts enable row level security;
    create policy posts_read on public.posts for select using (published or exists (select 1 from public.authors a where a.id = author_id and a.owner = auth.uid()));
    create policy posts_write on public.posts for all to authenticated
      using (exists (select 1 from public.authors a where a.id = author_id and a.owner = auth.uid()))
      with check (exists (select 1 from public.authors a where a.id = author_id and a.owner = auth.uid()));
    grant select on public.authors, public.posts, public.categories, public.status, public.post_titles to anon, authenticated;
    grant insert, update, delete on public.authors, public.posts to authenticated;
    grant usage on all sequences in schema public to authenticated;
  `);
  await sql`insert into public.authors (id, name, owner) values (1, 'Ada', ${alice}), (2, 'Brian', ${bob}), (3, 'Cleo', null)`;
  await sql.unsafe(`select setval('public.authors_id_seq', 10)`);
  await sql`insert into public.posts (author_id, editor_id, title, views, tags, labels, published) values
    (1, 2, 'First', 10, '{"topic": "db", "level": 1}', '{sql,intro}', true),
    (1, null, 'Second', 20, '{"topic": "api"}', '{api}', true),
    (1, null, 'Draft of Ada', 0, null, null, false),
    (2, 1, 'Brian''s', 5, '{"topic": "db"}', '{sql}', true),
    (2, null, 'Brian draft', 1, null, null, false)`;
  await sql`insert into public.categories values (1, 'one'), (2, 'two')`;
  app = await startTestApp(db.url);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await sql?.end();
  await db?.drop();
});

describe('the generated schema', () => {
  it('names types, fields, lists, single rows, relations and mutations as API.md §13 says', async () => {
    const r = await gql(`{ __schema { queryType { fields { name args { name } } } mutationType { fields { name } } subscriptionType { fields { name } } }
      Posts: __type(name: "Posts") { fields { name type { kind name ofType { kind name ofType { kind name ofType { name } } } } } }
      PostsFilter: __type(name: "PostsFilter") { inputFields { name } } }`);
    expect(r.status).toBe(200);
    const data = r.body.data as { __schema: { queryType: { fields: { name: string; args: { name: string }[] }[] }; mutationType: { fields: { name: string }[] }; subscriptionType: { fields: { name: string }[] } }; Posts: { fields: { name: string; type: unknown }[] }; PostsFilter: { inputFields: { name: string }[] } };
    const roots = data.__schema.queryType.fields.map((f) => f.name);
    expect(roots).toEqual(expect.arrayContaining(['authors', 'author', 'posts', 'post', 'categories', 'category', 'status', 'statusByPk', 'postTitles', '_health']));
    expect(data.__schema.queryType.fields.find((f) => f.name === 'posts')!.args.map((a) => a.name)).toEqual(['filter', 'orderBy', 'limit', 'offset']);
    expect(data.__schema.queryType.fields.find((f) => f.name === 'post')!.args.map((a) => a.name)).toEqual(['id']);
    const mutations = data.__schema.mutationType.fields.map((f) => f.name);
    expect(mutations).toEqual(expect.arrayContaining(['insertPosts', 'insertManyPosts', 'updatePosts', 'updateManyPosts', 'deletePosts', 'deleteManyPosts']));
    expect(mutations.some((m) => m.includes('PostTitles'))).toBe(false);
    expect(data.__schema.subscriptionType.fields.map((f) => f.name)).toContain('postsChanges');
    const fields = data.Posts.fields.map((f) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['id', 'authorId', 'editorId', 'title', 'views', 'tags', 'labels', 'published', 'author', 'editor']));
    const authorFields = (await gql('{ __type(name: "Authors") { fields { name } } }')).body.data as { __type: { fields: { name: string }[] } };
    expect(authorFields.__type.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['createdAt', 'postsByAuthorId', 'postsByEditorId']));
    const filters = data.PostsFilter.inputFields.map((f) => f.name);
    expect(filters).toEqual(expect.arrayContaining(['title_eq', 'title_ilike', 'views_gt', 'views_in', 'tags_contains', 'tags_contained_by', 'labels_contains', 'published_is_null', '_and', '_or', '_not']));
  });

  it('introspects with the standard (fragment-based) introspection query, over POST and GET', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const r = await gql(getIntrospectionQuery());
    expect(r.status).toBe(200);
    expect((r.body.data as { __schema: { types: { name: string }[] } }).__schema.types.map((t) => t.name)).toContain('Posts');
    const g = await app.fetch('/api/v1/graphql', { headers: { apikey: app.keys.anon } });
    expect(g.status).toBe(200);
    expect(((await g.json()) as { data: { __schema: unknown } }).data.__schema).toBeDefined();
  });
});

describe('queries', () => {
  it('reads lists with filters, order, limit and offset; BigInt ids are strings', async () => {
    const r = await gql(`{ posts(filter: { views_gte: 5, tags_contains: { topic: "db" } }, orderBy: [{ views: DESC }]) { id title views } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({ posts: [{ id: '1', title: 'First', views: 10 }, { id: '4', title: "Brian's", views: 5 }] });
    const page = await gql(`{ posts(orderBy: [{ id: ASC }], limit: 2, offset: 1) { title } }`);
    expect(page.body.data).toEqual({ posts: [{ title: 'Second' }, { title: "Brian's" }] });
  });

  it('nests parents and children, each list with its own filter, order and limit, with aliases and fragments', async () => {
    const r = await gql(`
      query Nested($min: Int!) {
        authors(orderBy: [{ id: ASC }], filter: { id_in: [1, 2] }) {
          ...AuthorBits
          top: postsByAuthorId(orderBy: [{ views: DESC }], limit: 1) { title }
          busy: postsByAuthorId(filter: { views_gte: $min }) { title editor { name } }
        }
      }
      fragment AuthorBits on Authors { name n2: name }`, { min: 10 });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      authors: [
        { name: 'Ada', n2: 'Ada', top: [{ title: 'Second' }], busy: [{ title: 'First', editor: { name: 'Brian' } }, { title: 'Second', editor: null }] },
        { name: 'Brian', n2: 'Brian', top: [{ title: "Brian's" }], busy: [] },
      ],
    });
  });

  it('reads one row by primary key (null when none), and `<list>ByPk` when the singular is the list name', async () => {
    const r = await gql(`{ post(id: "2") { title author { name } } missing: post(id: "999") { title } statusByPk(id: 1) { name } category(id: 2) { label } }`);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({ post: { title: 'Second', author: { name: 'Ada' } }, missing: null, statusByPk: null, category: { label: 'two' } });
  });

  it('filters with _and, _or, _not, is_null both ways, like/ilike, contains and contained_by', async () => {
    const titles = async (filter: string) => {
      const r = await gql(`{ posts(filter: ${filter}, orderBy: [{ id: ASC }]) { title } }`);
      expect(r.body.errors, filter).toBeUndefined();
      return (r.body.data as { posts: { title: string }[] }).posts.map((p) => p.title);
    };
    expect(await titles('{ editorId_is_null: false }')).toEqual(['First', "Brian's"]);
    expect(await titles('{ editorId_is_null: true }')).toEqual(['Second']);
    expect(await titles('{ _or: [{ views_gt: 15 }, { title_like: "Brian%" }] }')).toEqual(['Second', "Brian's"]);
    expect(await titles('{ _not: { title_ilike: "%an%" } }')).toEqual(['First', 'Second']);
    expect(await titles('{ _and: [{ views_gte: 5 }, { views_lte: 10 }] }')).toEqual(['First', "Brian's"]);
    expect(await titles('{ tags_contained_by: { topic: "db", level: 1, extra: true } }')).toEqual(['First', "Brian's"]);
    expect(await titles('{ labels_contains: ["sql"] }')).toEqual(['First', "Brian's"]);
  });

  it('applies RLS under the caller: a signed-in author also sees their drafts', async () => {
    const anon = await gql('{ posts(orderBy: [{ id: ASC }]) { title } }');
    expect((anon.body.data as { posts: unknown[] }).posts).toHaveLength(3);
    const ada = await gql('{ posts(orderBy: [{ id: ASC }]) { title } }', undefined, alice);
    expect((ada.body.data as { posts: { title: string }[] }).posts.map((p) => p.title)).toEqual(['First', 'Second', 'Draft of Ada', "Brian's"]);
  });

  it('runs a query operation as ONE SQL statement, however many root fields and levels it has', async () => {
    const before = await statements();
    const r = await gql(`{ a: authors { name postsByAuthorId(limit: 5) { title author { name postsByEditorId(limit: 5) { title } } } } b: posts(limit: 2) { id } c: post(id: "1") { title } d: categories { label } }`);
    expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    const after = await statements();
    expect((after.query ?? 0) - (before.query ?? 0)).toBe(1);
  });
});

describe('one statement per operation, counted by PostgreSQL', () => {
  // pg_stat_statements is loaded by the test cluster (harness/global-setup.ts); an external
  // FLUXBASE_TEST_DATABASE_URL server may not have it.
  let available = false;
  beforeAll(async () => {
    available = (await sql`select 1 from pg_settings where name = 'shared_preload_libraries' and setting like '%pg_stat_statements%'`).length > 0;
    if (available) await sql`create extension if not exists pg_stat_statements`;
  });

  it.skipIf(Boolean(process.env.FLUXBASE_TEST_DATABASE_URL))('(skipped on an external FLUXBASE_TEST_DATABASE_URL, which may lack pg_stat_statements) a query with several root fields, nested lists and a function runs ONE statement that reads the tables', async () => {
    expect(available, 'the test cluster loads pg_stat_statements').toBe(true);
    await sql`select pg_stat_statements_reset()`;
    const r = await gql(`{ a: authors(limit: 3) { name postsByAuthorId(limit: 3) { title editor { name } } } b: posts(limit: 2) { title } c: post(id: "1") { title } d: addNumbers(a: 1) }`, undefined, alice);
    expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    const rows = await sql<{ query: string; calls: string }[]>`
      select query, calls::text from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database())
        and (query ilike '%"public"."posts"%' or query ilike '%"public"."authors"%' or query ilike '%add_numbers%')`;
    expect(rows.map((x) => Number(x.calls)), rows.map((x) => x.query.slice(0, 120)).join('\n')).toEqual([1]);
  });
});

describe('functions', () => {
  it('stable functions are Query fields (rows of a table take the list arguments and nest), in the same one statement', async () => {
    const before = await statements();
    const r = await gql(`{ searchPosts(q: "ir", orderBy: [{ id: ASC }], limit: 5) { title author { name } } addNumbers(a: 2, b: 3) one: addNumbers(a: 41) postStats posts(limit: 1) { id } }`);
    expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    expect(r.body.data).toEqual({ searchPosts: [{ title: 'First', author: { name: 'Ada' } }], addNumbers: 5, one: 42, postStats: [{ total: 3, viewed: 35 }], posts: [{ id: '1' }] });
    expect(((await statements()).query ?? 0) - (before.query ?? 0)).toBe(1);
  });

  it('volatile functions are Mutation fields', async () => {
    const schema = await gql('{ __type(name: "Mutation") { fields { name } } }');
    expect((schema.body.data as { __type: { fields: { name: string }[] } }).__type.fields.map((f) => f.name)).toContain('bumpViews');
    const r = await gql('mutation { bumpViews(postId: "2", byN: 5) }', undefined, alice);
    expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    expect(r.body.data).toEqual({ bumpViews: 25 });
    await sql`update public.posts set views = 20 where id = 2`;
  });
});

describe('mutations', () => {
  it('inserts, updates and deletes, each as one statement returning the selection, under RLS', async () => {
    const before = await statements();
    const ins = await gql(`mutation { insertPosts(data: { authorId: 1, title: "New", tags: { topic: "new" } }) { id title published author { name } } }`, undefined, alice);
    expect(ins.body.errors).toBeUndefined();
    const created = (ins.body.data as { insertPosts: { id: string; title: string; published: boolean; author: { name: string } } }).insertPosts;
    expect(created).toMatchObject({ title: 'New', published: false, author: { name: 'Ada' } });
    const after = await statements();
    expect((after.mutation ?? 0) - (before.mutation ?? 0)).toBe(1);

    const many = await gql(`mutation($rows: [PostsInput!]!) { insertManyPosts(data: $rows) { title } }`, { rows: [{ authorId: 1, title: 'M1' }, { authorId: 1, title: 'M2', views: 3 }] }, alice);
    expect(many.body.data).toEqual({ insertManyPosts: [{ title: 'M1' }, { title: 'M2' }] });

    const upd = await gql(`mutation { updatePosts(id: "${created.id}", data: { title: "Renamed" }) { title } }`, undefined, alice);
    expect(upd.body.data).toEqual({ updatePosts: { title: 'Renamed' } });
    const updMany = await gql(`mutation { updateManyPosts(filter: { title_in: ["M1", "M2"] }, data: { published: true }) { title published } }`, undefined, alice);
    expect(updMany.body.data).toEqual({ updateManyPosts: [{ title: 'M1', published: true }, { title: 'M2', published: true }] });

    // Bob cannot touch Ada's post: RLS hides it, so nothing is updated.
    const denied = await gql(`mutation { updatePosts(id: "${created.id}", data: { title: "Hijacked" }) { title } }`, undefined, bob);
    expect(denied.body.data).toEqual({ updatePosts: null });
    // Nor insert as her.
    const forged = await gql(`mutation { insertPosts(data: { authorId: 1, title: "Forged" }) { id } }`, undefined, bob);
    expect(forged.body.errors?.[0], JSON.stringify(forged.body.errors)).toMatchObject({ path: ['insertPosts'], extensions: { code: 'RLS_POLICY_VIOLATION' } });
    expect(forged.body.errors?.[0]?.message).not.toMatch(/insert into|select /i);

    const del = await gql(`mutation { deletePosts(id: "${created.id}") { title } }`, undefined, alice);
    expect(del.body.data).toEqual({ deletePosts: { title: 'Renamed' } });
    const delMany = await gql(`mutation { deleteManyPosts(filter: { title_in: ["M1", "M2"] }) }`, undefined, alice);
    expect(delMany.body.data).toEqual({ deleteManyPosts: 2 });
    const [{ n }] = (await sql<{ n: number }[]>`select count(*)::int as n from public.posts`) as unknown as [{ n: number }];
    expect(n).toBe(5);
  });
});
