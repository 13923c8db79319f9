// DDL input checking and statement text: the type grammar (the only non-identifier text),
// defaults, names, request bodies (shape by zod, then the domain checks), and the
// statements they become.
import { describe, expect, it } from 'vitest';
import { failure } from '../../http/errors/failure-fixture.ts';
import { z } from 'zod';
import { parseAdminBody } from '../admin-body.ts';
import { snapshot } from '../snapshot-fixture.ts';
import { NewColumnBody, TableColumn } from './column.schema.ts';
import { columnDefault } from './column-default.ts';
import { columnType } from './column-type.ts';
import { columnDefinition, tableDefinition } from './definitions.ts';
import { identifier, userSchema } from './names.ts';
import { addColumnStatement, createSchemaStatements, createTableStatements, dropColumnStatement, dropTableStatement } from './statements.ts';


const snap = snapshot({ schemas: ['public', 'app'], enums: [{ schema: 'public', name: 'mood', values: ['a'] }, { schema: 'app', name: 'Level', values: ['x'] }] });
const type = (t: unknown, schema = 'public') => columnType(t, 'type', snap, schema);

describe('columnType', () => {
  it.each([
    ['text', 'text'], ['TEXT', 'text'], ['  integer ', 'integer'], ['bigint[]', 'bigint[]'], ['int4[][]', 'int4[][]'],
    ['varchar(20)', 'varchar(20)'], ['character varying(20)', 'character varying(20)'], ['numeric(10, 2)', 'numeric(10,2)'],
    ['numeric', 'numeric'], ['double   precision', 'double precision'], ['timestamp with time zone', 'timestamp with time zone'],
    ['timestamptz(3)', 'timestamptz(3)'], ['jsonb', 'jsonb'], ['uuid[]', 'uuid[]'], ['serial', 'serial'], ['boolean', 'boolean'],
    ['mood', '"public"."mood"'], ['mood[]', '"public"."mood"[]'], ['app.Level', '"app"."Level"'],
  ])('%j → %s', (given, sql) => expect(type(given)).toBe(sql));

  it('finds an enum in the table\'s schema first', () => {
    expect(type('Level', 'app')).toBe('"app"."Level"');
  });

  it.each([
    ['text; drop table users', 'injection attempt'], ['text)', 'stray parenthesis'], ['integer(5)', 'modifier on a type without one'],
    ['varchar(1,2)', 'two modifiers on varchar'], ['numeric(99999)', 'modifier too long'], ['serial[]', 'array of serial'],
    ['geometry', 'unknown type'], ['pg_catalog.text', 'qualified built-in'], ['public.nope', 'unknown enum'], ["text default 'x'", 'trailing clause'],
    ['text collate "C"', 'collation'], ['text[1]', 'sized array'],
  ])('refuses %j (%s) with VALIDATION_FAILED', (given) => {
    expect(failure(() => type(given))).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, details: { fields: { type: `Unsupported column type "${given.trim()}"` } } });
  });

  it.each([[1], [null], [''], [['text']]])('refuses %j with INVALID_REQUEST_BODY', (given) => {
    expect(failure(() => type(given)).code).toBe('INVALID_REQUEST_BODY');
  });
});

describe('columnDefault', () => {
  it.each([
    [undefined, undefined], [null, 'null'], [true, 'true'], [false, 'false'], [42, '42'], [-1.5, '-1.5'],
    ['now()', 'now()'], ['NOW()', 'now()'], ['gen_random_uuid()', 'gen_random_uuid()'], ['auth.uid()', 'auth.uid()'],
    ['hello', "'hello'"], ["it's", "'it''s'"], ["x'); drop table t; --", "'x''); drop table t; --'"], ['now() + 1', "'now() + 1'"],
  ])('%j → %s', (given, sql) => expect(columnDefault(given, 'defaultValue')).toBe(sql));

  it.each([[{}], [[1]], [Number.NaN], [Infinity]])('refuses %j', (given) => {
    expect(failure(() => columnDefault(given, 'defaultValue'))).toMatchObject({ code: 'INVALID_REQUEST_BODY', details: { field: 'defaultValue' } });
  });
});

describe('names', () => {
  it('accepts any storable name, including spaces, quotes and unicode', () => {
    for (const n of ['posts', 'My Table', 'say "hi"', 'ünï', 'x'.repeat(63)]) expect(identifier(n, 'name')).toBe(n);
  });
  it.each([
    ['', 'VALIDATION_FAILED'], [' padded', 'VALIDATION_FAILED'], ['nul\0', 'VALIDATION_FAILED'], ['x'.repeat(64), 'VALIDATION_FAILED'],
    ['é'.repeat(32), 'VALIDATION_FAILED'], [5, 'INVALID_REQUEST_BODY'], [undefined, 'MISSING_REQUIRED_FIELD'],
  ])('refuses %j with %s', (given, code) => {
    expect(failure(() => identifier(given, 'name')).code).toBe(code);
  });
  it.each([['auth'], ['storage'], ['fluxbase'], ['pg_catalog'], ['pg_temp'], ['information_schema']])('refuses the reserved schema %s', (s) => {
    expect(failure(() => userSchema(s)).code).toBe('VALIDATION_FAILED');
  });
});

// The bodies as the routes parse them (their schemas are those of routes/ddl-*.ts).
const COLUMNS = 'must be a non-empty array of column definitions';
const TableBody = z.strictObject({
  schema: z.unknown().optional(), name: z.unknown().optional(),
  columns: z.array(TableColumn, { error: COLUMNS }).min(1, COLUMNS).max(1600, COLUMNS),
});
const schemaRequest = (body: unknown) => userSchema(parseAdminBody(z.strictObject({ name: z.unknown().optional() }), body).name, 'name');
const tableRequest = (body: unknown, snap: Parameters<typeof tableDefinition>[1]) => tableDefinition(parseAdminBody(TableBody, body), snap);
const columnRequest = (body: unknown, snap: Parameters<typeof tableDefinition>[1], schema: string) =>
  columnDefinition(parseAdminBody(NewColumnBody, body), snap, schema);

