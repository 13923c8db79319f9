// Type generation on hand-built snapshots: every type mapping, nullability and
// optionality, enums, functions and overloads, views, odd names, determinism; and the
// output compiled with the TypeScript compiler in strict mode together with a usage file
// whose `@ts-expect-error` lines must really be errors.
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { col, fk, fn, snapshot, table, type ColumnSpec } from './snapshot-fixture.ts';
import { generateTypes, type TypegenOptions } from './typegen.ts';

const ALL: TypegenOptions = { schemas: ['public'], includeFunctions: true, includeViews: true };
const gen = (s: ReturnType<typeof snapshot>, o: Partial<TypegenOptions> = {}) => generateTypes(s, { ...ALL, ...o });

/** Compile `files` (name → source) in memory with --strict; returns the diagnostics as text. */
function compile(files: Record<string, string>): string[] {
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler, allowImportingTsExtensions: true, types: [], lib: ['lib.es2022.d.ts'],
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  const getSource = host.getSourceFile.bind(host);
  const virtual = (f: string) => Object.keys(files).find((k) => f === `/virtual/${k}`);
  host.fileExists = (f) => virtual(f) !== undefined || ts.sys.fileExists(f);
  host.directoryExists = (d) => d === '/virtual' || ts.sys.directoryExists(d);
  host.readFile = (f) => { const v = virtual(f); return v !== undefined ? files[v] : read(f); };
  host.getSourceFile = (f, lang, ...rest) => {
    const v = virtual(f);
    return v !== undefined ? ts.createSourceFile(f, files[v]!, lang) : getSource(f, lang, ...rest);
  };
  const program = ts.createProgram(Object.keys(files).map((k) => `/virtual/${k}`), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

/** The members of `Database[schema].Tables[table].<part>` as printed (one per line, trimmed). */
function part(source: string, tableName: string, partName: string): string[] {
  const start = source.indexOf(`\n      ${tableName}: {\n`);
  expect(start, `table ${tableName} in output`).toBeGreaterThan(-1);
  const from = source.indexOf(`${partName}: {`, start);
  const end = source.indexOf('\n        }', from);
  return source.slice(from, end).split('\n').slice(1).map((l) => l.trim());
}

const oneColumn = (spec: ColumnSpec) => snapshot({ tables: [table({ name: 't', columns: [spec] })] });
const rowType = (spec: ColumnSpec) => part(gen(oneColumn(spec)), 't', 'Row')[0];

describe('type mapping', () => {
  const cases: [string, ColumnSpec, string][] = [
    ['bool', { name: 'c', udtName: 'bool' }, 'c: boolean'],
    ['int2', { name: 'c', udtName: 'int2' }, 'c: number'],
    ['int4', { name: 'c', udtName: 'int4' }, 'c: number'],
    ['int8', { name: 'c', udtName: 'int8' }, 'c: number'],
    ['float4', { name: 'c', udtName: 'float4' }, 'c: number'],
    ['float8', { name: 'c', udtName: 'float8' }, 'c: number'],
    ['numeric', { name: 'c', udtName: 'numeric' }, 'c: number'],
    ['text', { name: 'c', udtName: 'text' }, 'c: string'],
    ['varchar', { name: 'c', udtName: 'varchar' }, 'c: string'],
    ['bpchar', { name: 'c', udtName: 'bpchar' }, 'c: string'],
    ['citext (extension, string category)', { name: 'c', udtName: 'citext', udtSchema: 'public', category: 'S' }, 'c: string'],
    ['uuid', { name: 'c', udtName: 'uuid' }, 'c: string'],
    ['date', { name: 'c', udtName: 'date' }, 'c: string'],
    ['timestamptz', { name: 'c', udtName: 'timestamptz' }, 'c: string'],
    ['interval', { name: 'c', udtName: 'interval' }, 'c: string'],
    ['bytea', { name: 'c', udtName: 'bytea' }, 'c: string'],
    ['inet', { name: 'c', udtName: 'inet' }, 'c: string'],
    ['cidr', { name: 'c', udtName: 'cidr' }, 'c: string'],
    ['int4range', { name: 'c', udtName: 'int4range' }, 'c: string'],
    ['tstzrange', { name: 'c', udtName: 'tstzrange' }, 'c: string'],
    ['point', { name: 'c', udtName: 'point' }, 'c: string'],
    ['json', { name: 'c', udtName: 'json' }, 'c: Json'],
    ['jsonb', { name: 'c', udtName: 'jsonb' }, 'c: Json'],
    ['vector', { name: 'c', udtName: 'vector', udtSchema: 'public' }, 'c: number[]'],
    ['text[]', { name: 'c', udtName: '_text' }, 'c: string[]'],
    ['int8[]', { name: 'c', udtName: '_int8' }, 'c: number[]'],
    ['jsonb[]', { name: 'c', udtName: '_jsonb' }, 'c: Json[]'],
    ['bool[]', { name: 'c', udtName: '_bool' }, 'c: boolean[]'],
    ['domain over a number (category N)', { name: 'c', udtName: 'positive_int', udtSchema: 'public', category: 'N' }, 'c: number'],
    ['unknown user type', { name: 'c', udtName: 'mystery', udtSchema: 'public', category: 'U' }, 'c: unknown'],
  ];
  it.each(cases)('%s', (_name, spec, expected) => {
    expect(rowType(spec)).toBe(expected);
  });

  it('an enum of a generated schema is a reference into Enums; its array a reference array', () => {
    const s = snapshot({
      enums: [{ schema: 'public', name: 'mood', values: ['happy', 'sad'] }],
      tables: [table({ name: 't', columns: [
        { name: 'm', udtName: 'mood', udtSchema: 'public', enumValues: ['happy', 'sad'] },
        { name: 'ms', udtName: '_mood', udtSchema: 'public', enumValues: ['happy', 'sad'] },
      ] })],
    });
    const out = gen(s);
    expect(part(out, 't', 'Row')).toEqual(['m: Database["public"]["Enums"]["mood"]', 'ms: Database["public"]["Enums"]["mood"][]']);
    expect(out).toContain('Enums: {\n      mood: "happy" | "sad"\n    }');
    expect(out).toContain('mood: ["happy", "sad"],');
  });

  it('an enum from a schema that is not generated is inlined as its labels', () => {
    const s = snapshot({
      schemas: ['public', 'other'],
      enums: [{ schema: 'other', name: 'level', values: ['low', 'high'] }],
      tables: [table({ name: 't', columns: [{ name: 'l', udtName: 'level', udtSchema: 'other', enumValues: ['low', 'high'], nullable: true }] })],
    });
    expect(part(gen(s), 't', 'Row')).toEqual(['l: "low" | "high" | null']);
  });

  it('an array of an inlined enum is parenthesised', () => {
    const s = snapshot({
      schemas: ['public', 'other'],
      enums: [{ schema: 'other', name: 'level', values: ['low', 'high'] }],
      tables: [table({ name: 't', columns: [{ name: 'l', udtName: '_level', udtSchema: 'other', enumValues: ['low', 'high'] }] })],
    });
    expect(part(gen(s), 't', 'Row')).toEqual(['l: ("low" | "high")[]']);
  });

  it('a column whose type is a generated table\'s row type refers to that Row', () => {
    const s = snapshot({ tables: [
      table({ name: 'a', columns: [{ name: 'id', udtName: 'int4' }] }),
      table({ name: 'b', columns: [{ name: 'snap', udtName: 'a', udtSchema: 'public', category: 'C', nullable: true }] }),
    ] });
    expect(part(gen(s), 'b', 'Row')).toEqual(['snap: Database["public"]["Tables"]["a"]["Row"] | null']);
  });
});

describe('Row, Insert and Update', () => {
  const s = snapshot({ tables: [table({ name: 'items', primaryKey: ['id'], columns: [
    { name: 'id', udtName: 'int8', identity: 'always' },
    { name: 'seq', udtName: 'int4', identity: 'by_default' },
    { name: 'name', udtName: 'text' },
    { name: 'note', udtName: 'text', nullable: true },
    { name: 'created_at', udtName: 'timestamptz', default: 'now()' },
    { name: 'total', udtName: 'numeric', generated: true, nullable: true },
  ] })] });
  const out = gen(s);

  it('Row: nullable columns are T | null, sorted by name', () => {
    expect(part(out, 'items', 'Row')).toEqual(['created_at: string', 'id: number', 'name: string', 'note: string | null', 'seq: number', 'total: number | null']);
  });

  it('Insert: defaulted, nullable and by-default identity columns optional; generated and always-identity columns never', () => {
    expect(part(out, 'items', 'Insert')).toEqual(['created_at?: string', 'id?: never', 'name: string', 'note?: string | null', 'seq?: number', 'total?: never']);
  });

  it('Update: every column optional; generated and always-identity columns never', () => {
    expect(part(out, 'items', 'Update')).toEqual(['created_at?: string', 'id?: never', 'name?: string', 'note?: string | null', 'seq?: number', 'total?: never']);
  });

  it('a table with no foreign keys has empty Relationships', () => {
    expect(out).toContain('Relationships: []');
  });
});

describe('relationships', () => {
  it('lists the foreign keys a table holds, same-schema only, with one-to-one detection', () => {
    const s = snapshot({
      schemas: ['public', 'other'],
      tables: [
        table({ name: 'users', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'uuid' }] }),
        table({ name: 'profiles', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'uuid' }] }),
        table({ name: 'posts', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'int4' }, { name: 'author', udtName: 'uuid' }, { name: 'org', udtName: 'int4' }] }),
        table({ schema: 'other', name: 'orgs', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'int4' }] }),
      ],
      relationships: [
        ...fk('posts_author_fkey', ['public', 'posts', ['author']], ['public', 'users', ['id']]),
        ...fk('profiles_id_fkey', ['public', 'profiles', ['id']], ['public', 'users', ['id']], true),
        ...fk('posts_org_fkey', ['public', 'posts', ['org']], ['other', 'orgs', ['id']]),
      ],
    });
    const out = gen(s);
    const posts = out.slice(out.indexOf('      posts: {'), out.indexOf('      profiles: {'));
    expect(posts).toContain('foreignKeyName: "posts_author_fkey"\n            columns: ["author"]\n            isOneToOne: false\n            referencedRelation: "users"\n            referencedColumns: ["id"]');
    expect(posts).not.toContain('posts_org_fkey');
    const profiles = out.slice(out.indexOf('      profiles: {'), out.indexOf('      users: {'));
    expect(profiles).toContain('foreignKeyName: "profiles_id_fkey"');
    expect(profiles).toContain('isOneToOne: true');
    const users = out.slice(out.indexOf('      users: {'));
    expect(users.slice(0, users.indexOf('Relationships'))).not.toContain('fkey');
    expect(users).toMatch(/Relationships: \[\]/);
  });
});

