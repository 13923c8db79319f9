// auth.one_time_tokens (docs/auth.md "Token lifetimes and storage"): links carry 32 random
// bytes (base64url), codes six digits; only their SHA-256 is stored. A token is single use
// (consumed by one conditional UPDATE … RETURNING), expires, and a new token of the same
// purpose for the same address (or user) replaces older ones. Codes allow MAX_CODE_ATTEMPTS
// guesses each.
import type { Pool, ReservedSql } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { authTx } from '../core/db.ts';
import { constantTimeEqual, randomDigits, randomToken, sha256 } from '../core/tokens.ts';

export type TokenPurpose = 'magiclink' | 'email_otp' | 'recovery' | 'email_verification' | 'reauthentication' | 'email_change';
export type InvalidReason = 'unknown' | 'used' | 'expired' | 'too_many_attempts';

export const MAX_CODE_ATTEMPTS = 3;
/** Longer inputs cannot be one of our tokens; refused without a lookup. */
const MAX_TOKEN_LENGTH = 256;

export interface TokenRow {
  id: string;
  user_id: string | null;
  email: string;
  purpose: TokenPurpose;
  redirect_to: string | null;
  data: Record<string, unknown>;
}

export interface IssueInput {
  purpose: TokenPurpose;
  email: string;
  userId: string | null;
  ttlMs: number;
  /** `link`: 32 random bytes; `code`: six digits. */
  kind: 'link' | 'code';
  redirectTo?: string | undefined;
  data?: Record<string, unknown>;
}

export function invalidToken(reason: InvalidReason): AppError {
  const messages: Record<InvalidReason, string> = {
    unknown: 'The token or code is not valid',
    used: 'The token or code has already been used',
    expired: 'The token or code has expired; ask for a new one',
    too_many_attempts: 'Too many wrong attempts for this code; ask for a new one',
  };
  return new AppError('INVALID_ONE_TIME_TOKEN', { message: messages[reason], details: { reason } });
}

export async function issueToken(pool: Pool, input: IssueInput): Promise<{ id: string; token: string }> {
  const token = input.kind === 'link' ? randomToken(32) : randomDigits(6);
  const id = await authTx(pool, async (sql) => {
    await sql`
      delete from auth.one_time_tokens
      where purpose = ${input.purpose}
        and (email = ${input.email} or (${input.userId}::uuid is not null and user_id = ${input.userId}::uuid))`;
    const [row] = await sql<{ id: string }[]>`
      insert into auth.one_time_tokens (user_id, email, purpose, token_hash, redirect_to, data, expires_at)
      values (${input.userId}, ${input.email}, ${input.purpose}, ${sha256(token)}, ${input.redirectTo ?? null},
              ${sql.json((input.data ?? {}) as never)}, now() + ${input.ttlMs} * interval '1 millisecond')
      returning id`;
    return row!.id;
  });
  return { id, token };
}

export async function deleteToken(pool: Pool, id: string): Promise<void> {
  await pool.withConnection((sql) => sql`delete from auth.one_time_tokens where id = ${id}`);
}

/** Consume a link token of one of `purposes` inside the caller's transaction, or throw 400 with the reason. */
export async function consumeLinkToken(sql: ReservedSql, purposes: TokenPurpose[], token: string): Promise<TokenRow> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidToken('unknown');
  const hash = sha256(token);
  const [row] = await sql<TokenRow[]>`
    update auth.one_time_tokens set consumed_at = now()
    where token_hash = ${hash} and purpose in ${sql(purposes)} and consumed_at is null and expires_at > now()
    returning id, user_id, email, purpose, redirect_to, data`;
  if (row) return row;
  throw invalidToken(await whyInvalid(sql, purposes, hash));
}

/** Check a link token without consuming it (POST /password/reset/verify). */
export async function checkLinkToken(pool: Pool, purposes: TokenPurpose[], token: string): Promise<void> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw invalidToken('unknown');
  const hash = sha256(token);
  await pool.withConnection(async (sql) => {
    const [row] = await sql`
      select 1 from auth.one_time_tokens
      where token_hash = ${hash} and purpose in ${sql(purposes)} and consumed_at is null and expires_at > now()`;
    if (!row) throw invalidToken(await whyInvalid(sql, purposes, hash));
  });
}

async function whyInvalid(sql: ReservedSql, purposes: TokenPurpose[], hash: Buffer): Promise<InvalidReason> {
  const [row] = await sql<{ used: boolean; expired: boolean }[]>`
    select consumed_at is not null as used, expires_at <= now() as expired from auth.one_time_tokens
    where token_hash = ${hash} and purpose in ${sql(purposes)} order by created_at desc limit 1`;
  if (!row) return 'unknown';
  return row.used ? 'used' : row.expired ? 'expired' : 'unknown';
}

export interface CodeInput {
  purpose: 'email_otp' | 'reauthentication';
  /** The newest code of this address (email OTP) or of this user (reauthentication nonce). */
  owner: { email: string } | { userId: string };
  code: string;
}

type CodeCheck = { ok: true; row: TokenRow } | { ok: false; reason: InvalidReason };

/**
 * Check a code against the newest code issued to its owner, counting the attempt. The
 * attempt is committed even when the code is wrong, so the limit holds; a code that has
 * been guessed at MAX_CODE_ATTEMPTS times is refused even when right.
 */
export async function consumeCode(pool: Pool, input: CodeInput): Promise<TokenRow> {
  const result = await authTx<CodeCheck>(pool, async (sql) => {
    const owner = 'email' in input.owner ? sql`email = ${input.owner.email}` : sql`user_id = ${input.owner.userId}`;
    const [row] = await sql<(TokenRow & { token_hash: Buffer; attempts: number; used: boolean; expired: boolean })[]>`
      select id, user_id, email, purpose, redirect_to, data, token_hash, attempts,
             consumed_at is not null as used, expires_at <= now() as expired
      from auth.one_time_tokens where purpose = ${input.purpose} and ${owner}
      order by created_at desc limit 1 for update`;
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.used) return { ok: false, reason: 'used' };
    if (row.expired) return { ok: false, reason: 'expired' };
    if (row.attempts >= MAX_CODE_ATTEMPTS) return { ok: false, reason: 'too_many_attempts' };
    const right = input.code.length <= MAX_TOKEN_LENGTH && constantTimeEqual(sha256(input.code), row.token_hash);
    await sql`
      update auth.one_time_tokens set attempts = attempts + 1, consumed_at = ${right ? sql`now()` : sql`null`}
      where id = ${row.id}`;
    if (!right) return { ok: false, reason: 'unknown' };
    const { id, user_id, email, purpose, redirect_to, data } = row;
    return { ok: true, row: { id, user_id, email, purpose, redirect_to, data } };
  });
  if (!result.ok) throw invalidToken(result.reason);
  return result.row;
}
