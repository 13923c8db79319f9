// Function secrets (API.md §11.1 `/api/v1/secrets`; docs/functions.md "Secrets"): values
// are sealed with encryption_key before they reach this module and are never returned by
// the API; only invocation opens them. A namespace secret overrides a global one of the
// same name for that namespace's functions.
import type postgres from 'postgres';
import type { Queryable } from './function-store.ts';

/** AES-256-GCM under encryption_key (app.ts passes the auth subsystem's box). */
export interface Sealer {
  encrypt(plaintext: string): string;
  decrypt(sealed: string): string;
}

export interface SecretRow {
  id: string;
  name: string;
  scope: 'global' | 'namespace';
  namespace: string | null;
  value_enc: string;
  description: string | null;
  expires_at: Date | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SecretRef {
  name: string;
  scope: 'global' | 'namespace';
  namespace: string | null;
}

export async function listSecrets(sql: Queryable): Promise<SecretRow[]> {
  return sql<SecretRow[]>`select * from functions.secrets order by name, scope, namespace nulls first`;
}

export async function findSecret(sql: Queryable, ref: SecretRef): Promise<SecretRow | undefined> {
  const [row] = await sql<SecretRow[]>`
    select * from functions.secrets
    where name = ${ref.name} and scope = ${ref.scope} and coalesce(namespace, '') = ${ref.namespace ?? ''}`;
  return row;
}

/** Insert; undefined when the name is taken in that scope. */
export async function insertSecret(sql: Queryable, row: Omit<SecretRow, 'id' | 'created_at' | 'updated_at'>): Promise<SecretRow | undefined> {
  const [out] = await sql<SecretRow[]>`
    insert into functions.secrets ${sql(row)} on conflict do nothing returning *`;
  return out;
}

export async function updateSecret(sql: Queryable, ref: SecretRef, fields: Partial<Pick<SecretRow, 'value_enc' | 'description' | 'expires_at'>>): Promise<SecretRow | undefined> {
  const set = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const [row] = await sql<SecretRow[]>`
    update functions.secrets set ${sql({ ...set, updated_at: new Date() })}
    where name = ${ref.name} and scope = ${ref.scope} and coalesce(namespace, '') = ${ref.namespace ?? ''}
    returning *`;
  return row;
}

export async function deleteSecret(sql: Queryable, ref: SecretRef): Promise<boolean> {
  const rows = await sql`
    delete from functions.secrets
    where name = ${ref.name} and scope = ${ref.scope} and coalesce(namespace, '') = ${ref.namespace ?? ''}`;
  return rows.count > 0;
}

/** The unexpired secrets a function of `namespace` receives, namespace values over global ones. */
export async function secretsFor(sql: Queryable, namespace: string): Promise<Pick<SecretRow, 'name' | 'scope' | 'value_enc'>[]> {
  return sql<Pick<SecretRow, 'name' | 'scope' | 'value_enc'>[]>`
    select name, scope, value_enc from functions.secrets
    where (scope = 'global' or namespace = ${namespace}) and (expires_at is null or expires_at > now())
    order by name, scope = 'namespace'`;
}

/** Re-seal every secret from one key to the other (`fluxbase encryption-key rotate`); idempotent. */
export async function rekeySecrets(tx: postgres.TransactionSql, from: Sealer, to: Sealer): Promise<{ resealed: number; unchanged: number }> {
  const opens = (box: Sealer, v: string): string | null => {
    try {
      return box.decrypt(v);
    } catch {
      return null;
    }
  };
  const result = { resealed: 0, unchanged: 0 };
  const rows = await tx<{ id: string; value_enc: string }[]>`select id, value_enc from functions.secrets for update`;
  for (const row of rows) {
    if (opens(to, row.value_enc) !== null) {
      result.unchanged++;
      continue;
    }
    const plain = opens(from, row.value_enc);
    if (plain === null) throw new Error('a value in functions.secrets opens with neither key; nothing was changed');
    await tx`update functions.secrets set value_enc = ${to.encrypt(plain)} where id = ${row.id}`;
    result.resealed++;
  }
  return result;
}
