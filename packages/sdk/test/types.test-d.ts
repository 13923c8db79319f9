// Type-level tests of the typed client, checked by `npm run typecheck` (never run): table,
// column, value and function names come from the generated `Database` type. Every
// `@ts-expect-error` below fails the typecheck if the builder stops checking that case
// (an untyped builder makes the directive unused, which tsc reports).
import { createClient, type RpcPending } from '../src/index.ts';
import type { Database, Json } from './fixtures/database.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
type Expect<T extends true> = T;
type IsAny<T> = 0 extends 1 & T ? true : false;

type Item = Database['public']['Tables']['items']['Row'];

export async function typedReads(): Promise<void> {
  const client = createClient<Database>('http://localhost:8080', 'key');

  const _all = await client.from('items').select();
  type _TAll = Expect<Equal<typeof _all.data, Item[] | null>>;

  const _picked = await client.from('items').select('id, title');
  type _TPicked = Expect<Equal<typeof _picked.data, Pick<Item, 'id' | 'title'>[] | null>>;

  const _embedded = await client.from('items').select('id, author:authors(name)');
  type _TEmbedded = Expect<Equal<typeof _embedded.data, Record<string, unknown>[] | null>>;

  const _one = await client.from('items').select().eq('id', 1).single();
  type _TOne = Expect<Equal<typeof _one.data, Item | null>>;
  if (_one.error === null) {
    type _TOneOk = Expect<Equal<typeof _one.data, Item>>;
  }

  const _maybe = await client.from('items').select('title').maybeSingle();
  type _TMaybe = Expect<Equal<typeof _maybe.data, Pick<Item, 'title'> | null>>;

  const _csv = await client.from('items').select().csv();
  type _TCsv = Expect<Equal<typeof _csv.data, string | null>>;

  const _view = await client.from('item_titles').select('title');
  type _TView = Expect<Equal<typeof _view.data, Pick<Database['public']['Views']['item_titles']['Row'], 'title'>[] | null>>;

  const _other = await client.schema('analytics').from('events').select('kind');
  type _TOther = Expect<Equal<typeof _other.data, { kind: string }[] | null>>;

  const _cast = await client.from('items').select('id, n:qty').returns<{ id: number; n: number }[]>();
  type _TCast = Expect<Equal<typeof _cast.data, { id: number; n: number }[] | null>>;

  const _thrown = await client.from('items').select('id').throwOnError();
  type _TThrown = Expect<Equal<typeof _thrown.data, Pick<Item, 'id'>[]>>;

  // Filters accept the row's columns, JSON paths into them, and values of the column type.
  await client.from('items').select()
    .eq('title', 'a').neq('qty', 2).gt('qty', 1).in('id', [1, 2]).is('price', null)
    .eq('data->>kind', 'x').order('created_at', { ascending: false }).cursor('id', null)
    .filter('authors.name', 'eq', 'Ann').order('name', { referencedTable: 'authors' })
    .match({ title: 'a', done: false }).contains('tags', ['a']).between('qty', 1, 5);

  // @ts-expect-error: not a table or view of the public schema
  client.from('no_such_table');
  // @ts-expect-error: `events` lives in the analytics schema
  client.from('events');
  // @ts-expect-error: `items` is not in the analytics schema
  client.schema('analytics').from('items');
  // @ts-expect-error: not a schema of the Database
  client.schema('nope');
  // @ts-expect-error: unknown column in a filter
  client.from('items').select().eq('titel', 'a');
  // @ts-expect-error: a number column compared with a string
  client.from('items').select().eq('qty', 'many');
  // @ts-expect-error: unknown column in order()
  client.from('items').select().order('nope');
  // @ts-expect-error: unknown column in match()
  client.from('items').select().match({ nope: 1 });
}

export async function typedWrites(): Promise<void> {
  const client = createClient<Database>('http://localhost:8080', 'key');

  const _inserted = await client.from('items').insert({ id: 7, title: 'a', data: { k: [1, 'x'] } satisfies Json });
  type _TInserted = Expect<Equal<typeof _inserted.data, null>>;

  const _returned = await client.from('items').insert([{ id: 7, title: 'a' }, { id: 8, title: 'b', qty: 2 }]).select('id');
  type _TReturned = Expect<Equal<typeof _returned.data, Pick<Item, 'id'>[] | null>>;

  const _updated = await client.from('items').update({ done: true }).eq('id', 1).select().single();
  type _TUpdated = Expect<Equal<typeof _updated.data, Item | null>>;

  await client.from('items').upsert({ id: 1, title: 'x' }, { onConflict: 'id', ignoreDuplicates: true });
  await client.from('items').delete().eq('id', 1);

  // @ts-expect-error: wrong value type for an insert column
  client.from('items').insert({ id: 1, title: 123 });
  // @ts-expect-error: a required insert column is missing
  client.from('items').insert({ id: 1, qty: 1 });
  // @ts-expect-error: unknown insert column
  client.from('items').insert({ id: 1, title: 'a', nope: true });
  // @ts-expect-error: wrong value type in an update
  client.from('items').update({ qty: 'ten' });
  // @ts-expect-error: a read-only view has no Insert shape
  client.from('author_stats').insert({ items: 1 });
  // An updatable view has one.
  await client.from('item_titles').update({ title: 'b' }).eq('id', 1);
}

export async function typedRpc(): Promise<void> {
  const client = createClient<Database>('http://localhost:8080', 'key');

  const _sum = await client.rpc('add_numbers', { a: 1, b: 2 });
  type _TSum = Expect<Equal<typeof _sum.data, number | null>>;

  const _rows = await client.rpc('items_over', { min_qty: 3 });
  type _TRows = Expect<Equal<typeof _rows.data, Item[] | null>>;

  const _now = await client.rpc('server_time');
  type _TNow = Expect<Equal<typeof _now.data, string | null>>;

  const _queued = await client.rpc('add_numbers', { a: 1, b: 2 }, { async: true });
  type _TQueued = Expect<Equal<typeof _queued.data, RpcPending | null>>;

  // @ts-expect-error: unknown function
  client.rpc('no_such_function');
  // @ts-expect-error: wrong argument type
  client.rpc('add_numbers', { a: 'one', b: 2 });
}

export async function untyped(): Promise<void> {
  // Without a Database type everything is accepted and data is `any`.
  const client = createClient('http://localhost:8080', 'key');
  const _res = await client.from('anything').select('a, b(c)').eq('whatever', 1).order('x');
  type _TRes = Expect<IsAny<NonNullable<typeof _res.data>[number]>>;
  const _fn = await client.rpc('any_function', { x: 1 });
  type _TFn = Expect<IsAny<typeof _fn.data>>;
  await client.schema('any_schema').from('t').insert({ anything: 1 });
}
