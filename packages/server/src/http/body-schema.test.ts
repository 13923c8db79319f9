// The zod adapter: each kind of bad input becomes the docs/errors.md error the hand-rolled
// helpers gave, and the field builders keep one set of limits.
import { describe, expect, it } from 'vitest';
import { failure } from './errors/failure-fixture.ts';
import { z } from 'zod';
import { field, LIMITS, optionalBody, parseInput, pathText } from './body-schema.ts';
import type { AppError } from './errors/index.ts';

const wire = (err: AppError) => ({ status: err.status, code: err.code, message: err.message, details: err.details });

const signin = z.object({ email: field.text(LIMITS.email), password: field.text(20), remember: field.flag() });

describe('parseInput: the body itself', () => {
  it.each([[[1, 2]], ['x'], [42], [true]])('refuses the non-object body %j', (body) => {
    expect(wire(failure(() => parseInput(signin, body)))).toEqual({
      status: 400, code: 'INVALID_REQUEST_BODY', message: 'The body must be a JSON object', details: undefined,
    });
  });

  it.each([[undefined], [null]])('asks for a body when a required one is %j', (body) => {
    expect(wire(failure(() => parseInput(signin, body)))).toMatchObject({ code: 'INVALID_REQUEST_BODY', message: 'Send a JSON object body' });
  });

  it('reads an absent optional body as {} so required fields report themselves', () => {
    expect(parseInput(optionalBody(z.object({ scope: field.param() })), undefined)).toEqual({});
    expect(wire(failure(() => parseInput(optionalBody(signin), null)))).toMatchObject({ code: 'MISSING_REQUIRED_FIELD', details: { field: 'email' } });
  });
});

describe('parseInput: fields', () => {
  it.each([[{}], [{ email: null }], [{ email: '' }]])('%j: a missing required field is MISSING_REQUIRED_FIELD', (body) => {
    expect(wire(failure(() => parseInput(signin, body)))).toEqual({
      status: 400, code: 'MISSING_REQUIRED_FIELD', message: 'email is required', details: { field: 'email' },
    });
  });

  it.each([
    [{ email: 42, password: 'p' }, 'email', 'must be a string'],
    [{ email: ['a@b.co'], password: 'p' }, 'email', 'must be a string'],
    [{ email: 'a@b.co', password: { x: 1 } }, 'password', 'must be a string'],
    [{ email: 'a@b.co', password: 'p', remember: 'yes' }, 'remember', 'must be true or false'],
    [{ email: 'a@b.co', password: 'x'.repeat(21) }, 'password', 'must be at most 20 characters'],
    [{ email: 'x'.repeat(255), password: 'p' }, 'email', 'must be at most 254 characters'],
  ])('%j: VALIDATION_FAILED naming %s', (body, name, problem) => {
    expect(wire(failure(() => parseInput(signin, body)))).toEqual({
      status: 400, code: 'VALIDATION_FAILED', message: `${name} ${problem}`, details: { fields: { [name]: problem } },
    });
  });

  it('reports the first field in schema order', () => {
    expect(failure(() => parseInput(signin, { email: 1, password: 2 })).details).toEqual({ fields: { email: 'must be a string' } });
  });

  it('names nested fields by path', () => {
    const otp = z.object({ options: field.object({ should_create_user: field.flag() }) });
    expect(wire(failure(() => parseInput(otp, { options: { should_create_user: 'yes' } })))).toMatchObject({
      code: 'VALIDATION_FAILED', message: 'options.should_create_user must be true or false',
    });
    expect(failure(() => parseInput(otp, { options: 'x' })).message).toBe('options must be a JSON object');
    const table = z.object({ columns: z.array(z.object({ name: field.text(), nullable: z.boolean().optional() })) });
    expect(wire(failure(() => parseInput(table, { columns: [{ name: 'a' }, { name: 'b', nullable: 'no' }] })))).toMatchObject({
      message: 'columns[1].nullable must be true or false', details: { fields: { 'columns[1].nullable': 'must be true or false' } },
    });
    expect(failure(() => parseInput(table, { columns: [{}] })).details).toEqual({ field: 'columns[0].name' });
    expect(pathText(['a', 0, 'b', 12])).toBe('a[0].b[12]');
  });

  it('keeps a schema\'s own problem text', () => {
    const signout = z.object({ scope: z.enum(['local', 'global'], { error: 'must be local or global' }).optional() });
    expect(failure(() => parseInput(signout, { scope: 'all' })).message).toBe('scope must be local or global');
    const refined = z.object({ role: field.optionalText().refine((r) => r !== 'anon', 'is a database role') });
    expect(failure(() => parseInput(refined, { role: 'anon' })).details).toEqual({ fields: { role: 'is a database role' } });
  });

  it('bounds metadata objects by their serialised size', () => {
    const s = z.object({ user_metadata: field.metadata() });
    expect(parseInput(s, { user_metadata: { a: 1 } })).toEqual({ user_metadata: { a: 1 } });
    expect(parseInput(s, { user_metadata: null })).toEqual({});
    expect(failure(() => parseInput(s, { user_metadata: [1] })).message).toBe('user_metadata must be a JSON object');
    expect(failure(() => parseInput(s, { user_metadata: { a: 'x'.repeat(LIMITS.metadataBytes) } })).message).toBe('user_metadata must be at most 16 KB');
  });
});

