// `client.graphql` against the real server (API.md §13, docs/sdk.md "GraphQL"): queries with
// variables, parent and children selections, filters, aliases and fragments, introspection,
// a mutation, error bodies returned rather than thrown, RLS seen by anonymous and signed-in
// callers, and subscriptions over graphql-ws (the `ws` package: Node 20 has no global
// WebSocket). Nothing is stubbed: every client talks to a started server.
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../../server/test/harness/index.ts';
import { enableRealtime } from '../../server/test/harness/realtime.ts';
import { createClient, type FluxbaseClient, type GraphqlError, type GraphqlResponse } from '../src/index.ts';

const PASSWORD = 'correct horse battery staple';

interface Post { id: number; title: string; tags: unknown; authorId: number | null; owner: string | null }

/** Subscription events in arrival order, with a wait for the next one that matches. */
class Inbox<T> {
  readonly items: T[] = [];
  readonly errors: GraphqlError[][] = [];
  completed = false;
  private taken = 0;

  readonly handlers = {
    next: (item: T): void => { this.items.push(item); },
    error: (errors: GraphqlError[]): void => { this.errors.push(errors); },
    complete: (): void => { this.completed = true; },
  };

  async next(match: (item: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.taken < this.items.length) {
        const item = this.items[this.taken++]!;
        if (match(item)) return item;
      }
      if (this.errors.length > 0) throw new Error(`subscription failed: ${JSON.stringify(this.errors)}`);
      if (Date.now() > deadline) throw new Error(`nothing matching arrived within ${timeoutMs} ms; got ${JSON.stringify(this.items.slice(-5))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves once `done()` holds (polled). */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; items ${JSON.stringify(this.items)}, errors ${JSON.stringify(this.errors)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

type PostChange = { postsChanges: { type: string; record: Pick<Post, 'id' | 'title' | 'owner'> | null } };

describe('client.graphql against the real server', () => {
  let db: TestDatabase;
  let app: TestApp;
  const clients: FluxbaseClient[] = [];
  let ann: { email: string; id: string };
  let bob: { email: string; id: string };
  let serial = 0;

  function client(key = app.keys.anon, url = app.url): FluxbaseClient {
    const c = createClient(url, key, { auth: { persistSession: false }, graphql: { webSocketImpl: WebSocket, retryAttempts: 0 } });
    clients.push(c);
    return c;
  }

  async function signUp(prefix: string): Promise<{ email: string; id: string }> {
    const email = `${prefix}-${process.pid}-${++serial}@example.com`;
    const { data, error } = await client().auth.signUp({ email, password: PASSWORD });
    if (error || !data.session) throw error ?? new Error('no session');
    return { email, id: data.user.id };
  }

  async function signedIn(who: { email: string }): Promise<FluxbaseClient> {
    const c = client();
    const { error } = await c.auth.signInWithPassword({ email: who.email, password: PASSWORD });
    if (error) throw error;
    return c;
  }

  /** Inserts a post as `c` through GraphQL and returns it. */
  async function insertPost(c: FluxbaseClient, title: string): Promise<Post> {
    const res = await c.graphql.mutation<{ insertPosts: Post }>(
      'mutation Add($data: PostsInput!) { insertPosts(data: $data) { id title tags authorId owner } }',
      { data: { title, authorId: 1, tags: ['live'] } },
    );
    if (res.errors || !res.data) throw new Error(`insert failed: ${JSON.stringify(res)}`);
    return res.data.insertPosts;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.sql.unsafe(`
      create table public.authors (id serial primary key, name text not null);
      create table public.posts (
        id serial primary key,
        author_id int references public.authors (id),
        title text not null,
        tags jsonb not null default '[]',
        owner uuid default auth.uid()
      );
      alter table public.authors enable row level security;
      alter table public.posts enable row level security;
      create policy authors_read on public.authors for select to anon, authenticated using (true);
      -- Signed-in users read the shared posts (no owner) and their own; anonymous callers read none.
      create policy posts_read on public.posts for select to authenticated using (owner is null or owner = auth.uid());
      create policy posts_write on public.posts for insert to authenticated with check (owner = auth.uid());
      grant select on public.authors to anon, authenticated;
      grant select on public.posts to anon, authenticated;
      grant insert on public.posts to authenticated;
      grant usage on sequence public.posts_id_seq to authenticated;
      insert into public.authors (id, name) values (1, 'Ada'), (2, 'Grace');
      select setval('public.authors_id_seq', 2);
      insert into public.posts (author_id, title, tags, owner) values
        (1, 'GraphQL over SQL', '["graphql", "sql"]', null),
        (1, 'Row level security', '["sql", "security"]', null),
        (2, 'Compilers', '["compilers"]', null);
    `);
    app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
    await enableRealtime(app, 'posts');
    [ann, bob] = await Promise.all([signUp('ann'), signUp('bob')]);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.graphql.close()));
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  describe('queries', () => {
    it('runs a query with variables, and the single-row query by primary key', async () => {
      const c = await signedIn(ann);
      const res = await c.graphql.query<{ post: Post | null; missing: Post | null }, { id: number; none: number }>(
        'query One($id: Int!, $none: Int!) { post(id: $id) { id title tags authorId } missing: post(id: $none) { id } }',
        { id: 1, none: 999 },
      );
      expect(res).toEqual({ data: { post: { id: 1, title: 'GraphQL over SQL', tags: ['graphql', 'sql'], authorId: 1 }, missing: null } });
    });

    it('selects a parent and children in one query', async () => {
      const c = await signedIn(ann);
      const res = await c.graphql.query(`{
        authors(orderBy: [{id: ASC}]) { name posts(orderBy: [{id: ASC}]) { title author { name } } }
      }`);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({
        authors: [
          { name: 'Ada', posts: [{ title: 'GraphQL over SQL', author: { name: 'Ada' } }, { title: 'Row level security', author: { name: 'Ada' } }] },
          { name: 'Grace', posts: [{ title: 'Compilers', author: { name: 'Grace' } }] },
        ],
      });
    });

    it('filters with operators, _or and a JSON containment from a variable', async () => {
      const c = await signedIn(ann);
      const res = await c.graphql.query<{ byTitle: { id: number }[]; byTag: { id: number }[]; either: { id: number }[] }>(`
        query Filtered($tags: JSON) {
          byTitle: posts(filter: {title_ilike: "%sql%"}, orderBy: [{id: ASC}]) { id }
          byTag: posts(filter: {tags_contains: $tags}, orderBy: [{id: ASC}]) { id }
          either: posts(filter: {_or: [{id_eq: 1}, {authorId_eq: 2}]}, orderBy: [{id: DESC}], limit: 5) { id }
        }`, { tags: ['sql'] });
      expect(res).toEqual({ data: { byTitle: [{ id: 1 }], byTag: [{ id: 1 }, { id: 2 }], either: [{ id: 3 }, { id: 1 }] } });
    });

    it('answers aliases and fragments, and runs the operation named by execute', async () => {
      const c = await signedIn(ann);
      const document = `
        query First { first: posts(orderBy: [{id: ASC}], limit: 1) { ...PostFields } }
        query Last { last: posts(orderBy: [{id: DESC}], limit: 1) { ...PostFields author { ...on Authors { writer: name } } } }
        fragment PostFields on Posts { id heading: title }`;
      expect(await c.graphql.execute(document, undefined, 'First')).toEqual({ data: { first: [{ id: 1, heading: 'GraphQL over SQL' }] } });
      expect(await c.graphql.execute(document, {}, 'Last')).toEqual({ data: { last: [{ id: 3, heading: 'Compilers', author: { writer: 'Grace' } }] } });
    });

    it('introspects the schema with the standard introspection query', async () => {
      const res = await client().graphql.introspect();
      expect(res.errors).toBeUndefined();
      const schema = res.data!.__schema;
      expect(schema.queryType.name).toBe('Query');
      expect(schema.mutationType?.name).toBeTruthy();
      expect(schema.subscriptionType?.name).toBeTruthy();
      const byName = new Map(schema.types.map((t) => [t.name, t]));
      for (const name of ['Authors', 'Posts', 'PostsFilter', 'PostsInput', 'PostsOrderBy', 'OrderDirection', 'JSON']) expect(byName.has(name), name).toBe(true);
      expect(byName.get('Posts')!.fields!.map((f) => f.name)).toEqual(expect.arrayContaining(['id', 'title', 'tags', 'authorId', 'owner', 'author']));
      const query = byName.get(schema.queryType.name)!.fields!.map((f) => f.name);
      expect(query).toEqual(expect.arrayContaining(['authors', 'author', 'posts', 'post']));
      const subscription = byName.get(schema.subscriptionType!.name)!.fields!.map((f) => f.name);
      expect(subscription).toContain('postsChanges');
    });
  });

  describe('mutations', () => {
    it('inserts a row and returns it, with the owner set from the caller', async () => {
      const c = await signedIn(ann);
      const post = await insertPost(c, 'Written through GraphQL');
      expect(post).toEqual({ id: expect.any(Number), title: 'Written through GraphQL', tags: ['live'], authorId: 1, owner: ann.id });
      const back = await c.graphql.query<{ post: Post }>('query ($id: Int!) { post(id: $id) { title } }', { id: post.id });
      expect(back).toEqual({ data: { post: { title: 'Written through GraphQL' } } });
    });

    it('reports a refused insert as GraphQL errors, not a throw', async () => {
      const res = await client().graphql.mutation('mutation { insertPosts(data: {title: "anonymous"}) { id } }');
      expect(res.errors?.length).toBeGreaterThan(0);
      expect(res.data?.insertPosts ?? null).toBeNull();
    });
  });

  describe('errors', () => {
    it('returns the 400 body of a syntax error as it is', async () => {
      const res = await client().graphql.query('{ posts { id }');
      expect(res.data).toBeUndefined();
      expect(res.errors).toEqual([expect.objectContaining({ message: expect.any(String), extensions: expect.objectContaining({ code: 'GRAPHQL_PARSE_FAILED' }) })]);
    });

    it('returns the 400 body of a validation error as it is', async () => {
      const res = await client().graphql.query('{ posts { id noSuchField } }');
      expect(res.data).toBeUndefined();
      expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors?.[0]?.message).toMatch(/noSuchField/);
    });

    it('turns a failure outside GraphQL into {data: null, errors} with the SDK code', async () => {
      const closed = createClient('http://127.0.0.1:1', 'anon-key', { auth: { persistSession: false } });
      const res = await closed.graphql.query('{ posts { id } }');
      expect(res).toEqual({ data: null, errors: [{ message: expect.any(String), extensions: { code: 'NETWORK_ERROR' } }] });
      const bad = client('not-a-jwt');
      const unauthorized = await bad.graphql.query('{ posts { id } }');
      expect(unauthorized).toEqual({ data: null, errors: [{ message: expect.any(String), extensions: { code: 'INVALID_TOKEN', status: 401 } }] });
    });
  });

  describe('row-level security', () => {
    it('anonymous callers and each signed-in user see different rows', async () => {
      const annClient = await signedIn(ann);
      const bobClient = await signedIn(bob);
      const own = await insertPost(annClient, `ann's draft ${++serial}`);
      const list = '{ posts(orderBy: [{id: ASC}]) { id } authors(orderBy: [{id: ASC}]) { id } }';
      const ids = (res: GraphqlResponse<{ posts: { id: number }[] }>) => res.data?.posts.map((p) => p.id);

      const anon = await client().graphql.query(list);
      expect(anon).toEqual({ data: { posts: [], authors: [{ id: 1 }, { id: 2 }] } });
      expect(ids(await annClient.graphql.query(list))).toEqual(expect.arrayContaining([1, 2, 3, own.id]));
      expect(ids(await bobClient.graphql.query(list))).not.toContain(own.id);
      expect(ids(await bobClient.graphql.query(list))).toEqual(expect.arrayContaining([1, 2, 3]));
      // The same query by primary key: visible to its owner only.
      const one = 'query ($id: Int!) { post(id: $id) { id } }';
      expect(await annClient.graphql.query(one, { id: own.id })).toEqual({ data: { post: { id: own.id } } });
      expect(await bobClient.graphql.query(one, { id: own.id })).toEqual({ data: { post: null } });
      // setAuth acts as the user on an anon-key client too.
      const asAnn = client();
      asAnn.setAuth(app.userToken(ann.id));
      expect(ids(await asAnn.graphql.query(list))).toContain(own.id);
    });
  });

  describe('subscriptions', () => {
    const CHANGES = 'subscription Feed($events: [ChangeEvent!]) { postsChanges(events: $events) { type record { id title owner } } }';

    /** Inserts posts as `c` until `inbox` receives one of them (the subscription has no ack to wait for). */
    async function insertUntilHeard(c: FluxbaseClient, inbox: Inbox<GraphqlResponse<PostChange>>, prefix: string): Promise<number[]> {
      const sent: number[] = [];
      const deadline = Date.now() + 10_000;
      for (;;) {
        sent.push((await insertPost(c, `${prefix} ${++serial}`)).id);
        const heard = await inbox.next(() => true, 300).catch(() => null);
        if (heard) {
          expect(sent).toContain(heard.data?.postsChanges.record?.id);
          return sent;
        }
        if (Date.now() > deadline) throw new Error(`no event for ${prefix}'s inserts; errors: ${JSON.stringify(inbox.errors)}`);
      }
    }

    it('receives INSERTs under RLS: each user hears their own rows only', async () => {
      const annClient = await signedIn(ann);
      const bobClient = await signedIn(bob);
      const annFeed = new Inbox<GraphqlResponse<PostChange>>();
      const bobFeed = new Inbox<GraphqlResponse<PostChange>>();
      const stopAnn = annClient.graphql.subscribe(CHANGES, { events: ['INSERT'] }, annFeed.handlers);
      const stopBob = bobClient.graphql.subscribe(CHANGES, { events: ['INSERT'] }, bobFeed.handlers);

      await insertUntilHeard(annClient, annFeed, 'ann');
      await insertUntilHeard(bobClient, bobFeed, 'bob');
      // Both subscriptions are live now.
      const annPost = await insertPost(annClient, 'ann again');
      const bobPost = await insertPost(bobClient, 'bob again');
      const heardByAnn = await annFeed.next((e) => e.data?.postsChanges.record?.id === annPost.id);
      expect(heardByAnn).toEqual({ data: { postsChanges: { type: 'INSERT', record: { id: annPost.id, title: 'ann again', owner: ann.id } } } });
      await bobFeed.next((e) => e.data?.postsChanges.record?.id === bobPost.id);
      expect(annFeed.items.map((e) => e.data?.postsChanges.record?.owner)).not.toContain(bob.id);
      expect(bobFeed.items.map((e) => e.data?.postsChanges.record?.owner)).not.toContain(ann.id);

      stopAnn();
      stopBob();
      expect(annFeed.errors).toEqual([]);
    });

    it('stops delivering after unsubscribe, and close() completes active subscriptions', async () => {
      const annClient = await signedIn(ann);
      const feed = new Inbox<GraphqlResponse<PostChange>>();
      const other = new Inbox<GraphqlResponse<PostChange>>();
      const stop = annClient.graphql.subscribe(CHANGES, { events: ['INSERT'] }, feed.handlers, { operationName: 'Feed' });
      annClient.graphql.subscribe(CHANGES, undefined, other.handlers);
      await insertUntilHeard(annClient, feed, 'before stop');
      stop();
      const heard = feed.items.length;
      const after = await insertPost(annClient, 'after stop');
      await other.next((e) => e.data?.postsChanges.record?.id === after.id);
      expect(feed.items.length).toBe(heard);

      await annClient.graphql.close();
      await other.until(() => other.completed);
      expect(other.errors).toEqual([]);
    });

    it('reports a refused subscription to error(), with the GraphQL errors', async () => {
      const feed = new Inbox<GraphqlResponse<PostChange>>();
      client().graphql.subscribe('subscription { postsChanges { nope } }', undefined, feed.handlers);
      await feed.until(() => feed.errors.length > 0);
      expect(feed.errors[0]![0]!.message).toMatch(/nope/);
    });

    it.skipIf(typeof (globalThis as { WebSocket?: unknown }).WebSocket !== 'undefined')(
      'reports REALTIME_UNAVAILABLE without a WebSocket class (Node 20)', async () => {
        const c = createClient(app.url, app.keys.anon, { auth: { persistSession: false } });
        const feed = new Inbox<GraphqlResponse<PostChange>>();
        const stop = c.graphql.subscribe(CHANGES, undefined, feed.handlers);
        await feed.until(() => feed.errors.length > 0);
        expect(feed.errors[0]).toEqual([{ message: expect.stringMatching(/webSocketImpl/), extensions: { code: 'REALTIME_UNAVAILABLE' } }]);
        stop();
      },
    );
  });
});
