// Secrets for functions (docs/functions.md "Secrets"): sealing on the way in, and the store.
// Opening happens only in FunctionsService when a function runs.
import type { Pool } from '../db/index.ts';
import type { Principal } from '../http/index.ts';
import { deleteSecret, findSecret, insertSecret, listSecrets, updateSecret, type Sealer, type SecretRef, type SecretRow } from './secret-store.ts';

export interface NewSecret {
  name: string;
  value: string;
  scope: 'global' | 'namespace';
  namespace: string | null;
  description: string | null;
  expires_at: Date | null;
}

export class SecretsService {
  /**
   * `changed` runs after every write: warm workers are stopped, since module-level code may
   * have kept an old value (each request gets the current values anyway).
   */
  constructor(private readonly pool: Pool, private readonly sealer: Sealer, private readonly changed: () => Promise<void> = async () => {}) {}

  list(): Promise<SecretRow[]> {
    return this.pool.withConnection((sql) => listSecrets(sql));
  }

  find(ref: SecretRef): Promise<SecretRow | undefined> {
    return this.pool.withConnection((sql) => findSecret(sql, ref));
  }

  async create(s: NewSecret, by: Principal): Promise<SecretRow | undefined> {
    const { value, ...rest } = s;
    const row = await this.pool.withConnection((sql) => insertSecret(sql, { ...rest, value_enc: this.sealer.encrypt(value), created_by: by.userId ?? by.role }));
    if (row) await this.changed();
    return row;
  }

  async update(ref: SecretRef, fields: { value?: string | undefined; description?: string | undefined; expires_at?: Date | undefined }): Promise<SecretRow | undefined> {
    const row = await this.pool.withConnection((sql) => updateSecret(sql, ref, {
      value_enc: fields.value === undefined ? undefined : this.sealer.encrypt(fields.value), description: fields.description, expires_at: fields.expires_at,
    }));
    if (row) await this.changed();
    return row;
  }

  async remove(ref: SecretRef): Promise<boolean> {
    const gone = await this.pool.withConnection((sql) => deleteSecret(sql, ref));
    if (gone) await this.changed();
    return gone;
  }
}
