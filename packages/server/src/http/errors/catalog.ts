// The closed error catalog (docs/errors.md; the PostgREST codes: docs/rest.md "Errors"): one
// code, one HTTP status, one short sentence (`error`), and the code used on the PostgREST
// mount where one is listed.

export interface CatalogEntry {
  status: number;
  error: string;
  /** `code` on /rest/v1 (a PGRST code); absent means the Fluxbase code or the SQLSTATE is used. */
  pgrst?: string;
}

export const CATALOG = {
  INVALID_JSON: { status: 400, error: 'Invalid JSON', pgrst: 'PGRST102' },
  JSON_TOO_DEEP: { status: 400, error: 'JSON too deep', pgrst: 'PGRST102' },
  INVALID_REQUEST_BODY: { status: 400, error: 'Invalid request body', pgrst: 'PGRST102' },
  MISSING_REQUIRED_FIELD: { status: 400, error: 'Missing required field' },
  VALIDATION_FAILED: { status: 400, error: 'Validation failed' },
  INVALID_INPUT: { status: 400, error: 'Invalid input' },
  INVALID_ID: { status: 400, error: 'Invalid id' },
  INVALID_FORMAT: { status: 400, error: 'Invalid format' },
  INVALID_QUERY: { status: 400, error: 'Invalid query', pgrst: 'PGRST100' },
  INVALID_FILTER: { status: 400, error: 'Invalid filter', pgrst: 'PGRST100' },
  INVALID_CURSOR: { status: 400, error: 'Invalid cursor', pgrst: 'PGRST100' },
  UNKNOWN_COLUMN: { status: 400, error: 'Unknown column', pgrst: 'PGRST204' },
  UNKNOWN_RELATIONSHIP: { status: 400, error: 'Unknown relationship', pgrst: 'PGRST200' },
  AMBIGUOUS_RELATIONSHIP: { status: 300, error: 'Ambiguous relationship', pgrst: 'PGRST201' },
  INVALID_PREFERENCE: { status: 400, error: 'Invalid preference', pgrst: 'PGRST122' },
  MAX_AFFECTED_EXCEEDED: { status: 400, error: 'Too many rows affected', pgrst: 'PGRST124' },
  FILTER_REQUIRED: { status: 400, error: 'Filter required', pgrst: '21000' },
  BATCH_TOO_LARGE: { status: 400, error: 'Batch too large' },
  NOT_NULL_VIOLATION: { status: 400, error: 'Missing required value' },
  CHECK_VIOLATION: { status: 400, error: 'Check constraint violated' },
  RAISED_EXCEPTION: { status: 400, error: 'Raised exception' },
  IDEMPOTENCY_KEY_TOO_LONG: { status: 400, error: 'Idempotency key too long' },
  INVALID_2FA_CODE: { status: 400, error: 'Invalid 2FA code' },
  INVALID_ONE_TIME_TOKEN: { status: 400, error: 'Invalid or expired token' },
  INVALID_REDIRECT_URL: { status: 400, error: 'Invalid redirect URL' },
  INVALID_OAUTH_STATE: { status: 400, error: 'Invalid OAuth state' },
  FUNCTION_BUNDLE_ERROR: { status: 400, error: 'Function bundle error' },
  PHONE_PROVIDER_DISABLED: { status: 400, error: 'Phone sign-in is not available' },
  MISSING_AUTHENTICATION: { status: 401, error: 'Authentication required', pgrst: 'PGRST302' },
  AUTHENTICATION_REQUIRED: { status: 401, error: 'Authentication required' },
  INVALID_TOKEN: { status: 401, error: 'Invalid token', pgrst: 'PGRST301' },
  INVALID_API_KEY: { status: 401, error: 'Invalid API key', pgrst: 'PGRST301' },
  EXPIRED_TOKEN: { status: 401, error: 'Token expired', pgrst: 'PGRST303' },
  TOKEN_REVOKED: { status: 401, error: 'Token revoked', pgrst: 'PGRST303' },
  INVALID_CREDENTIALS: { status: 401, error: 'Invalid credentials' },
  INVALID_REFRESH_TOKEN: { status: 401, error: 'Invalid refresh token' },
  REFRESH_TOKEN_REUSED: { status: 401, error: 'Refresh token reused' },
  INVALID_ID_TOKEN: { status: 401, error: 'Invalid ID token' },
  INVALID_SIGNED_URL: { status: 401, error: 'Invalid signed URL' },
  INSUFFICIENT_PERMISSIONS: { status: 403, error: 'Insufficient permissions' },
  RLS_POLICY_VIOLATION: { status: 403, error: 'Insufficient permissions' },
  ADMIN_REQUIRED: { status: 403, error: 'Admin access required' },
  ACCESS_DENIED: { status: 403, error: 'Access denied' },
  ACCOUNT_LOCKED: { status: 403, error: 'Account locked' },
  EMAIL_NOT_VERIFIED: { status: 403, error: 'Email not verified' },
  SIGNUP_DISABLED: { status: 403, error: 'Signup disabled' },
  PASSWORD_LOGIN_DISABLED: { status: 403, error: 'Password login disabled' },
  FUNCTION_DISABLED: { status: 403, error: 'Function disabled' },
  NOT_FOUND: { status: 404, error: 'Not found', pgrst: 'PGRST125' },
  TABLE_NOT_FOUND: { status: 404, error: 'Table not found', pgrst: 'PGRST205' },
  FUNCTION_NOT_FOUND: { status: 404, error: 'Function not found', pgrst: 'PGRST202' },
  FEATURE_DISABLED: { status: 404, error: 'Feature disabled' },
  AMBIGUOUS_FUNCTION: { status: 300, error: 'Ambiguous function', pgrst: 'PGRST203' },
  METHOD_NOT_ALLOWED: { status: 405, error: 'Method not allowed', pgrst: 'PGRST101' },
  // A plain request to the realtime WebSocket endpoint (docs/realtime.md "Connecting").
  UPGRADE_REQUIRED: { status: 426, error: 'Upgrade required' },
  NOT_ACCEPTABLE: { status: 406, error: 'Not acceptable', pgrst: 'PGRST107' },
  SCHEMA_NOT_EXPOSED: { status: 406, error: 'Schema not exposed', pgrst: 'PGRST106' },
  SINGLE_OBJECT_EXPECTED: { status: 406, error: 'Single object expected', pgrst: 'PGRST116' },
  ALREADY_EXISTS: { status: 409, error: 'Already exists' },
  BUCKET_NOT_EMPTY: { status: 409, error: 'Bucket not empty' },
  DUPLICATE_KEY: { status: 409, error: 'Duplicate key' },
  FOREIGN_KEY_VIOLATION: { status: 409, error: 'Foreign key violation' },
  CONFLICT: { status: 409, error: 'Conflict' },
  TRANSACTION_CONFLICT: { status: 409, error: 'Transaction conflict' },
  IDEMPOTENCY_REQUEST_IN_PROGRESS: { status: 409, error: 'Request in progress' },
  REQUEST_TIMEOUT: { status: 408, error: 'Request timeout' },
  PRECONDITION_FAILED: { status: 412, error: 'Precondition failed' },
  PAYLOAD_TOO_LARGE: { status: 413, error: 'Payload Too Large' },
  FILE_TOO_LARGE: { status: 413, error: 'File too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, error: 'Unsupported media type', pgrst: 'PGRST107' },
  RANGE_NOT_SATISFIABLE: { status: 416, error: 'Range not satisfiable', pgrst: 'PGRST103' },
  IDEMPOTENCY_KEY_MISMATCH: { status: 422, error: 'Idempotency key mismatch' },
  IDEMPOTENCY_REQUEST_BODY_MISMATCH: { status: 422, error: 'Idempotency request body mismatch' },
  WEAK_PASSWORD: { status: 422, error: 'Weak password' },
  RATE_LIMITED: { status: 429, error: 'Rate limit exceeded' },
  TOTP_ATTEMPTS_EXCEEDED: { status: 429, error: 'Too many 2FA attempts' },
  HEADER_TOO_LARGE: { status: 431, error: 'Request headers too large' },
  INTERNAL_ERROR: { status: 500, error: 'Internal server error', pgrst: 'PGRSTX00' },
  DATABASE_ERROR: { status: 500, error: 'Database error' },
  OPERATION_FAILED: { status: 500, error: 'Operation failed' },
  FUNCTION_ERROR: { status: 500, error: 'Function error' },
  NOT_IMPLEMENTED: { status: 501, error: 'Not implemented', pgrst: 'PGRST127' },
  EMAIL_SEND_FAILED: { status: 502, error: 'Email send failed' },
  OAUTH_PROVIDER_ERROR: { status: 502, error: 'OAuth provider error' },
  SERVICE_UNAVAILABLE: { status: 503, error: 'Service unavailable', pgrst: 'PGRST003' },
  STATEMENT_TIMEOUT: { status: 504, error: 'Statement timeout' },
  FUNCTION_TIMEOUT: { status: 504, error: 'Function timeout' },
  HANDLER_TIMEOUT: { status: 504, error: 'Handler timeout' },
  // Retired codes of upstream Fluxbase, never emitted (upstream code → ours):
  //   REVOKED_TOKEN → TOKEN_REVOKED; RATE_LIMIT_EXCEEDED, TOO_MANY_REQUESTS → RATE_LIMITED;
  //   INVALID_USER_ID → INVALID_ID; INVALID_ROLE → VALIDATION_FAILED;
  //   SETUP_REQUIRED, SETUP_ALREADY_COMPLETED, SETUP_DISABLED, INVALID_SETUP_TOKEN (no setup wizard).
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof CATALOG;

export function catalogEntry(code: ErrorCode): CatalogEntry {
  return CATALOG[code];
}
