// Rotating `encryption_key`: re-seal every AES-GCM value the auth tables hold (OAuth client
// secrets, PKCE verifiers and provider tokens, refresh-token children; TOTP secrets have
// their own module) from the old key to the new one, in the caller's transaction.
// Idempotent: a value the new key already opens is left alone; a value neither key opens
// aborts the run, so nothing changes.
import type postgres from 'postgres';
import type { SecretBox } from '../deps.ts';

/** [table, key column, sealed column] of every sealed value outside TOTP. */
const SEALED_COLUMNS: [string, string, string][] = [
  ['oauth_providers', 'name', 'client_secret_enc'],
  ['oauth_states', 'state_hash', 'code_verifier_enc'],
  ['identities', 'id', 'access_token_enc'],
  ['identities', 'id', 'refresh_token_enc'],
  ['refresh_tokens', 'id', 'child_token_enc'],
];

const opens = (box: SecretBox, sealed: string): string | null => {
  try {
    return box.decrypt(sealed);
  } catch {
    return null;
  }
};

export async function rekeySealedColumns(tx: postgres.TransactionSql, from: SecretBox, to: SecretBox): Promise<{ resealed: number; unchanged: number }> {
  const result = { resealed: 0, unchanged: 0 };
  for (const [table, key, column] of SEALED_COLUMNS) {
    const rows = await tx<{ k: unknown; v: string }[]>`
      select ${tx(key)} as k, ${tx(column)} as v from ${tx('auth')}.${tx(table)} where ${tx(column)} is not null for update`;
    for (const row of rows) {
      if (opens(to, row.v) !== null) {
        result.unchanged++;
        continue;
      }
      const plain = opens(from, row.v);
      if (plain === null) throw new Error(`a value in auth.${table}.${column} opens with neither key; nothing was changed`);
      await tx`update ${tx('auth')}.${tx(table)} set ${tx(column)} = ${to.encrypt(plain)} where ${tx(key)} = ${row.k as string}`;
      result.resealed++;
    }
  }
  return result;
}
