// POST /api/v1/storage/:bucket/sign/<path> {expires_in? (900), method? (GET|PUT), transform?}
// (flattened transform fields accepted too) → {signed_url, expires_in, expires_at, method}.
// Signed only when the caller may read (GET) or write (PUT) the object, under RLS.
import type { FastifyInstance } from 'fastify';
import { AppError, invalidField } from '../../http/index.ts';
import { DEFAULT_EXPIRES_IN, parseExpiresIn } from '../signed-token.ts';
import { parseTransformObject } from '../transform-params.ts';
import { bucketParam, callerOf, jsonBody, objectPath, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

const FLAT = ['width', 'height', 'format', 'quality', 'fit', 'w', 'h', 'fmt', 'q'];

export function registerObjectSign(app: FastifyInstance, deps: StorageRouteDeps): void {
  app.post(`${STORAGE_PATH}/:bucket/sign/*`, async (request) => {
    const body = await jsonBody(request);
    for (const k of Object.keys(body)) {
      if (!['expires_in', 'expiresIn', 'method', 'transform', ...FLAT].includes(k)) throw invalidField(k, 'is not a field here; expected expires_in, method, transform');
    }
    const exp = parseExpiresIn(body.expires_in ?? body.expiresIn ?? DEFAULT_EXPIRES_IN);
    if (!exp.ok) throw invalidField(exp.field, exp.message);
    const method = body.method ?? 'GET';
    if (method !== 'GET' && method !== 'PUT') throw invalidField('method', 'must be "GET" or "PUT"');
    const flat = Object.fromEntries(Object.entries(body).filter(([k]) => FLAT.includes(k)));
    const given = body.transform ?? (Object.keys(flat).length > 0 ? flat : undefined);
    const t = given === undefined ? { ok: true as const, spec: undefined } : parseTransformObject(given, deps.transformLimits);
    if (!t.ok) throw invalidField(t.field, t.message);
    if (t.spec && method === 'PUT') throw new AppError('VALIDATION_FAILED', { message: 'A transform applies to GET signed URLs only' });
    const signed = await deps.service.sign(callerOf(request), bucketParam(request), objectPath(request), method, exp.seconds, t.spec);
    return { signed_url: signed.signed_url, expires_in: signed.expires_in, expires_at: signed.expires_at, method: signed.method };
  });
}
