// The pure parts of idempotency: which routes it covers, key validation, scopes, body
// hashing, which responses are stored and which headers, and what a reused key meets.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from './errors/index.ts';
import {
  decide, hashBody, idempotencyApplies, payloadBytes, pickHeaders, scopeOf, shouldStore, validateKey,
  type ExistingKey, type IdempotentRequest,
} from './idempotency.ts';
import { ANONYMOUS, type Principal } from './principal.ts';

const sha = (s: string) => createHash('sha256').update(s).digest();

describe('idempotencyApplies', () => {
  it.each([
    ['/api/v1/tables/public/posts', true],
    ['/rest/v1/posts', true],
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

describe('validateKey', () => {
  it('accepts 1 to 256 characters', () => {
    expect(validateKey('a')).toBe('a');
    expect(validateKey('k'.repeat(256))).toBe('k'.repeat(256));
  });
  it.each([['k'.repeat(257)], ['']])('refuses %j-sized keys with IDEMPOTENCY_KEY_TOO_LONG', (key) => {
    const err = (() => {
      try {
        validateKey(key);
      } catch (e) {
        return e;
      }
    })() as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('IDEMPOTENCY_KEY_TOO_LONG');
    expect(err.status).toBe(400);
    expect(err.details).toEqual({ max_length: 256, length: key.length });
  });
  it('joins a repeated header', () => {
    expect(validateKey(['a', 'b'])).toBe('a, b');
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
  it.each([
    ['another method', { method: 'PUT' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another path', { path: '/api/v1/y?a=1' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another query string', { path: '/api/v1/x?a=2' }, 'IDEMPOTENCY_KEY_MISMATCH'],
    ['another body', { body_hash: sha('{"a":1}') }, 'IDEMPOTENCY_REQUEST_BODY_MISMATCH'],
    ['still processing', { state: 'processing' as const, status: null }, 'IDEMPOTENCY_REQUEST_IN_PROGRESS'],
    ['processing, other URL: the mismatch wins', { state: 'processing' as const, path: '/z' }, 'IDEMPOTENCY_KEY_MISMATCH'],
  ])('%s → %s', (_name, over, code) => {
    expect(codeOf(row(over))).toBe(code);
  });
  it('names both requests in a key mismatch and hints a retry while processing', () => {
    try {
      decide(row({ method: 'DELETE', path: '/api/v1/other' }), request);
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).details).toEqual({ original_method: 'DELETE', original_path: '/api/v1/other', current_method: 'POST', current_path: '/api/v1/x?a=1' });
      expect((e as AppError).status).toBe(422);
    }
    try {
      decide(row({ state: 'processing', status: null }), request);
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).hint).toBe('Retry in a few seconds');
      expect((e as AppError).status).toBe(409);
    }
  });
});
