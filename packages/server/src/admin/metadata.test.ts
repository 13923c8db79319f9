// Table metadata from hand-built snapshots: the shape of docs/types.md "Metadata routes",
// information_schema-like data types, key flags, foreign keys and indexes, and the
// /api/v1/tables listing paths.
import { describe, expect, it } from 'vitest';
import { foreignKeysOf } from './foreign-keys.ts';
import { col, fk, snapshot, table } from './snapshot-fixture.ts';
import { dataType, restPath, tableListing, tableMetadata, tablesIn } from './metadata.ts';

describe('dataType', () => {
  const cases: [string, Parameters<typeof col>[0], string][] = [
    ['varchar(20) drops its modifier', { name: 'c', udtName: 'varchar', type: 'character varying(20)' }, 'character varying'],
    ['numeric(10,2) drops its modifier', { name: 'c', udtName: 'numeric', type: 'numeric(10,2)' }, 'numeric'],
    ['timestamp(3) with time zone', { name: 'c', udtName: 'timestamptz', type: 'timestamp(3) with time zone' }, 'timestamp with time zone'],
    ['interval fields', { name: 'c', udtName: 'interval', type: 'interval year to month' }, 'interval'],
    ['integer', { name: 'c', udtName: 'int4' }, 'integer'],
    ['arrays are ARRAY', { name: 'c', udtName: '_text' }, 'ARRAY'],
    ['enums are their type name', { name: 'c', udtName: 'mood', udtSchema: 'public', type: 'mood', enumValues: ['a'] }, 'mood'],
    ['extension types are their type name', { name: 'c', udtName: 'vector', udtSchema: 'public', type: 'vector(3)' }, 'vector'],
    ['domains are their type name', { name: 'c', udtName: 'email', udtSchema: 'app', type: 'app.email' }, 'email'],
  ];
  it.each(cases)('%s', (_n, spec, expected) => expect(dataType(col(spec))).toBe(expected));
});

describe('tableMetadata', () => {
  const users = table({ name: 'users', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'uuid' }] });
  const posts = table({
    name: 'posts', primaryKey: ['id'], rlsEnabled: true,
    uniqueKeys: [['id'], ['slug'], ['author', 'title']],
    indexes: [
      { name: 'posts_slug_key', columns: ['slug'], unique: true, primary: false },
      { name: 'posts_pkey', columns: ['id'], unique: true, primary: true },
    ],
    columns: [
      { name: 'id', udtName: 'int4', default: "nextval('posts_id_seq'::regclass)" },
      { name: 'slug', udtName: 'varchar', type: 'character varying(80)', maxLength: 80 },
      { name: 'author', udtName: 'uuid', nullable: true, comment: 'who wrote it' },
      { name: 'title', udtName: 'text' },
    ],
  });
  const s = snapshot({ tables: [users, posts], relationships: fk('posts_author_fkey', ['public', 'posts', ['author']], ['public', 'users', ['id']]) });

  it('has the documented shape (docs/types.md)', () => {
    const m = tableMetadata(s, posts);
    expect(m).toEqual({
      schema: 'public', name: 'posts', type: 'table', primary_key: ['id'], rls_enabled: true,
      columns: [
        { name: 'id', data_type: 'integer', is_nullable: false, default_value: "nextval('posts_id_seq'::regclass)", is_primary_key: true, is_foreign_key: false, is_unique: true, max_length: null, position: 1 },
        { name: 'slug', data_type: 'character varying', is_nullable: false, default_value: null, is_primary_key: false, is_foreign_key: false, is_unique: true, max_length: 80, position: 2 },
        { name: 'author', data_type: 'uuid', is_nullable: true, default_value: null, is_primary_key: false, is_foreign_key: true, is_unique: false, max_length: null, position: 3, description: 'who wrote it' },
        { name: 'title', data_type: 'text', is_nullable: false, default_value: null, is_primary_key: false, is_foreign_key: false, is_unique: false, max_length: null, position: 4 },
      ],
      foreign_keys: [{ name: 'posts_author_fkey', columns: ['author'], referenced_schema: 'public', referenced_table: 'users', referenced_columns: ['id'], is_one_to_one: false }],
      indexes: [
        { name: 'posts_pkey', columns: ['id'], is_unique: true, is_primary: true },
        { name: 'posts_slug_key', columns: ['slug'], is_unique: true, is_primary: false },
      ],
    });
  });

  it('the referenced side lists no foreign key', () => {
    expect(tableMetadata(s, users).foreign_keys).toEqual([]);
    expect(tableMetadata(s, users).columns[0]!.is_foreign_key).toBe(false);
  });

  it('views and materialized views keep their type; foreign and partitioned tables are tables', () => {
    for (const kind of ['view', 'materialized_view'] as const) expect(tableMetadata(s, table({ name: 'v', kind, columns: [] })).type).toBe(kind);
    for (const kind of ['foreign_table', 'partitioned_table'] as const) expect(tableMetadata(s, table({ name: 'v', kind, columns: [] })).type).toBe('table');
  });
});