describe('parseInput: strict objects (unknown fields)', () => {
  const ddl = z.strictObject({ name: z.string(), columns: z.array(z.strictObject({ name: z.string(), nullable: z.boolean().optional() })).optional() });

  it('refuses an unknown field, naming what is expected', () => {
    expect(wire(failure(() => parseInput(ddl, { name: 'x', owner: 'me' }, 'body', 'INVALID_REQUEST_BODY')))).toEqual({
      status: 400, code: 'INVALID_REQUEST_BODY', message: 'Unknown field "owner" in body; expected name, columns', details: { field: 'owner' },
    });
  });

  it('reports the outermost unknown field first, and nested ones by path', () => {
    const body = { name: 'x', columns: [{ name: 'a', unique: true }], extra: 1 };
    expect(failure(() => parseInput(ddl, body, 'body', 'INVALID_REQUEST_BODY')).details).toEqual({ field: 'extra' });
    const nested = failure(() => parseInput(ddl, { name: 'x', columns: [{ name: 'a', unique: true }] }, 'body', 'INVALID_REQUEST_BODY'));
    expect(nested.message).toBe('Unknown field "unique" in columns[0]; expected name, nullable');
  });

  it('refuses unknown fields with VALIDATION_FAILED on other routes, listing them all', () => {
    expect(wire(failure(() => parseInput(ddl, { name: 'x', a: 1, b: 2 })))).toEqual({
      status: 400, code: 'VALIDATION_FAILED', message: 'Unknown fields "a", "b" in body; expected name, columns',
      details: { fields: { a: 'unknown field', b: 'unknown field' } },
    });
  });

  it('gives INVALID_REQUEST_BODY with details.field for wrong types when asked', () => {
    expect(wire(failure(() => parseInput(ddl, { name: 7 }, 'body', 'INVALID_REQUEST_BODY')))).toEqual({
      status: 400, code: 'INVALID_REQUEST_BODY', message: 'name must be a string', details: { field: 'name' },
    });
    expect(failure(() => parseInput(ddl, {}, 'body', 'INVALID_REQUEST_BODY')).code).toBe('MISSING_REQUIRED_FIELD');
  });

  it('never lets __proto__ or constructor reach an object\'s prototype', () => {
    const body = JSON.parse('{"user_metadata": {"__proto__": {"admin": true}, "constructor": {"prototype": {"x": 1}}, "a": 1}, "__proto__": {"admin": true}}') as unknown;
    const parsed = parseInput(z.object({ user_metadata: field.metadata() }), body);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(parsed.user_metadata)).toBe(Object.prototype);
    expect((parsed as Record<string, unknown>).admin).toBeUndefined();
    expect((parsed.user_metadata as Record<string, unknown>).admin).toBeUndefined();
    expect(Object.keys(parsed.user_metadata!)).toEqual(['constructor', 'a']);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    expect(failure(() => parseInput(z.strictObject({ a: z.string() }), body)).message).toMatch(/^Unknown fields? .*"__proto__"/);
  });
});

describe('parseInput: query parameters', () => {
  const authorize = z.object({ redirect_to: field.param(LIMITS.url), redirect: field.queryFlag(), code: field.requiredParam() });

  it('refuses a repeated parameter', () => {
    expect(wire(failure(() => parseInput(authorize, { redirect_to: ['a', 'b'], code: 'c' }, 'query')))).toEqual({
      status: 400, code: 'VALIDATION_FAILED', message: 'redirect_to must be given once', details: { fields: { redirect_to: 'must be given once' } },
    });
    expect(failure(() => parseInput(authorize, { code: ['a', 'b'] }, 'query')).message).toBe('code must be given once');
  });

  it('reads empty parameters as absent and flags as true/1/false/0', () => {
    expect(parseInput(authorize, { redirect_to: '', redirect: '1', code: 'c' }, 'query')).toEqual({ redirect: true, code: 'c' });
    expect(parseInput(authorize, { code: 'c' }, 'query').redirect).toBe(false);
    expect(failure(() => parseInput(authorize, { redirect: 'maybe', code: 'c' }, 'query')).message).toBe('redirect must be true or false');
    expect(failure(() => parseInput(authorize, { code: '' }, 'query')).code).toBe('MISSING_REQUIRED_FIELD');
  });

  it('answers malformed numbers with INVALID_FORMAT', () => {
    const page = z.object({ limit: field.intParam(1, 1000, 50) });
    expect(parseInput(page, {}, 'query')).toEqual({ limit: 50 });
    expect(parseInput(page, { limit: '7' }, 'query')).toEqual({ limit: 7 });
    for (const limit of ['0', '1001', 'abc', '1.5', ['1', '2']]) {
      expect(wire(failure(() => parseInput(page, { limit }, 'query')))).toEqual({
        status: 400, code: 'INVALID_FORMAT', message: 'limit must be an integer from 1 to 1000', details: { parameter: 'limit' },
      });
    }
  });
});
