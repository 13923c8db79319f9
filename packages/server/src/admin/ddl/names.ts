// Names accepted by the DDL routes: any identifier PostgreSQL can store (quoted with
// quoteIdent when used), but not empty, not over 63 bytes (PostgreSQL would silently
// truncate it), not containing NUL, and never one of Fluxbase's internal schemas.
import type { SchemaSnapshot } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { isInternalSchema } from '../params.ts';

const MAX_IDENTIFIER_BYTES = 63;

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', { message, details: { fields: { [field]: message } } });

/** A required identifier from a request body or path. */
export function identifier(value: unknown, field: string): string {
  if (value === undefined || value === null) {
    throw new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
  }
  if (typeof value !== 'string') throw new AppError('INVALID_REQUEST_BODY', { message: `${field} must be a string`, details: { field } });
  if (value === '' || value.trim() !== value) throw invalid(field, `${field} must be a non-empty name without surrounding spaces`);
  if (value.includes('\0')) throw invalid(field, `${field} must not contain NUL`);
  if (Buffer.byteLength(value, 'utf8') > MAX_IDENTIFIER_BYTES) throw invalid(field, `${field} is longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  return value;
}

/** A schema the DDL routes may change: not internal, not a PostgreSQL system schema. */
export function userSchema(value: unknown, field = 'schema'): string {
  const name = identifier(value, field);
  if (isInternalSchema(name)) {
    throw invalid(field, `Schema "${name}" is reserved and cannot be changed here`);
  }
  return name;
}

/** The schema must exist (404 NOT_FOUND otherwise). */
export function existingSchema(snapshot: SchemaSnapshot, name: string): void {
  if (!snapshot.schemas.includes(name)) {
    throw new AppError('NOT_FOUND', { message: `Schema "${name}" not found`, details: { resource: 'schema' } });
  }
}