describe('views', () => {
  const s = snapshot({ tables: [
    table({ name: 'base', columns: [{ name: 'id', udtName: 'int4' }] }),
    table({ name: 'v_upd', kind: 'view', insertable: true, updatable: true, columns: [{ name: 'id', udtName: 'int4', nullable: true }] }),
    table({ name: 'v_ro', kind: 'view', insertable: false, updatable: false, columns: [{ name: 'id', udtName: 'int4', nullable: true }] }),
    table({ name: 'mv', kind: 'materialized_view', columns: [{ name: 'n', udtName: 'int8', nullable: true }] }),
  ] });

  it('lists views and materialized views under Views; updatable views also get Insert and Update', () => {
    const out = gen(s);
    const views = out.slice(out.indexOf('    Views: {'), out.indexOf('    Functions: {'));
    expect(views).toContain('mv: {\n        Row: {\n          n: number | null\n        }\n        Relationships: []');
    expect(views).toContain('v_ro: {\n        Row: {\n          id: number | null\n        }\n        Relationships: []');
    expect(views).toContain('v_upd: {\n        Row: {\n          id: number | null\n        }\n        Insert: {\n          id?: number | null\n        }\n        Update: {\n          id?: number | null\n        }');
    const tables = out.slice(out.indexOf('    Tables: {'), out.indexOf('    Views: {'));
    expect(tables).not.toContain('v_upd');
  });

  it('include_views=false leaves Views empty', () => {
    const out = gen(s, { includeViews: false });
    expect(out).toContain('Views: {\n      [_ in never]: never\n    }');
    expect(out).not.toContain('v_upd');
  });
});

