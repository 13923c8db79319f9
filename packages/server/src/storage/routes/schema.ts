// Shared by the storage routes (API.md §10): their dependencies, the caller's transaction
// context (RLS decides every metadata step), the admin context of bucket management, the
// `:bucket` and object path params, and small JSON bodies read from the raw scope.
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../../db/index.ts';
import { AppError, type BodyLimits } from '../../http/index.ts';
import type { StorageService } from '../service.ts';
import type { ImageTransformer } from '../transformer.ts';
import type { TransformLimits } from '../transform-params.ts';

export const STORAGE_PATH = '/api/v1/storage';

export interface StorageRouteDeps {
  service: StorageService;
  transformer: ImageTransformer | undefined;
  transformLimits: TransformLimits & { enabled: boolean; allowedFormats: readonly string[] };
  bodyLimits: BodyLimits;
  /** Counts downloaded bytes (fluxbase_storage_bytes_total{operation="download"}). */
  onSent?: (bytes: number) => void;
}

/** What the caller's request transaction runs as. */
export function callerOf(request: FastifyRequest): RequestContext {
  const p = request.principal;
  return { role: p.role, claims: p.claims, sub: p.userId ?? '', claimsJson: p.claimsJson, method: request.method, path: request.url, requestId: request.id };
}

/** Bucket management (after the admin check): the service role. */
export function adminOf(request: FastifyRequest): RequestContext {
  return { role: 'service_role', claims: { role: 'service_role' }, sub: '', method: request.method, path: request.url, requestId: request.id };
}

/** The `*` of a route: the object's path, percent-decoded once (name-rules.ts checks the result). */
export function objectPath(request: FastifyRequest): string {
  const raw = (request.params as { '*'?: string })['*'] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', { message: 'The object path is not valid percent-encoding', details: { fields: { path: 'is not valid percent-encoding' } } });
  }
}

export function bucketParam(request: FastifyRequest): string {
  return (request.params as { bucket?: string }).bucket ?? '';
}

const MAX_JSON_BYTES = 64 * 1024;

/** A small JSON object body from the raw scope (move, copy, sign, share): `{}` when empty. */
export async function jsonBody(request: FastifyRequest): Promise<Record<string, unknown>> {
  const stream = request.body as Readable | undefined;
  if (!stream || typeof (stream as Readable).on !== 'function') return {};
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream) {
    total += (c as Buffer).length;
    if (total > MAX_JSON_BYTES) throw new AppError('PAYLOAD_TOO_LARGE', { message: `This JSON body is limited to ${MAX_JSON_BYTES / 1024} KB` });
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new AppError('INVALID_JSON', { message: `Request body is not valid JSON: ${(err as Error).message}` });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new AppError('INVALID_REQUEST_BODY', { message: 'The body must be a JSON object' });
  return v as Record<string, unknown>;
}
