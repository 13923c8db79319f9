// Database access for auth code: the pool runs as the authenticator, which holds direct
// grants on the auth tables (no role switch, no RLS). `authTx` wraps a function in one
// transaction on one reserved connection.
import { inTransaction, type Pool, type ReservedSql } from '../../db/index.ts';

export async function authTx<T>(pool: Pool, fn: (sql: ReservedSql) => Promise<T>): Promise<T> {
  return pool.withConnection((sql) => inTransaction(sql, fn));
}

/** One statement (or a few independent ones) outside a transaction. */
export function authQuery<T>(pool: Pool, fn: (sql: ReservedSql) => Promise<T>): Promise<T> {
  return pool.withConnection(fn);
}