describe('functions', () => {
  const arg = (name: string, udtName: string, hasDefault = false) => ({ name, type: udtName, udtName, mode: 'in' as const, hasDefault });
  const items = table({ name: 'items', columns: [{ name: 'id', udtName: 'int4' }] });
  const s = snapshot({
    enums: [{ schema: 'public', name: 'mood', values: ['a', 'b'] }],
    tables: [items],
    functions: [
      fn({ name: 'add', args: [arg('a', 'int4'), arg('b', 'int4', true)], returnTypeName: 'int4' }),
      fn({ name: 'add', args: [arg('a', 'text')], returnTypeName: 'text' }),
      fn({ name: 'noop' }),
      fn({ name: 'all_items', returnsSet: true, returnsScalar: false, returnTypeName: 'items', returnTypeSchema: 'public', returnsRelation: { schema: 'public', name: 'items' } }),
      fn({ name: 'one_item', returnsScalar: false, returnTypeName: 'items', returnTypeSchema: 'public', returnsRelation: { schema: 'public', name: 'items' } }),
      fn({ name: 'stats', returnsSet: true, returnsScalar: false, returnTypeName: 'record', returnColumns: [{ name: 'n', type: 'bigint', udtName: 'int8' }, { name: 'label', type: 'text', udtName: 'text' }] }),
      fn({ name: 'moods', returnsSet: true, returnTypeName: 'mood', returnTypeSchema: 'public' }),
      fn({ name: 'echo_json', args: [arg('', 'jsonb')], returnTypeName: 'jsonb' }),
      fn({ name: 'two_unnamed', args: [arg('', 'int4'), arg('', 'int4')], returnTypeName: 'int4' }),
      fn({ name: 'tg', returnTypeName: 'trigger' }),
      fn({ name: 'tags', args: [arg('t', '_text')], returnTypeName: '_text' }),
      fn({ name: 'by_mood', args: [arg('m', 'mood')], returnTypeName: 'bool' }),
      fn({ schema: 'other', name: 'elsewhere' }),
    ],
  });
  const out = gen(s);
  const fns = out.slice(out.indexOf('    Functions: {'), out.indexOf('    Enums: {'));

  it('overloads are a union of {Args; Returns}; defaulted args are optional', () => {
    expect(fns).toContain('add:\n        | {\n            Args: { a: number; b?: number }\n            Returns: number\n          }\n        | {\n            Args: { a: string }\n            Returns: string\n          }');
  });
  it('no arguments: Record<PropertyKey, never>; void returns undefined', () => {
    expect(fns).toContain('noop: {\n        Args: Record<PropertyKey, never>\n        Returns: undefined\n      }');
  });
  it('SETOF a table returns that table\'s Row[]; a single row returns Row', () => {
    expect(fns).toContain('Returns: Database["public"]["Tables"]["items"]["Row"][]');
    expect(fns).toContain('one_item: {\n        Args: Record<PropertyKey, never>\n        Returns: Database["public"]["Tables"]["items"]["Row"]\n');
  });
  it('RETURNS TABLE gives an inline row; SETOF an enum an array of the enum', () => {
    expect(fns).toContain('Returns: {\n          n: number\n          label: string\n        }[]');
    expect(fns).toContain('Returns: Database["public"]["Enums"]["mood"][]');
  });
  it('one unnamed argument is keyed ""; several unnamed arguments are not callable and left out', () => {
    expect(fns).toContain('echo_json: {\n        Args: { "": Json }\n        Returns: Json');
    expect(fns).not.toContain('two_unnamed');
  });
  it('trigger functions and other schemas\' functions are left out', () => {
    expect(fns).not.toContain('tg:');
    expect(fns).not.toContain('elsewhere');
  });
  it('array and enum arguments', () => {
    expect(fns).toContain('Args: { t: string[] }\n        Returns: string[]');
    expect(fns).toContain('Args: { m: Database["public"]["Enums"]["mood"] }\n        Returns: boolean');
  });
  it('include_functions=false leaves Functions empty', () => {
    expect(gen(s, { includeFunctions: false })).toContain('Functions: {\n      [_ in never]: never\n    }');
  });
  it('functions are sorted by name', () => {
    const names = [...fns.matchAll(/^ {6}(\w+):/gm)].map((m) => m[1]);
    expect(names).toEqual([...names].sort());
    expect(names.length).toBeGreaterThan(5);
  });
});

