// Relationship inference from hand-made tables and foreign keys: both directions, one-to-one,
// self references, composite keys, junctions (and tables that only look like one), views.
import { describe, expect, it } from 'vitest';
import { buildRelationships, type ViewColumnSource } from './relationships.ts';
import type { ForeignKey, Relationship, RelationKind, Table } from './types.ts';

function table(name: string, columns: string[], keys: { pk?: string[]; unique?: string[][]; kind?: RelationKind } = {}): Table {
  const cols = columns.map((c, i) => ({
    name: c, position: i + 1, type: 'integer', udtName: 'int4', udtSchema: 'pg_catalog', category: 'N', elementType: null,
    nullable: true, default: null, generated: false, identity: null, maxLength: null, enumValues: null, comment: null,
  }));
  const pk = keys.pk ?? [];
  return {
    schema: 'public', name, kind: keys.kind ?? 'table', columns: cols, columnMap: new Map(cols.map((c) => [c.name, c])),
    primaryKey: pk, uniqueKeys: [...(pk.length ? [pk] : []), ...(keys.unique ?? [])], indexes: [],
    insertable: true, updatable: true, deletable: true, rlsEnabled: false, estimatedRows: -1, comment: null,
  };
}

const fk = (constraint: string, t: string, columns: string[], refTable: string, refColumns: string[]): ForeignKey =>
  ({ constraint, schema: 'public', table: t, columns, refSchema: 'public', refTable, refColumns });

const tablesOf = (...ts: Table[]) => new Map(ts.map((t) => [`${t.schema}.${t.name}`, t]));

/** Compact form for assertions: kind, constraint, source(cols) → target(cols). */
const brief = (rels: Relationship[] | undefined) =>
  (rels ?? []).map((r) => `${r.kind} ${r.constraint} ${r.source.table}(${r.source.columns}) -> ${r.target.table}(${r.target.columns})`);

