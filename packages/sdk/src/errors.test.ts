// FluxbaseError.fromResponse on the bodies a client meets: our envelope, PostgREST's
// shape (the /rest/v1 mount), and whatever a proxy in between sends.
import { describe, expect, it } from 'vitest';
import { FluxbaseError, isFluxbaseError } from './errors.ts';

const withRequestId = (id: string) => new Headers({ 'X-Request-ID': id });

describe('FluxbaseError.fromResponse', () => {
  it('reads the Fluxbase envelope', () => {
    const err = FluxbaseError.fromResponse(403, {
      error: 'Insufficient permissions', code: 'RLS_POLICY_VIOLATION',
      message: 'Row-level security policy blocks this operation',
      details: { table: 'public.posts' }, hint: "Check the table's policies", request_id: 'rid-body',
    }, withRequestId('rid-header'));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      name: 'FluxbaseError', status: 403, code: 'RLS_POLICY_VIOLATION', error: 'Insufficient permissions',
      message: 'Row-level security policy blocks this operation', details: { table: 'public.posts' },
      hint: "Check the table's policies", requestId: 'rid-body',
    });
  });

  it('uses the short sentence as message when the envelope has none, and the header id as fallback', () => {
    const err = FluxbaseError.fromResponse(404, { error: 'Not found', code: 'NOT_FOUND' }, withRequestId('rid-h'));
    expect(err.message).toBe('Not found');
    expect(err.requestId).toBe('rid-h');
    expect(err.details).toBeUndefined();
    expect(err.hint).toBeUndefined();
  });

  it('reads the PostgREST shape, dropping null details and hint', () => {
    const err = FluxbaseError.fromResponse(400, {
      code: 'PGRST100', message: '"failed to parse filter (eqq.1)"', details: null, hint: null, request_id: 'rid-pg',
    });
    expect(err).toMatchObject({ status: 400, code: 'PGRST100', error: '"failed to parse filter (eqq.1)"', message: '"failed to parse filter (eqq.1)"', requestId: 'rid-pg' });
    expect('details' in err).toBe(false);
    expect('hint' in err).toBe(false);
  });

  it('keeps PostgreSQL detail text from a PostgREST body', () => {
    const err = FluxbaseError.fromResponse(409, {
      code: '23505', message: 'duplicate key value violates unique constraint "posts_pkey"',
      details: 'Key (id)=(1) already exists.', hint: null,
    });
    expect(err.code).toBe('23505');
    expect(err.details).toBe('Key (id)=(1) already exists.');
  });

  it.each([
    [502, '<html><body>Bad Gateway</body></html>', 'HTTP_ERROR', '<html><body>Bad Gateway</body></html>'],
    [503, '', 'SERVICE_UNAVAILABLE', 'Request failed with status 503'],
    [404, 'Cannot GET /x', 'NOT_FOUND', 'Cannot GET /x'],
  ])('falls back to the status for a non-JSON %i body', (status, body, code, message) => {
    const err = FluxbaseError.fromResponse(status, body, withRequestId('rid-text'));
    expect(err).toMatchObject({ status, code, error: `Request failed with status ${status}`, message, requestId: 'rid-text' });
  });

  it('truncates a long non-JSON body', () => {
    const err = FluxbaseError.fromResponse(500, 'x'.repeat(10_000));
    expect(err.message).toHaveLength(500);
    expect(err.code).toBe('INTERNAL_ERROR');
  });

  it('keeps an unknown JSON object as details', () => {
    const err = FluxbaseError.fromResponse(418, { teapot: true });
    expect(err).toMatchObject({ status: 418, code: 'HTTP_ERROR', details: { teapot: true } });
  });

  it('accepts an {error, error_description} body without a code', () => {
    const err = FluxbaseError.fromResponse(400, { error: 'invalid_grant', error_description: 'Refresh token expired' });
    expect(err).toMatchObject({ code: 'HTTP_ERROR', error: 'invalid_grant', message: 'Refresh token expired' });
  });
});

describe('isFluxbaseError', () => {
  it('accepts FluxbaseError and look-alikes from another bundle copy, rejects other errors', () => {
    expect(isFluxbaseError(new FluxbaseError({ status: 0, code: 'TIMEOUT', error: 'Request timed out' }))).toBe(true);
    const foreign = Object.assign(new Error('x'), { name: 'FluxbaseError', code: 'NOT_FOUND', status: 404 });
    expect(isFluxbaseError(foreign)).toBe(true);
    expect(isFluxbaseError(new Error('x'))).toBe(false);
    expect(isFluxbaseError({ name: 'FluxbaseError', code: 'X', status: 1 })).toBe(false);
    expect(isFluxbaseError(null)).toBe(false);
  });
});
