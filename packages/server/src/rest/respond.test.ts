// respond() on plain data: ETag and If-None-Match → 304, compression for large GET bodies
// only (write responses may be replayed by Idempotency-Key), Server-Timing, no body for
// HEAD-like responses. No server and no Fastify: the stage takes a plain request.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RestRequest } from './request.ts';
import { etagMatches, respond, weakEtag } from './respond.ts';
import { Timings } from './timings.ts';

function req(init: Partial<RestRequest> = {}): RestRequest {
  return {
    mount: 'postgrest', method: 'GET', snapshot: undefined as never,
    context: { role: 'anon', claims: {}, sub: '', method: 'GET', path: '/', requestId: 'r1' },
    prefs: { missingDefault: false, rollback: false, strict: false, applied: [] },
    rep: 'json', stripNulls: false, ifMatch: undefined, ifNoneMatch: undefined, acceptEncoding: undefined,
    body: undefined, timings: new Timings(), ...init,
  };
}

describe('respond', () => {
  it('tags a read with a weak ETag and answers 304 without a body when If-None-Match matches', async () => {
    const first = await respond(req(), { status: 200, body: '[1]', etag: true });
    expect(first.headers.ETag).toBe(weakEtag('[1]'));
    expect(first.headers['Content-Type']).toBe('application/json; charset=utf-8');
    const again = await respond(req({ ifNoneMatch: `"x", ${first.headers.ETag!}` }), { status: 200, body: '[1]', etag: true });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
    expect(again.headers['Server-Timing']).toMatch(/render;dur=/);
  });

  it('compresses a large GET body when accepted, and never a write response', async () => {
    const body = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i })));
    const gz = await respond(req({ acceptEncoding: 'gzip, deflate' }), { status: 200, body, etag: true });
    expect(gz.headers['Content-Encoding']).toBe('gzip');
    expect(gz.headers.Vary).toBe('Accept-Encoding');
    expect(gunzipSync(gz.body as Buffer).toString()).toBe(body);
    expect(gz.headers.ETag).toBe(weakEtag(body));
    const write = await respond(req({ method: 'POST', acceptEncoding: 'gzip' }), { status: 201, body });
    expect(write.headers['Content-Encoding']).toBeUndefined();
    expect(write.body).toBe(body);
  });

  it('answers a null body with its status and content type only', async () => {
    const res = await respond(req({ method: 'HEAD' }), { status: 200, body: null, contentType: 'text/csv; charset=utf-8', headers: { 'Content-Range': '*/0' } });
    expect(res).toMatchObject({ status: 200, body: null, headers: { 'Content-Range': '*/0', 'Content-Type': 'text/csv; charset=utf-8' } });
  });

  it('matches If-None-Match lists, weak or strong, and *', () => {
    const tag = weakEtag('x');
    expect(etagMatches(undefined, tag)).toBe(false);
    expect(etagMatches('*', tag)).toBe(true);
    expect(etagMatches(tag.slice(2), tag)).toBe(true);
    expect(etagMatches('W/"other"', tag)).toBe(false);
  });
});