describe('names, empty schemas, determinism', () => {
  it('quotes names that are not identifiers (quotes, spaces, unicode, leading digit) and keeps plain ones bare', () => {
    const s = snapshot({
      enums: [{ schema: 'public', name: 'odd enum', values: ['with "quote"', 'new\nline', ''] }],
      tables: [table({ name: 'my table', columns: [
        { name: 'say "hi"', udtName: 'text' }, { name: 'ünïcode', udtName: 'text' }, { name: '1st', udtName: 'text' }, { name: '$ok_1', udtName: 'text' },
      ] })],
    });
    const out = gen(s);
    expect(out).toContain('"my table": {');
    expect(part(out, '"my table"', 'Row')).toEqual(['$ok_1: string', '"1st": string', '"say \\"hi\\"": string', '"ünïcode": string']);
    expect(out).toContain('"odd enum": "with \\"quote\\"" | "new\\nline" | ""');
    expect(compile({ 'types.ts': out })).toEqual([]);
  });

  it('an empty schema gives never-sections that still compile with the helpers', () => {
    const out = gen(snapshot());
    expect(out).toContain('Tables: {\n      [_ in never]: never\n    }');
    expect(out).toContain('CompositeTypes: {\n      [_ in never]: never\n    }');
    expect(compile({ 'types.ts': out })).toEqual([]);
  });

  it('is deterministic: the same bytes whatever the snapshot\'s map order, with no timestamp', () => {
    const tables = [
      table({ name: 'b', columns: [{ name: 'y', udtName: 'text' }, { name: 'x', udtName: 'int4' }] }),
      table({ name: 'a', columns: [{ name: 'z', udtName: 'text' }] }),
    ];
    const one = gen(snapshot({ tables }));
    const two = gen(snapshot({ tables: [...tables].reverse() }));
    expect(one).toBe(two);
    expect(one.indexOf('      a: {')).toBeLessThan(one.indexOf('      b: {'));
    expect(one).not.toMatch(/\d{4}-\d{2}-\d{2}|Generated at/);
  });

  it('several schemas: sorted, helpers default to public, other schemas reachable with { schema }', () => {
    const s = snapshot({
      schemas: ['public', 'api'],
      enums: [{ schema: 'api', name: 'level', values: ['low', 'high'] }],
      tables: [
        table({ name: 'p', columns: [{ name: 'l', udtName: 'level', udtSchema: 'api', enumValues: ['low', 'high'] }] }),
        table({ schema: 'api', name: 'q', columns: [{ name: 'id', udtName: 'int4' }] }),
      ],
    });
    const out = gen(s, { schemas: ['public', 'api'] });
    expect(out.indexOf('  api: {')).toBeLessThan(out.indexOf('  public: {'));
    expect(out).toContain('type DefaultSchema = Database["public"]');
    expect(part(out, 'p', 'Row')).toEqual(['l: Database["api"]["Enums"]["level"]']);
    const usage = `import type { Tables, Enums } from './types.ts';
const q: Tables<{ schema: 'api' }, 'q'> = { id: 1 };
const p: Tables<'p'> = { l: 'low' };
const l: Enums<{ schema: 'api' }, 'level'> = 'high';
// @ts-expect-error q is not in public
type Missing = Tables<'q'>;
export type { Missing };
export { q, p, l };
`;
    expect(compile({ 'types.ts': out, 'use.ts': usage })).toEqual([]);
  });

  it('a non-public schema alone becomes the helpers\' default', () => {
    const s = snapshot({ schemas: ['api'], tables: [table({ schema: 'api', name: 'q', columns: [{ name: 'id', udtName: 'int4' }] })] });
    const out = gen(s, { schemas: ['api'] });
    expect(out).toContain('type DefaultSchema = Database["api"]');
    expect(compile({ 'types.ts': out, 'use.ts': `import type { Tables } from './types.ts';\nexport const q: Tables<'q'> = { id: 1 };\n` })).toEqual([]);
  });
});

