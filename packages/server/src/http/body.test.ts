import { describe, expect, it } from 'vitest';
import { bodyLimitFor, endpointTypeFor, jsonDepthExceeds, parseJsonBody, payloadTooLarge, type BodyLimits } from './body.ts';
import { type AppError } from './errors/index.ts';

const LIMITS: BodyLimits = {
  enabled: true, default_limit: 1_048_576, auth_limit: 65_536, rest_limit: 1_048_576, admin_limit: 5 * 1_048_576,
  bulk_limit: 10 * 1_048_576, storage_limit: 100 * 1_048_576, max_json_depth: 64,
};

const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('route patterns and their body limits', () => {
  it.each([
    ['/api/v1/auth/signin', 'auth'],
    ['/api/v1/storage/avatars/a/b.png', 'storage'],
    ['/api/v1/admin/functions/sync', 'bulk'],
    ['/api/v1/rpc/default/fn', 'bulk'],
    ['/rest/v1/rpc/fn', 'bulk'],
    ['/api/v1/functions/hello/invoke', 'bulk'],
    ['/api/v1/functions/hello/invoke/sub/path', 'bulk'],
    ['/functions/v1/hello', 'bulk'],
    ['/api/v1/admin/users', 'admin'],
    ['/api/v1/admin/functions/sync/extra', 'admin'],
    ['/api/v1/tables/posts', 'REST'],
    ['/rest/v1/posts', 'REST'],
    ['/api/v1/graphql', 'REST'],
    ['/api/v1/jobs/submit', 'REST'],
    ['/health', 'default'],
    ['/apix', 'default'],
    // Route patterns as Fastify registers them:
    ['/api/v1/functions/:name/invoke/*', 'bulk'],
    ['/api/v1/storage/:bucket/*', 'storage'],
    ['/api/v1/admin/:section/sync', 'bulk'],
  ])('%s → %s', (p, type) => {
    expect(endpointTypeFor(p)).toBe(type);
  });

  it('gives the configured limit and its key', () => {
    expect(bodyLimitFor('/api/v1/auth/signup', LIMITS)).toEqual({ bytes: 65_536, type: 'auth', key: 'server.body_limits.auth_limit' });
  });

  it('states the limit in human units in the 413', () => {
    const err = payloadTooLarge(bodyLimitFor('/rest/v1/posts', LIMITS));
    expect(err.status).toBe(413);
    expect(err.message).toBe('Request body exceeds the 1 MB limit for REST endpoints');
    expect(err.hint).toBe('Send a smaller body or raise server.body_limits.rest_limit');
    expect(err.details).toEqual({ max_bytes: 1_048_576, endpoint_type: 'REST' });
  });
});

describe('JSON depth', () => {
  it('passes depth 64 and refuses 65', () => {
    expect(jsonDepthExceeds(nest(64), 64)).toBe(false);
    expect(jsonDepthExceeds(nest(65), 64)).toBe(true);
  });
  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[[[\\"[[[[' }), 2)).toBe(false);
  });
  it('parseJsonBody raises JSON_TOO_DEEP and INVALID_JSON', () => {
    expect(() => parseJsonBody(nest(65), 64)).toThrow(expect.objectContaining({ code: 'JSON_TOO_DEEP', message: 'JSON nesting exceeds maximum depth of 64' }) as unknown as AppError);
    expect(() => parseJsonBody('{"a":', 64)).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }) as unknown as AppError);
    expect(parseJsonBody('  ', 64)).toBeUndefined();
    expect(parseJsonBody('{"a":[1,{"b":null}]}', 64)).toEqual({ a: [1, { b: null }] });
  });
});