describe('buildRelationships', () => {
  it('gives many_to_one from the FK side and one_to_many from the referenced side', () => {
    const rels = buildRelationships(
      tablesOf(table('users', ['id'], { pk: ['id'] }), table('posts', ['id', 'author_id'], { pk: ['id'] })),
      [fk('posts_author_fkey', 'posts', ['author_id'], 'users', ['id'])],
    );
    expect(brief(rels.get('public.posts'))).toEqual(['many_to_one posts_author_fkey posts(author_id) -> users(id)']);
    expect(brief(rels.get('public.users'))).toEqual(['one_to_many posts_author_fkey users(id) -> posts(author_id)']);
  });

  it('makes both directions one_to_one when the FK columns are a unique key (PK or UNIQUE)', () => {
    const rels = buildRelationships(
      tablesOf(
        table('users', ['id'], { pk: ['id'] }),
        table('profiles', ['user_id'], { pk: ['user_id'] }),
        table('avatars', ['id', 'user_id'], { pk: ['id'], unique: [['user_id']] }),
      ),
      [fk('profiles_user_fkey', 'profiles', ['user_id'], 'users', ['id']), fk('avatars_user_fkey', 'avatars', ['user_id'], 'users', ['id'])],
    );
    expect(brief(rels.get('public.profiles'))).toEqual(['one_to_one profiles_user_fkey profiles(user_id) -> users(id)']);
    expect(brief(rels.get('public.avatars'))).toEqual(['one_to_one avatars_user_fkey avatars(user_id) -> users(id)']);
    expect(brief(rels.get('public.users'))).toEqual([
      'one_to_one profiles_user_fkey users(id) -> profiles(user_id)',
      'one_to_one avatars_user_fkey users(id) -> avatars(user_id)',
    ]);
  });

  it('keeps both directions of a self reference on the same table', () => {
    const rels = buildRelationships(tablesOf(table('employees', ['id', 'manager_id'], { pk: ['id'] })), [fk('mgr_fkey', 'employees', ['manager_id'], 'employees', ['id'])]);
    expect(brief(rels.get('public.employees'))).toEqual([
      'many_to_one mgr_fkey employees(manager_id) -> employees(id)',
      'one_to_many mgr_fkey employees(id) -> employees(manager_id)',
    ]);
  });

  it('keeps composite FK columns paired in order', () => {
    const rels = buildRelationships(
      tablesOf(table('regions', ['country', 'code'], { pk: ['country', 'code'] }), table('cities', ['id', 'r_code', 'r_country'], { pk: ['id'] })),
      [fk('cities_region_fkey', 'cities', ['r_country', 'r_code'], 'regions', ['country', 'code'])],
    );
    expect(brief(rels.get('public.cities'))).toEqual(['many_to_one cities_region_fkey cities(r_country,r_code) -> regions(country,code)']);
  });

  it('adds many_to_many both ways through a junction whose FK columns lie in one key', () => {
    const rels = buildRelationships(
      tablesOf(
        table('posts', ['id'], { pk: ['id'] }),
        table('tags', ['id'], { pk: ['id'] }),
        table('post_tags', ['post_id', 'tag_id'], { pk: ['post_id', 'tag_id'] }),
        table('likes', ['id', 'post_id', 'tag_id'], { pk: ['id'], unique: [['post_id', 'tag_id']] }),
      ),
      [
        fk('pt_post', 'post_tags', ['post_id'], 'posts', ['id']), fk('pt_tag', 'post_tags', ['tag_id'], 'tags', ['id']),
        fk('likes_post', 'likes', ['post_id'], 'posts', ['id']), fk('likes_tag', 'likes', ['tag_id'], 'tags', ['id']),
      ],
    );
    const m2m = (key: string) => rels.get(key)!.filter((r) => r.kind === 'many_to_many');
    expect(brief(m2m('public.posts'))).toEqual(['many_to_many post_tags posts(id) -> tags(id)', 'many_to_many likes posts(id) -> tags(id)']);
    expect(brief(m2m('public.tags'))).toEqual(['many_to_many post_tags tags(id) -> posts(id)', 'many_to_many likes tags(id) -> posts(id)']);
    expect(m2m('public.posts')[0]!.junction).toEqual({
      schema: 'public', table: 'post_tags', sourceColumns: ['post_id'], sourceConstraint: 'pt_post', targetColumns: ['tag_id'], targetConstraint: 'pt_tag',
    });
  });

  it('finds no junction when the two FKs are not within one key', () => {
    const rels = buildRelationships(
      tablesOf(
        table('users', ['id'], { pk: ['id'] }),
        table('teams', ['id'], { pk: ['id'] }),
        table('events', ['id', 'user_id', 'team_id'], { pk: ['id'] }), // FK columns in no key
        table('split', ['user_id', 'team_id'], { unique: [['user_id'], ['team_id']] }), // each in a different key
      ),
      [
        fk('ev_user', 'events', ['user_id'], 'users', ['id']), fk('ev_team', 'events', ['team_id'], 'teams', ['id']),
        fk('sp_user', 'split', ['user_id'], 'users', ['id']), fk('sp_team', 'split', ['team_id'], 'teams', ['id']),
      ],
    );
    for (const key of ['public.users', 'public.teams']) expect(rels.get(key)!.some((r) => r.kind === 'many_to_many')).toBe(false);
  });

  it('gives two FKs between the same tables two relationships told apart by constraint', () => {
    const rels = buildRelationships(
      tablesOf(table('users', ['id'], { pk: ['id'] }), table('messages', ['id', 'sender_id', 'receiver_id'], { pk: ['id'] })),
      [fk('msg_sender', 'messages', ['sender_id'], 'users', ['id']), fk('msg_receiver', 'messages', ['receiver_id'], 'users', ['id'])],
    );
    expect(brief(rels.get('public.users'))).toEqual([
      'one_to_many msg_sender users(id) -> messages(sender_id)',
      'one_to_many msg_receiver users(id) -> messages(receiver_id)',
    ]);
  });

  it('lets a junction relate a table to itself through two different FKs', () => {
    const rels = buildRelationships(
      tablesOf(table('users', ['id'], { pk: ['id'] }), table('follows', ['follower', 'followee'], { pk: ['follower', 'followee'] })),
      [fk('f_follower', 'follows', ['follower'], 'users', ['id']), fk('f_followee', 'follows', ['followee'], 'users', ['id'])],
    );
    const m2m = rels.get('public.users')!.filter((r) => r.kind === 'many_to_many');
    expect(m2m.map((r) => [r.junction!.sourceConstraint, r.junction!.targetConstraint])).toEqual([['f_follower', 'f_followee'], ['f_followee', 'f_follower']]);
  });

  it('carries FKs onto views that show the FK or referenced columns, never using a view as a junction', () => {
    const tables = tablesOf(
      table('users', ['id'], { pk: ['id'] }),
      table('posts', ['id', 'author_id'], { pk: ['id'] }),
      table('posts_v', ['pid', 'writer'], { pk: ['pid'], kind: 'view' }),
      table('users_v', ['uid'], { pk: ['uid'], kind: 'view' }),
      table('tags', ['id'], { pk: ['id'] }),
      table('pt', ['post_id', 'tag_id'], { pk: ['post_id', 'tag_id'] }),
      table('pt_v', ['p', 't'], { pk: ['p', 't'], kind: 'view' }),
    );
    const src = (view: string, column: string, t: string, sourceColumn: string): ViewColumnSource => ({ viewSchema: 'public', view, column, schema: 'public', table: t, sourceColumn });
    const rels = buildRelationships(tables, [
      fk('posts_author_fkey', 'posts', ['author_id'], 'users', ['id']),
      fk('pt_post', 'pt', ['post_id'], 'posts', ['id']), fk('pt_tag', 'pt', ['tag_id'], 'tags', ['id']),
    ], [
      src('posts_v', 'pid', 'posts', 'id'), src('posts_v', 'writer', 'posts', 'author_id'), src('users_v', 'uid', 'users', 'id'),
      src('pt_v', 'p', 'pt', 'post_id'), src('pt_v', 't', 'pt', 'tag_id'),
    ]);
    expect(brief(rels.get('public.posts_v')?.filter((r) => r.constraint === 'posts_author_fkey'))).toEqual([
      'many_to_one posts_author_fkey posts_v(writer) -> users(id)',
      'many_to_one posts_author_fkey posts_v(writer) -> users_v(uid)',
    ]);
    expect(brief(rels.get('public.users_v'))).toEqual([
      'one_to_many posts_author_fkey users_v(uid) -> posts(author_id)',
      'one_to_many posts_author_fkey users_v(uid) -> posts_v(writer)',
    ]);
    const tagsM2m = rels.get('public.tags')!.filter((r) => r.kind === 'many_to_many');
    expect(brief(tagsM2m)).toEqual(['many_to_many pt tags(id) -> posts(id)', 'many_to_many pt tags(id) -> posts_v(pid)']);
  });

  it('skips FKs whose tables are unknown (e.g. partitions)', () => {
    const rels = buildRelationships(tablesOf(table('users', ['id'], { pk: ['id'] })), [fk('x', 'part_1', ['user_id'], 'users', ['id'])]);
    expect(rels.size).toBe(0);
  });
});
