// Request-body checks shared by every auth route (core, email, OAuth, admin users): the
// body must be a JSON object, fields have the stated types, and admin-only fields are
// refused with the fields named.
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../http/index.ts';

export type Body = Record<string, unknown>;

/** The parsed body as an object; no body reads as `{}` (required fields then report themselves). */
export function objectOrEmpty(body: unknown): Body {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('INVALID_REQUEST_BODY', { message: 'The body must be a JSON object' });
  return body as Body;
}

export function objectBody(request: FastifyRequest, optional = false): Body {
  if ((request.body === undefined || request.body === null) && !optional) {
    throw new AppError('INVALID_REQUEST_BODY', { message: 'Send a JSON object body' });
  }
  return objectOrEmpty(request.body);
}

/** 400 VALIDATION_FAILED naming the field. */
export function invalidField(field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', { message: `${field} ${problem}`, details: { fields: { [field]: problem } } });
}

const invalid = invalidField;

export function requiredString(body: Body, field: string, max = 4096): string {
  const v = body[field];
  if (v === undefined || v === null || v === '') throw new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  if (v.length > max) throw invalid(field, `must be at most ${max} characters`);
  return v;
}

export function optionalString(body: Body, field: string, max = 4096): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  if (v.length > max) throw invalid(field, `must be at most ${max} characters`);
  return v;
}

const METADATA_MAX_BYTES = 16 * 1024;

/** A metadata object (JSON object, at most 16 KiB serialised). */
export function optionalMetadata(body: Body, field: string, ...aliases: string[]): Record<string, unknown> | undefined {
  let v = body[field];
  for (const alias of aliases) {
    if (v !== undefined) break;
    const path = alias.split('.');
    let cur: unknown = body;
    for (const part of path) cur = cur !== null && typeof cur === 'object' ? (cur as Body)[part] : undefined;
    v = cur;
  }
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(field, 'must be a JSON object');
  if (Buffer.byteLength(JSON.stringify(v)) > METADATA_MAX_BYTES) throw invalid(field, 'must be at most 16 KB');
  return v as Record<string, unknown>;
}

/** 403 when the body tries to set fields only an admin may set (API.md §16.1). */
export function refuseAdminFields(body: Body, fields: string[]): void {
  const present = fields.filter((f) => body[f] !== undefined);
  if (present.length > 0) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', {
      message: `Only an administrator can set ${present.join(', ')}`,
      details: { fields: Object.fromEntries(present.map((f) => [f, 'admin only'])) },
    });
  }
}
