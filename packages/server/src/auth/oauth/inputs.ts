// Reading the OAuth routes' inputs: single-valued query parameters and body fields of the
// expected type and length, with API.md's 400 errors naming the field.
import { AppError } from '../../http/index.ts';
import { invalidField as invalid, objectOrEmpty } from '../core/body.ts';
import { parseScopes } from './provider-spec.ts';

export type Fields = Record<string, unknown>;

/** The parsed JSON body as an object, or 400 INVALID_REQUEST_BODY. */
export const bodyObject = objectOrEmpty;

/** An optional string (query parameter or body field) of at most `max` characters. */
export function optionalString(source: Fields, field: string, max = 2048): string | undefined {
  const value = source[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) throw invalid(field, 'must be given once');
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`);
  return value;
}

export function requiredString(source: Fields, field: string, max = 2048): string {
  const value = optionalString(source, field, max);
  if (value === undefined) throw new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
  return value;
}

/** `scopes`: space- or comma-separated scope tokens. */
export function optionalScopes(source: Fields): string[] {
  const raw = optionalString(source, 'scopes', 4096);
  if (raw === undefined) return [];
  const parsed = parseScopes(raw);
  if (typeof parsed === 'string') throw invalid('scopes', parsed);
  return parsed;
}

/** `redirect=true` (also `1`); anything else but absent/`false`/`0` is 400. */
export function optionalFlag(source: Fields, field: string): boolean {
  const value = optionalString(source, field, 5);
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  throw invalid(field, 'must be true or false');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function uuidParam(value: string, what: string): string {
  if (!UUID.test(value)) throw new AppError('INVALID_ID', { message: `${what} must be a UUID`, details: { field: 'id' } });
  return value.toLowerCase();
}

const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

/**
 * The client's optional PKCE pair start (`code_challenge`, `code_challenge_method=S256`):
 * only S256 is accepted (a plain challenge would bind nothing the URL does not show).
 */
export function optionalClientChallenge(source: Fields): string | undefined {
  const challenge = optionalString(source, 'code_challenge', 128);
  const method = optionalString(source, 'code_challenge_method', 10);
  if (challenge === undefined) {
    if (method !== undefined) throw invalid('code_challenge', 'is required with code_challenge_method');
    return undefined;
  }
  if (method !== 'S256') throw invalid('code_challenge_method', 'must be S256');
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw invalid('code_challenge', 'must be a base64url SHA-256 (43 characters)');
  return challenge;
}

/** The client's `code_verifier` at the callback (RFC 7636 syntax). */
export function optionalClientVerifier(source: Fields): string | undefined {
  const verifier = optionalString(source, 'code_verifier', 128);
  if (verifier !== undefined && !PKCE_VALUE.test(verifier)) throw invalid('code_verifier', 'must be 43 to 128 unreserved characters');
  return verifier;
}
