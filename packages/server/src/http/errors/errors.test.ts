import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../../db/index.ts';
import { AppError } from './app-error.ts';
import { CATALOG } from './catalog.ts';
import { fromPgError } from './pg.ts';
import { renderError, toAppError } from './render.ts';

const pg = (code: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(extra.message as string ?? `pg ${code}`), { name: 'PostgresError', severity: 'ERROR', code, ...extra });

describe('catalog', () => {
  it('has the documented codes (docs/errors.md) with one status each', () => {
    expect(Object.keys(CATALOG).length).toBeGreaterThanOrEqual(30);
    expect(CATALOG.PAYLOAD_TOO_LARGE.status).toBe(413);
    expect(CATALOG.SERVICE_UNAVAILABLE.status).toBe(503);
    expect(CATALOG.AMBIGUOUS_RELATIONSHIP.status).toBe(300);
    expect(CATALOG.HEADER_TOO_LARGE.status).toBe(431);
    for (const [code, e] of Object.entries(CATALOG)) {
      expect(code).toMatch(/^[A-Z0-9_]+$/);
      expect(e.status).toBeGreaterThanOrEqual(300);
    }
  });
});

describe('SQLSTATE mapping', () => {
  it.each([
    ['23505', 'DUPLICATE_KEY', 409],
    ['23503', 'FOREIGN_KEY_VIOLATION', 409],
    ['23502', 'NOT_NULL_VIOLATION', 400],
    ['23514', 'CHECK_VIOLATION', 400],
    ['23P01', 'CONFLICT', 409],
    ['P0001', 'RAISED_EXCEPTION', 400],
    ['22P02', 'INVALID_INPUT', 400],
    ['22003', 'INVALID_INPUT', 400],
    ['42703', 'UNKNOWN_COLUMN', 400],
    ['42P01', 'TABLE_NOT_FOUND', 404],
    ['42883', 'FUNCTION_NOT_FOUND', 404],
    ['40001', 'TRANSACTION_CONFLICT', 409],
    ['40P01', 'TRANSACTION_CONFLICT', 409],
    ['57014', 'STATEMENT_TIMEOUT', 504],
    ['57P01', 'SERVICE_UNAVAILABLE', 503],
    ['08006', 'SERVICE_UNAVAILABLE', 503],
    ['53300', 'SERVICE_UNAVAILABLE', 503],
    ['XX000', 'DATABASE_ERROR', 500],
  ])('%s → %s', (sqlstate, code, status) => {
    const e = toAppError(pg(sqlstate), { anonymous: false });
    expect([e.code, e.status]).toEqual([code, status]);
  });

  it('maps 42501 by principal and message', () => {
    expect(fromPgError(pg('42501', { message: 'permission denied for table t' }), { anonymous: true }).code).toBe('AUTHENTICATION_REQUIRED');
    expect(fromPgError(pg('42501', { message: 'new row violates row-level security policy for table "t"' }), { anonymous: false }).code).toBe('RLS_POLICY_VIOLATION');
    expect(fromPgError(pg('42501', { message: 'permission denied for table t' }), { anonymous: false }).code).toBe('INSUFFICIENT_PERMISSIONS');
  });

  it('gives table, column and constraint but never row values on /api/v1', () => {
    const e = fromPgError(pg('23505', {
      message: 'duplicate key value violates unique constraint "users_email_key"', detail: 'Key (email)=(secret@x.com) already exists.',
      table_name: 'users', schema_name: 'public', constraint_name: 'users_email_key',
    }), { anonymous: false });
    const body = renderError(e, 'rid', 'fluxbase');
    expect(body).toEqual({
      error: 'Duplicate key', code: 'DUPLICATE_KEY', message: 'A row with the same value already exists (constraint users_email_key)',
      details: { table: 'public.users', constraint: 'users_email_key' }, request_id: 'rid',
    });
    expect(JSON.stringify(body)).not.toContain('secret@x.com');
  });

  it('renders PostgreSQL code, message, detail and hint on /rest/v1', () => {
    const e = fromPgError(pg('23505', { message: 'duplicate key value', detail: 'Key (id)=(1) already exists.', hint: undefined }), { anonymous: false });
    expect(renderError(e, 'rid', 'postgrest')).toEqual({ code: '23505', message: 'duplicate key value', details: 'Key (id)=(1) already exists.', hint: null, request_id: 'rid' });
  });

  it('never reveals database text for unmapped errors, on either mount', () => {
    const e = toAppError(pg('XX000', { message: 'relation secret_table internal failure', detail: 'select * from secret_table' }), { anonymous: false });
    for (const mount of ['fluxbase', 'postgrest'] as const) {
      const text = JSON.stringify(renderError(e, 'r', mount));
      expect(text).not.toContain('secret_table');
    }
  });
});

describe('envelope', () => {
  it('omits empty message, details and hint', () => {
    expect(renderError(new AppError('NOT_FOUND'), 'r', 'fluxbase')).toEqual({ error: 'Not found', code: 'NOT_FOUND', request_id: 'r' });
  });

  it('uses the PGRST code on /rest/v1 where one is listed', () => {
    expect(renderError(new AppError('INVALID_TOKEN', { message: 'bad' }), 'r', 'postgrest')).toEqual({ code: 'PGRST301', message: 'bad', details: null, hint: null, request_id: 'r' });
  });

  it('turns unknown errors into a 500 without their text', () => {
    const e = toAppError(new Error('ENOENT /etc/secret/config.yaml'), { anonymous: false });
    expect(e.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(renderError(e, 'r', 'fluxbase'))).not.toContain('/etc/secret');
  });

  it('maps pool exhaustion and unreachable databases to 503 with Retry-After', () => {
    const e = toAppError(new DatabaseUnavailableError('x', 'pool_wait_timeout'), { anonymous: false });
    expect([e.code, e.headers['Retry-After']]).toEqual(['SERVICE_UNAVAILABLE', '1']);
    const n = toAppError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), { anonymous: false });
    expect([n.code, n.headers['Retry-After']]).toEqual(['SERVICE_UNAVAILABLE', '5']);
  });
});
