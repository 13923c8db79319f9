// The pure rules of idempotency, no database: which routes and methods it covers, key
// syntax and length, scopes, the fingerprint (method + path + body) a reused key is
// compared on, which responses and headers are stored, and what a reused key meets.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/index.ts';
import { ANONYMOUS, type Principal } from '../principal.ts';
import {
  decide, hashBody, idempotencyApplies, idempotencyAppliesToMethod, idempotentRequest, MAX_KEY_LENGTH, payloadBytes,
  pickHeaders, scopeOf, shouldStore, validateKey, type ExistingKey, type IdempotentRequest,
} from './rules.ts';

const sha = (s: string) => createHash('sha256').update(s).digest();
const thrown = (fn: () => unknown): AppError => {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error('expected a throw');
};

describe('idempotencyApplies', () => {
  it.each([
    ['/api/v1/tables/public/posts', true],
    ['/rest/v1/posts', true],
    ['/rest/v1/rpc/:fn', true],
    ['/api/v1/storage/bucket/object', true],
    ['/api/v1/auth/signup', false],
    ['/api/v1/auth/token/refresh', false],
    ['/health', false],
    ['/functions/v1/hello', false],
    ['/api/v2/x', false],
  ])('%s → %s', (url, expected) => {
    expect(idempotencyApplies(url)).toBe(expected);
  });
});

describe('idempotencyAppliesToMethod', () => {
  it.each([
    ['POST', true], ['PUT', true], ['PATCH', true], ['DELETE', true],
    ['GET', false], ['HEAD', false], ['OPTIONS', false],
  ])('%s → %s', (method, expected) => {
    expect(idempotencyAppliesToMethod(method)).toBe(expected);
  });
});

describe('validateKey', () => {
  it('accepts 1 to 256 characters', () => {
    expect(MAX_KEY_LENGTH).toBe(256);
    expect(validateKey('a')).toBe('a');
    expect(validateKey('k'.repeat(256))).toBe('k'.repeat(256));
  });
  it.each([
    ['a UUID', '0b6a3c1e-8f1d-4c2b-9a57-3e1f6d0c2b4a'],
    ['punctuation', 'order:42/retry#1?x=y'],
    ['inner spaces', 'a key with spaces'],
    ['base64', 'q83vEjRWeJA+/w=='],
  ])('takes any characters as they come (%s), unchanged', (_name, key) => {
    expect(validateKey(key)).toBe(key);
  });
  it.each([['k'.repeat(257)], ['k'.repeat(10_000)], ['']])('refuses %j-sized keys with IDEMPOTENCY_KEY_TOO_LONG', (key) => {
    const err = thrown(() => validateKey(key));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('IDEMPOTENCY_KEY_TOO_LONG');
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ max_length: 256, length: key.length });
    expect(err.message).toBe(`Idempotency-Key must be 1 to 256 characters (got ${key.length})`);
  });
  it('joins a repeated header', () => {
    expect(validateKey(['a', 'b'])).toBe('a, b');
  });
  it('measures a repeated header after joining', () => {
    expect(validateKey(['k'.repeat(127), 'k'.repeat(127)])).toHaveLength(256);
    expect(thrown(() => validateKey(['k'.repeat(128), 'k'.repeat(128)])).details).toEqual({ max_length: 256, length: 258 });
  });
});

describe('scopeOf', () => {
  const user: Principal = { kind: 'user', role: 'authenticated', claims: {}, userId: 'u1' };
  const serviceKey: Principal = { kind: 'service_key', role: 'service_role', claims: {}, userId: null, keyId: 'k9' };
  const serviceRole: Principal = { kind: 'service_role', role: 'service_role', claims: {}, userId: null };
  const anonKey: Principal = { kind: 'anon_key', role: 'anon', claims: {}, userId: null };
  const subless: Principal = { kind: 'user', role: 'authenticated', claims: {}, userId: null };
  it.each([
    [user, 'user:u1'],
    [serviceKey, 'key:k9'],
    [serviceRole, 'service_role'],
    [anonKey, 'anon:10.0.0.1'],
    [ANONYMOUS, 'anon:10.0.0.1'],
    [subless, 'authenticated:10.0.0.1'],
  ])('%o → %s', (principal, scope) => {
    expect(scopeOf(principal, '10.0.0.1')).toBe(scope);
  });
});

