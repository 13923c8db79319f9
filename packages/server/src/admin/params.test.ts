// Admin input parsing: schema lists, booleans, schema checks,
// Accept negotiation, and the admin principal check. Each bad input names its field.
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { failure } from '../http/errors/failure-fixture.ts';
import type { AppError, Principal } from '../http/index.ts';
import { booleanParam, checkSchemas, defaultSchemas, schemaListParam, typescriptRepresentation } from './params.ts';
import { requireAdmin } from './require-admin.ts';
import { snapshot } from './snapshot-fixture.ts';


describe('schemaListParam', () => {
  it('splits and trims a comma list; absent is undefined', () => {
    expect(schemaListParam('public, api', 'schemas')).toEqual(['public', 'api']);
    expect(schemaListParam(undefined, 'schemas')).toBeUndefined();
  });
  it.each([[''], ['a,,b'], ['a,'], [' ']])('refuses %j as INVALID_FORMAT', (v) => {
    expect(failure(() => schemaListParam(v, 'schemas'))).toMatchObject({ code: 'INVALID_FORMAT', status: 400, details: { parameter: 'schemas' } });
  });
  it('refuses a repeated parameter', () => {
    expect(failure(() => schemaListParam(['a', 'b'], 'schema')).details).toEqual({ parameter: 'schema' });
  });
});

describe('booleanParam', () => {
  it('reads true/false and defaults when absent', () => {
    expect(booleanParam('true', 'x', false)).toBe(true);
    expect(booleanParam('false', 'x', true)).toBe(false);
    expect(booleanParam(undefined, 'x', true)).toBe(true);
  });
  it.each([['yes'], ['1'], ['TRUE'], [''], [['true', 'false']]])('refuses %j', (v) => {
    expect(failure(() => booleanParam(v as string, 'include_views', true))).toMatchObject({ code: 'INVALID_FORMAT', details: { parameter: 'include_views' } });
  });
});

describe('checkSchemas / defaultSchemas', () => {
  const s = snapshot({ schemas: ['public', 'api', 'auth', 'storage'], exposedSchemas: ['api', 'public', 'missing'] });
  it('accepts known schemas, deduplicated', () => {
    expect(checkSchemas(s, ['api', 'public', 'api'])).toEqual(['api', 'public']);
  });
  it('refuses an unknown schema with VALIDATION_FAILED naming it', () => {
    const err = failure(() => checkSchemas(s, ['public', 'nope']));
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(err.details).toEqual({ fields: { schemas: 'Schema "nope" does not exist' } });
  });
  it('refuses an internal schema even though it exists', () => {
    expect(failure(() => checkSchemas(s, ['auth'], 'schema')).details).toEqual({ fields: { schema: 'Schema "auth" is internal to Fluxbase' } });
  });
  it('refuses a PostgreSQL system schema, with the same list REST uses (db/schema/internal.ts)', () => {
    expect(failure(() => checkSchemas(s, ['pg_catalog'], 'schema')).details).toEqual({ fields: { schema: 'Schema "pg_catalog" is a PostgreSQL system schema' } });
    expect(failure(() => checkSchemas(s, ['information_schema'], 'schema')).details).toEqual({ fields: { schema: 'Schema "information_schema" is a PostgreSQL system schema' } });
  });
  it('defaults to the exposed schemas that exist', () => {
    expect(defaultSchemas(s)).toEqual(['api', 'public']);
  });
});

describe('typescriptRepresentation', () => {
  it.each([
    [undefined, 'text'], ['', 'text'], ['*/*', 'text'], ['text/plain', 'text'], ['text/*;q=0.5', 'text'],
    ['application/json', 'json'], ['application/json, text/plain, */*', 'json'], ['text/plain;q=0.9, application/json', 'json'],
    ['application/json;q=0, text/plain', 'text'], ['image/png', null], ['application/xml', null],
  ] as const)('Accept %j → %s', (accept, expected) => {
    expect(typescriptRepresentation(accept)).toBe(expected);
  });
});

describe('requireAdmin', () => {
  // The admin-user lookup is auth's (auth.users.role = 'admin'); here a fixed answer.
  const server = { isAdminUser: (id: string) => Promise.resolve(id === 'admin-user') };
  const req = (p: Partial<Principal>) => ({ principal: { claims: {}, userId: null, ...p }, server }) as unknown as FastifyRequest;
  const code = async (p: Partial<Principal>) => requireAdmin(req(p)).then(() => 'ok', (e: AppError) => `${e.status} ${e.code}`);

  it('admits a service-role JWT and a stored key with scope *', async () => {
    expect(await code({ kind: 'service_role', role: 'service_role' })).toBe('ok');
    expect(await code({ kind: 'service_key', role: 'service_role', scopes: ['*'] })).toBe('ok');
  });
  it('refuses a stored key without scope * (INSUFFICIENT_PERMISSIONS, required_scope)', async () => {
    expect(await code({ kind: 'service_key', role: 'service_role', scopes: ['read:tables'] })).toBe('403 INSUFFICIENT_PERMISSIONS');
    const err = await requireAdmin(req({ kind: 'service_key', role: 'service_role', scopes: [] })).catch((e: AppError) => e);
    expect((err as AppError).details).toEqual({ required_scope: '*' });
  });
  it('refuses anonymous callers and the anon key with 401, users with 403', async () => {
    expect(await code({ kind: 'anonymous', role: 'anon' })).toBe('401 MISSING_AUTHENTICATION');
    expect(await code({ kind: 'anon_key', role: 'anon' })).toBe('401 MISSING_AUTHENTICATION');
    expect(await code({ kind: 'user', role: 'authenticated', userId: 'u' })).toBe('403 ADMIN_REQUIRED');
  });
  it('admits a user whose auth.users.role is admin', async () => {
    expect(await code({ kind: 'user', role: 'authenticated', userId: 'admin-user' })).toBe('ok');
  });
});
