// SQL for the TOTP tables: pending setups, the enabled factor and recovery codes. Every
// function runs on the caller's connection (usually inside one transaction); single-use
// consumption is one conditional UPDATE … RETURNING, so two requests cannot both win.
import type { ReservedSql } from '../../db/index.ts';

export interface StoredFactor {
  id: string;
  secret_enc: string;
  last_used_step: number;
}

export interface StoredSetup {
  id: string;
  secret_enc: string;
}

/** Start (or restart) enrolment; returns the setup id that becomes the factor id. */
export async function saveSetup(sql: ReservedSql, userId: string, secretEnc: string, ttlMs: number): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into auth.totp_setups (user_id, secret_enc, expires_at)
    values (${userId}::uuid, ${secretEnc}, now() + interval '1 millisecond' * ${ttlMs}::float8)
    on conflict (user_id) do update
      set id = gen_random_uuid(), secret_enc = excluded.secret_enc, created_at = now(), expires_at = excluded.expires_at
    returning id`;
  return row!.id;
}

/** The unexpired pending setup, locked until the transaction ends. */
export async function lockSetup(sql: ReservedSql, userId: string): Promise<StoredSetup | undefined> {
  const [row] = await sql<StoredSetup[]>`
    select id, secret_enc from auth.totp_setups
    where user_id = ${userId}::uuid and expires_at > now() for update`;
  return row;
}

export async function findFactor(sql: ReservedSql, userId: string): Promise<StoredFactor | undefined> {
  const [row] = await sql<{ id: string; secret_enc: string; last_used_step: string }[]>`
    select id, secret_enc, last_used_step from auth.totp_factors where user_id = ${userId}::uuid`;
  return row && { id: row.id, secret_enc: row.secret_enc, last_used_step: Number(row.last_used_step) };
}

/** Turn the pending setup into the factor and flag the user; false when 2FA was already on. */
export async function enableFactor(sql: ReservedSql, userId: string, setup: StoredSetup, usedStep: number): Promise<boolean> {
  const flagged = await sql`
    update auth.users set totp_enabled = true, updated_at = now()
    where id = ${userId}::uuid and not totp_enabled returning id`;
  if (flagged.length === 0) return false;
  await sql`
    insert into auth.totp_factors (user_id, id, secret_enc, last_used_step)
    values (${userId}::uuid, ${setup.id}::uuid, ${setup.secret_enc}, ${usedStep}::bigint)
    on conflict (user_id) do update
      set id = excluded.id, secret_enc = excluded.secret_enc, last_used_step = excluded.last_used_step, created_at = now()`;
  await sql`delete from auth.totp_setups where user_id = ${userId}::uuid`;
  return true;
}

/** Record `step` as used unless it (or a later step) already was: the replay guard. */
export async function consumeStep(sql: ReservedSql, userId: string, step: number): Promise<boolean> {
  const rows = await sql`
    update auth.totp_factors set last_used_step = ${step}::bigint
    where user_id = ${userId}::uuid and last_used_step < ${step}::bigint returning user_id`;
  return rows.length === 1;
}

export async function replaceRecoveryCodes(sql: ReservedSql, userId: string, hashes: string[]): Promise<void> {
  await sql`delete from auth.totp_recovery_codes where user_id = ${userId}::uuid`;
  await sql`
    insert into auth.totp_recovery_codes (user_id, code_hash)
    select ${userId}::uuid, h from unnest(${hashes}::text[]) as h`;
}

export async function unusedRecoveryCodes(sql: ReservedSql, userId: string): Promise<{ id: string; code_hash: string }[]> {
  return sql<{ id: string; code_hash: string }[]>`
    select id, code_hash from auth.totp_recovery_codes where user_id = ${userId}::uuid and used_at is null order by id`;
}

export async function consumeRecoveryCode(sql: ReservedSql, id: string): Promise<boolean> {
  const rows = await sql`
    update auth.totp_recovery_codes set used_at = now() where id = ${id}::bigint and used_at is null returning id`;
  return rows.length === 1;
}

export async function countUnusedRecoveryCodes(sql: ReservedSql, userId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from auth.totp_recovery_codes where user_id = ${userId}::uuid and used_at is null`;
  return row?.n ?? 0;
}

/** Remove every trace of TOTP for the user (factor, setup, codes) and clear the flag. */
export async function removeTotp(sql: ReservedSql, userId: string): Promise<void> {
  await sql`delete from auth.totp_factors where user_id = ${userId}::uuid`;
  await sql`delete from auth.totp_setups where user_id = ${userId}::uuid`;
  await sql`delete from auth.totp_recovery_codes where user_id = ${userId}::uuid`;
  await sql`update auth.users set totp_enabled = false, updated_at = now() where id = ${userId}::uuid and totp_enabled`;
}