describe('hashBody', () => {
  it('hashes the raw text when present, ignoring the parse', () => {
    expect(hashBody('{"a":1}', { a: 2 })).toEqual(sha('{"a":1}'));
    expect(hashBody('{"a": 1}', { a: 1 })).not.toEqual(hashBody('{"a":1}', { a: 1 }));
  });
  it('hashes an absent body as the empty string', () => {
    expect(hashBody(undefined, undefined)).toEqual(sha(''));
    expect(hashBody(undefined, null)).toEqual(sha(''));
  });
  it('hashes bodies of other parsers', () => {
    expect(hashBody(undefined, 'plain')).toEqual(sha('plain'));
    expect(hashBody(undefined, Buffer.from('bytes'))).toEqual(sha('bytes'));
    expect(hashBody(undefined, { a: 1 })).toEqual(sha('{"a":1}'));
    expect(hashBody(undefined, Readable.from(['x']))).toEqual(sha(''));
  });
});

describe('idempotentRequest (the fingerprint: method + path with query + body)', () => {
  const base = { scope: 'user:u1', key: 'k', method: 'POST', url: '/api/v1/x?a=1', rawBody: '{"a":1}', body: { a: 1 } };
  const first = idempotentRequest(base);
  const asStored = (r: IdempotentRequest): ExistingKey => ({
    method: r.method, path: r.path, body_hash: r.bodyHash, state: 'completed', status: 201, headers: {}, body: null,
  });
  const meets = (over: Partial<typeof base>) => {
    try {
      decide(asStored(first), idempotentRequest({ ...base, ...over }));
      return 'replay';
    } catch (e) {
      return (e as AppError).code;
    }
  };

  it('keeps scope, key, method and the URL as sent, and hashes the raw body', () => {
    expect(first).toEqual({ scope: 'user:u1', key: 'k', method: 'POST', path: '/api/v1/x?a=1', bodyHash: sha('{"a":1}') });
  });
  it('hashes the parsed body when no raw text was kept, and no body as the empty string', () => {
    expect(idempotentRequest({ ...base, rawBody: undefined }).bodyHash).toEqual(sha('{"a":1}'));
    expect(idempotentRequest({ ...base, rawBody: undefined, body: undefined }).bodyHash).toEqual(sha(''));
  });
  it.each([
    ['the same request', {}, 'replay'],
    ['the same request from another scope (the store keys rows by scope)', { scope: 'anon:10.0.0.1' }, 'replay'],
    ['another method', { method: 'PUT' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another path', { url: '/api/v1/y?a=1' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another query string', { url: '/api/v1/x?a=2' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['the same query in another order', { url: '/api/v1/x?b=2&a=1' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another body', { rawBody: '{"a":2}', body: { a: 2 } }, 'IDEMPOTENCY_REQUEST_BODY_MISMATCH'],
    ['the same JSON spaced differently', { rawBody: '{"a": 1}' }, 'IDEMPOTENCY_REQUEST_BODY_MISMATCH'],
    ['no body', { rawBody: undefined, body: undefined }, 'IDEMPOTENCY_REQUEST_BODY_MISMATCH'],
  ])('%s → %s', (_name, over, outcome) => {
    expect(meets(over)).toBe(outcome);
  });
});

describe('shouldStore', () => {
  it.each([[200, true], [201, true], [204, true], [400, true], [404, true], [409, true], [422, true],
    [401, false], [429, false], [500, false], [503, false], [504, false]])('%i → %s', (status, expected) => {
    expect(shouldStore(status)).toBe(expected);
  });
});

describe('pickHeaders', () => {
  it('keeps the representation headers and x-*-count, drops the rest', () => {
    expect(pickHeaders({
      'Content-Type': 'application/json', 'content-range': '0-0/1', location: '/x/1', etag: 'W/"a"',
      'preference-applied': 'return=representation', 'x-affected-count': 3, 'x-total-count': '9',
      'set-cookie': ['a=b'], date: 'now', 'x-request-id': 'r', 'x-ratelimit-remaining': '5', 'content-length': '10',
      'x-next-cursor': undefined,
    })).toEqual({
      'content-type': 'application/json', 'content-range': '0-0/1', location: '/x/1', etag: 'W/"a"',
      'preference-applied': 'return=representation', 'x-affected-count': '3', 'x-total-count': '9',
    });
  });
});

describe('payloadBytes', () => {
  it('turns strings and buffers into bytes, null into null, and refuses streams', () => {
    expect(payloadBytes('hé')).toEqual(Buffer.from('hé'));
    expect(payloadBytes(Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2]));
    expect(payloadBytes(null)).toBeNull();
    expect(payloadBytes(undefined)).toBeNull();
    expect(payloadBytes(Readable.from(['x']))).toBeUndefined();
  });
});

describe('decide', () => {
  const request: IdempotentRequest = { scope: 's', key: 'k', method: 'POST', path: '/api/v1/x?a=1', bodyHash: sha('{}') };
  const row = (over: Partial<ExistingKey> = {}): ExistingKey => ({
    method: 'POST', path: '/api/v1/x?a=1', body_hash: sha('{}'), state: 'completed',
    status: 201, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"id":1}'), ...over,
  });
  const codeOf = (existing: ExistingKey) => {
    try {
      decide(existing, request);
      return 'replay';
    } catch (e) {
      return (e as AppError).code;
    }
  };

  it('replays a completed request', () => {
    expect(decide(row(), request)).toEqual({ status: 201, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"id":1}') });
  });
  it('replays a stored row without headers as no headers', () => {
    expect(decide(row({ headers: null, body: null, status: 204 }), request)).toEqual({ status: 204, headers: {}, body: null });
  });
  it.each([
    ['another method', { method: 'PUT' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another path', { path: '/api/v1/y?a=1' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another query string', { path: '/api/v1/x?a=2' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another body', { body_hash: sha('{"a":1}') }, 'IDEMPOTENCY_REQUEST_BODY_MISMATCH'],
    ['still processing', { state: 'processing' as const, status: null }, 'IDEMPOTENCY_REQUEST_IN_PROGRESS'],
    ['processing, other URL: the mismatch wins', { state: 'processing' as const, path: '/z' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['processing, other body: the mismatch wins', { state: 'processing' as const, status: null, body_hash: sha('x') }, 'IDEMPOTENCY_REQUEST_BODY_MISMATCH'],
  ])('%s → %s', (_name, over, code) => {
    expect(codeOf(row(over))).toBe(code);
  });
  it('names both requests in a key mismatch and hints a retry while processing', () => {
    const mismatch = thrown(() => decide(row({ method: 'DELETE', path: '/api/v1/other' }), request));
    expect(mismatch.details).toEqual({ original_method: 'DELETE', original_path: '/api/v1/other', current_method: 'POST', current_path: '/api/v1/x?a=1' });
    expect(mismatch.status).toBe(422);
    expect(thrown(() => decide(row({ body_hash: sha('x') }), request)).status).toBe(422);
    const busy = thrown(() => decide(row({ state: 'processing', status: null }), request));
    expect(busy.hint).toBe('Retry in a few seconds');
    expect(busy.status).toBe(409);
    expect(busy.headers).toEqual({ 'Retry-After': '1' });
  });
});