describe('request bodies', () => {
  it('schemaRequest takes {name}', () => {
    expect(schemaRequest({ name: 'app2' })).toBe('app2');
    expect(failure(() => schemaRequest({ name: 'app', owner: 'x' })).details).toEqual({ field: 'owner' });
    expect(failure(() => schemaRequest([])).code).toBe('INVALID_REQUEST_BODY');
  });

  it('tableRequest: defaults schema to public, primary keys are not null, serials are noted', () => {
    const req = tableRequest({ name: 'posts', columns: [
      { name: 'id', type: 'bigserial', primaryKey: true },
      { name: 'title', type: 'text', nullable: false },
      { name: 'body', type: 'text' },
      { name: 'mood', type: 'mood', defaultValue: 'a' },
    ] }, snap);
    expect(req).toEqual({
      schema: 'public', name: 'posts', primaryKey: ['id'], serials: ['id'],
      columns: [
        { name: 'id', type: 'bigserial', nullable: false, default: undefined },
        { name: 'title', type: 'text', nullable: false, default: undefined },
        { name: 'body', type: 'text', nullable: true, default: undefined },
        { name: 'mood', type: '"public"."mood"', nullable: true, default: "'a'" },
      ],
    });
  });

  it.each([
    ['no columns', { name: 't', columns: [] }, 'INVALID_REQUEST_BODY'],
    ['columns not an array', { name: 't', columns: {} }, 'INVALID_REQUEST_BODY'],
    ['a column not an object', { name: 't', columns: ['a'] }, 'INVALID_REQUEST_BODY'],
    ['columns left out', { name: 't' }, 'MISSING_REQUIRED_FIELD'],
    ['primaryKey not a boolean', { name: 't', columns: [{ name: 'a', type: 'text', primaryKey: 1 }] }, 'INVALID_REQUEST_BODY'],
    ['a duplicate column', { name: 't', columns: [{ name: 'a', type: 'text' }, { name: 'a', type: 'int' }] }, 'VALIDATION_FAILED'],
    ['an unknown column field', { name: 't', columns: [{ name: 'a', type: 'text', unique: true }] }, 'INVALID_REQUEST_BODY'],
    ['a bad type', { name: 't', columns: [{ name: 'a', type: 'text; drop' }] }, 'VALIDATION_FAILED'],
    ['nullable not a boolean', { name: 't', columns: [{ name: 'a', type: 'text', nullable: 'no' }] }, 'INVALID_REQUEST_BODY'],
    ['a missing name', { columns: [{ name: 'a', type: 'text' }] }, 'MISSING_REQUIRED_FIELD'],
    ['an internal schema', { schema: 'auth', name: 't', columns: [{ name: 'a', type: 'text' }] }, 'VALIDATION_FAILED'],
  ])('tableRequest refuses %s', (_n, body, code) => {
    expect(failure(() => tableRequest(body, snap)).code).toBe(code);
  });

  it('columnRequest takes {name, type, nullable?, defaultValue?}', () => {
    expect(columnRequest({ name: 'n', type: 'integer', nullable: false, defaultValue: 0 }, snap, 'public'))
      .toEqual({ name: 'n', type: 'integer', nullable: false, default: '0', serial: false });
    expect(failure(() => columnRequest({ name: 'n', type: 'integer', primaryKey: true }, snap, 'public')).details).toEqual({ field: 'primaryKey' });
  });

  it('names the field of a shape error', () => {
    expect(failure(() => tableRequest({ name: 't', columns: [{ name: 'a', type: 'text', nullable: 'no' }] }, snap))).toMatchObject({
      code: 'INVALID_REQUEST_BODY', message: 'columns[0].nullable must be true or false', details: { field: 'columns[0].nullable' },
    });
    expect(failure(() => tableRequest({ name: 't', columns: [{ name: 'a', type: 'text', unique: true }] }, snap)).message)
      .toBe('Unknown field "unique" in columns[0]; expected name, type, nullable, primaryKey, defaultValue');
    expect(failure(() => tableRequest({ name: 't', columns: [] }, snap)).message).toBe(`columns ${COLUMNS}`);
    expect(failure(() => schemaRequest({ name: 'x', owner: 'me' })).message).toBe('Unknown field "owner" in body; expected name');
  });
});

describe('statements', () => {
  it('quote every identifier and enable RLS with grants on new tables', () => {
    expect(createTableStatements('my app', 'we"ird', [
      { name: 'id', type: 'bigserial', nullable: false, default: undefined },
      { name: 'note', type: 'text', nullable: true, default: "'x'" },
    ], ['id'])).toEqual([
      'create table "my app"."we""ird" ("id" bigserial not null, "note" text default \'x\', primary key ("id"))',
      'alter table "my app"."we""ird" enable row level security',
      'grant select, insert, update, delete on "my app"."we""ird" to anon, authenticated, service_role',
    ]);
    expect(createSchemaStatements('s')[0]).toBe('create schema "s"');
    expect(createSchemaStatements('s')).toContain('grant usage on schema "s" to anon, authenticated, service_role');
    expect(dropTableStatement('s', 't')).toBe('drop table "s"."t"');
    expect(addColumnStatement('s', 't', { name: 'c', type: 'integer', nullable: false, default: '0' })).toBe('alter table "s"."t" add column "c" integer not null default 0');
    expect(dropColumnStatement('s', 't', 'c')).toBe('alter table "s"."t" drop column "c"');
  });
});