describe('the output compiles with tsc --strict and types what it should', () => {
  it('a realistic schema with a usage file whose @ts-expect-error lines are real errors', () => {
    const mood = ['happy', 'sad'];
    const s = snapshot({
      enums: [{ schema: 'public', name: 'mood', values: mood }],
      tables: [
        table({ name: 'users', primaryKey: ['id'], columns: [{ name: 'id', udtName: 'uuid', default: 'gen_random_uuid()' }, { name: 'email', udtName: 'text' }] }),
        table({ name: 'items', primaryKey: ['id'], columns: [
          { name: 'id', udtName: 'int8', identity: 'always' },
          { name: 'owner', udtName: 'uuid', nullable: true },
          { name: 'name', udtName: 'text' },
          { name: 'tags', udtName: '_text', default: "'{}'" },
          { name: 'meta', udtName: 'jsonb', nullable: true },
          { name: 'mood', udtName: 'mood', udtSchema: 'public', enumValues: mood, default: "'happy'" },
          { name: 'price', udtName: 'numeric' },
          { name: 'total', udtName: 'numeric', generated: true, nullable: true },
          { name: 'emb', udtName: 'vector', udtSchema: 'public', nullable: true },
        ] }),
        table({ name: 'item_names', kind: 'view', insertable: true, updatable: true, columns: [{ name: 'id', udtName: 'int8', nullable: true }, { name: 'name', udtName: 'text', nullable: true }] }),
      ],
      relationships: fk('items_owner_fkey', ['public', 'items', ['owner']], ['public', 'users', ['id']]),
      functions: [
        fn({ name: 'items_by_mood', args: [{ name: 'm', type: 'mood', udtName: 'mood', mode: 'in', hasDefault: false }], returnsSet: true, returnsScalar: false, returnTypeName: 'items', returnTypeSchema: 'public', returnsRelation: { schema: 'public', name: 'items' } }),
        fn({ name: 'add', args: [{ name: 'a', type: 'integer', udtName: 'int4', mode: 'in', hasDefault: false }, { name: 'b', type: 'integer', udtName: 'int4', mode: 'in', hasDefault: false }], returnTypeName: 'int4' }),
      ],
    });
    const usage = `import type { Database, Json, Tables, TablesInsert, TablesUpdate, Enums } from './types.ts';
import { Constants } from './types.ts';
type Items = Database['public']['Tables']['items'];
const row: Items['Row'] = { id: 1, owner: null, name: 'a', tags: [], meta: { k: [1, 'x', null, { n: true }] }, mood: 'sad', price: 9.5, total: null, emb: [0.1, 0.2] };
const ins: TablesInsert<'items'> = { name: 'a', price: 1 };
const upd: TablesUpdate<'items'> = { mood: 'happy', meta: null };
const view: Tables<'item_names'> = { id: null, name: 'x' };
const m: Enums<'mood'> = Constants.public.Enums.mood[0];
const j: Json = row.meta;
type Fns = Database['public']['Functions'];
const found: Fns['items_by_mood']['Returns'] = [row];
const args: Fns['add']['Args'] = { a: 1, b: 2 };
const rel: Items['Relationships'][0]['referencedRelation'] = 'users';
// @ts-expect-error wrong type for a column
const wrongType: TablesInsert<'items'> = { name: 1, price: 1 };
// @ts-expect-error missing required column (price)
const missing: TablesInsert<'items'> = { name: 'a' };
// @ts-expect-error writing a generated column
const gen: TablesInsert<'items'> = { name: 'a', price: 1, total: 2 };
// @ts-expect-error writing an always-identity column
const ident: TablesUpdate<'items'> = { id: 5 };
// @ts-expect-error not an enum label
const badMood: Enums<'mood'> = 'angry';
// @ts-expect-error non-null column cannot be null in Row
const nullName: Items['Row']['name'] = null;
export { row, ins, upd, view, m, j, found, args, rel, wrongType, missing, gen, ident, badMood, nullName };
`;
    expect(compile({ 'types.ts': gen(s), 'use.ts': usage })).toEqual([]);
  });

  it('fails to compile when a usage is wrong (the check can fail)', () => {
    const s = snapshot({ tables: [table({ name: 't', columns: [{ name: 'n', udtName: 'int4' }] })] });
    const diagnostics = compile({ 'types.ts': gen(s), 'use.ts': `import type { Tables } from './types.ts';\nexport const t: Tables<'t'> = { n: 'x' };\n` });
    expect(diagnostics.join('\n')).toMatch(/not assignable to type 'number'/);
  });
});

describe('column fixture sanity', () => {
  it('col() infers array and enum categories', () => {
    expect(col({ name: 'a', udtName: '_int4' })).toMatchObject({ category: 'A', elementType: 'int4' });
    expect(col({ name: 'a', udtName: 'mood', enumValues: ['x'] })).toMatchObject({ category: 'E' });
  });
});