describe('listing and paths', () => {
  it('public tables have one path segment, others two, names URL-encoded', () => {
    expect(restPath(table({ name: 'items', columns: [] }))).toBe('/api/v1/tables/items');
    expect(restPath(table({ schema: 'api', name: 'items', columns: [] }))).toBe('/api/v1/tables/api/items');
    expect(restPath(table({ name: 'my table/x', columns: [] }))).toBe('/api/v1/tables/my%20table%2Fx');
  });

  it('tableListing has the §5.1 shape', () => {
    const t = table({ schema: 'api', name: 'q', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'int4' }] });
    const row = tableListing(snapshot({ tables: [t] }), t);
    expect(Object.keys(row).sort()).toEqual(['columns', 'name', 'path', 'primary_key', 'rls_enabled', 'schema', 'type']);
    expect(row).toMatchObject({ schema: 'api', name: 'q', type: 'table', path: '/api/v1/tables/api/q', primary_key: ['id'], rls_enabled: false });
  });

  it('tablesIn keeps only the asked schemas, sorted by schema then name', () => {
    const s = snapshot({ tables: [
      table({ schema: 'public', name: 'b', columns: [] }), table({ schema: 'api', name: 'z', columns: [] }),
      table({ schema: 'public', name: 'a', columns: [] }), table({ schema: 'other', name: 'x', columns: [] }),
    ] });
    expect(tablesIn(s, ['public', 'api']).map((t) => `${t.schema}.${t.name}`)).toEqual(['api.z', 'public.a', 'public.b']);
  });
});

describe('foreignKeysOf (one-to-one holder inference)', () => {
  const users = table({ name: 'users', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'uuid' }] });
  const profiles = table({ name: 'profiles', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'uuid' }, { name: 'user_id', udtName: 'uuid' }] });

  it('a default-named one-to-one FK is held by the table its name starts with', () => {
    const s = snapshot({ tables: [users, profiles], relationships: fk('profiles_id_fkey', ['public', 'profiles', ['id']], ['public', 'users', ['id']], true) });
    expect(foreignKeysOf(s, profiles).map((f) => f.constraint)).toEqual(['profiles_id_fkey']);
    expect(foreignKeysOf(s, users)).toEqual([]);
  });

  it('a custom-named one-to-one FK is held by the side whose columns are not its primary key', () => {
    const s = snapshot({ tables: [users, profiles], relationships: fk('one_profile', ['public', 'profiles', ['user_id']], ['public', 'users', ['id']], true) });
    expect(foreignKeysOf(s, profiles)).toMatchObject([{ constraint: 'one_profile', columns: ['user_id'], refTable: 'users', refColumns: ['id'], oneToOne: true }]);
    expect(foreignKeysOf(s, users)).toEqual([]);
  });

  it('a self-referencing one-to-one FK is listed once, from the non-key column', () => {
    const emp = table({ name: 'emp', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'int4' }, { name: 'mentor', udtName: 'int4' }] });
    const s = snapshot({ tables: [emp], relationships: fk('mentor_link', ['public', 'emp', ['mentor']], ['public', 'emp', ['id']], true) });
    expect(foreignKeysOf(s, emp)).toMatchObject([{ columns: ['mentor'], refColumns: ['id'] }]);
  });

  it('a table\'s own foreignKeys list wins over inference (a PK-to-PK one-to-one with a custom name)', () => {
    const own = { constraint: 'link', schema: 'public', table: 'users', columns: ['id'], refSchema: 'public', refTable: 'profiles', refColumns: ['id'] };
    const u = table({ ...users, columns: [{ name: 'id', udtName: 'uuid' }], foreignKeys: [own] });
    const p = table({ ...profiles, columns: [{ name: 'id', udtName: 'uuid' }], foreignKeys: [] });
    const s = snapshot({ tables: [u, p], relationships: fk('link', ['public', 'users', ['id']], ['public', 'profiles', ['id']], true) });
    expect(foreignKeysOf(s, u)).toEqual([{ ...own, oneToOne: true }]);
    expect(foreignKeysOf(s, p)).toEqual([]);
  });
});
