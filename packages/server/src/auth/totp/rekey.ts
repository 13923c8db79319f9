// Rotating `encryption_key` for TOTP: re-seal every stored secret (enabled factors and
// pending setups) from the old key to the new one in one transaction. Idempotent: a value
// the new key already opens is left alone, so an interrupted run can simply be repeated.
// A value neither key opens aborts the whole run (nothing changes).
import type { Sql } from '../../db/index.ts';
import type { SecretBox } from '../deps.ts';

export interface RekeyResult {
  /** Secrets re-sealed under the new key. */
  resealed: number;
  /** Secrets the new key already opened. */
  unchanged: number;
}

function opens(box: SecretBox, sealed: string): string | null {
  try {
    return box.decrypt(sealed);
  } catch {
    return null;
  }
}

/** `sql`: a connection allowed to update auth.totp_factors and auth.totp_setups (owner or authenticator). */
export async function rekeyTotpSecrets(sql: Sql, from: SecretBox, to: SecretBox): Promise<RekeyResult> {
  return sql.begin(async (tx) => {
    const result: RekeyResult = { resealed: 0, unchanged: 0 };
    for (const table of ['totp_factors', 'totp_setups'] as const) {
      const rows = await tx<{ user_id: string; secret_enc: string }[]>`
        select user_id, secret_enc from ${tx('auth')}.${tx(table)} order by user_id for update`;
      for (const row of rows) {
        if (opens(to, row.secret_enc) !== null) {
          result.unchanged++;
          continue;
        }
        const plain = opens(from, row.secret_enc);
        if (plain === null) throw new Error(`a TOTP secret in auth.${table} (user ${row.user_id}) opens with neither key; nothing was changed`);
        await tx`update ${tx('auth')}.${tx(table)} set secret_enc = ${to.encrypt(plain)} where user_id = ${row.user_id}::uuid`;
        result.resealed++;
      }
    }
    return result;
  }) as Promise<RekeyResult>;
}
