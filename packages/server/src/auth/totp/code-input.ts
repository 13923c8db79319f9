// Reading a second-factor code from a request body: a 6-digit TOTP code or a recovery
// code (`XXXXX-XXXXX`, any case). Anything else is a 400 before any attempt is counted:
// it could never match, so it tells nothing about the secret.
import { AppError } from '../../http/index.ts';
import { normalizeRecoveryCode } from './recovery-codes.ts';

export type ParsedCode = { kind: 'totp'; value: string } | { kind: 'recovery_code'; value: string };

const MAX_CODE_LENGTH = 64;

export function missingField(field: string): AppError {
  return new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
}

export function invalidField(field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', { message: `${field} ${problem}`, details: { fields: { [field]: problem } } });
}

/** `allowRecovery: false` for routes that need the current TOTP code itself. */
export function parseCode(value: unknown, options: { field?: string; allowRecovery?: boolean } = {}): ParsedCode {
  const field = options.field ?? 'code';
  const allowRecovery = options.allowRecovery ?? true;
  if (value === undefined || value === null || value === '') throw missingField(field);
  if (typeof value !== 'string' || value.length > MAX_CODE_LENGTH) throw invalidField(field, 'must be a string of at most 64 characters');
  const compact = value.replace(/\s/g, '');
  if (/^\d{6}$/.test(compact)) return { kind: 'totp', value: compact };
  const recovery = allowRecovery ? normalizeRecoveryCode(compact) : null;
  if (recovery !== null) return { kind: 'recovery_code', value: recovery };
  throw invalidField(field, allowRecovery ? 'must be a 6-digit code or a recovery code (XXXXX-XXXXX)' : 'must be the current 6-digit code');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseUserId(value: unknown, field = 'user_id'): string {
  if (value === undefined || value === null || value === '') throw missingField(field);
  if (typeof value !== 'string' || !UUID.test(value)) throw invalidField(field, 'must be a user id (UUID)');
  return value.toLowerCase();
}

/** An optional string field: undefined when absent, 400 when of another type or too long. */
export function optionalString(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > maxLength) throw invalidField(field, `must be a string of at most ${maxLength} characters`);
  return value;
}

/** The JSON body as an object (a missing body reads as `{}`). */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('INVALID_REQUEST_BODY', { message: 'The request body must be a JSON object' });
  }
  return body as Record<string, unknown>;
}
