// Providers managed through the admin API: rows of auth.oauth_providers, the client secret
// sealed under encryption_key. Read on each use (the table is tiny), so a change made on
// one instance applies on every instance at once.
import type { Pool } from '../../db/index.ts';
import type { SecretBox } from '../deps.ts';
import { authQuery } from '../core/db.ts';
import { buildProviderSpec, type ProviderInput, type ProviderSpec, type Problems } from './provider-spec.ts';

export interface ProviderRow {
  name: string;
  display_name: string | null;
  client_id: string;
  client_secret_enc: string | null;
  issuer_url: string | null;
  authorize_url: string | null;
  token_url: string | null;
  userinfo_url: string | null;
  jwks_url: string | null;
  scopes: string[];
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Validated values to write (client_secret: undefined keeps, null clears). */
export interface ProviderWrite {
  display_name: string | null;
  client_id: string;
  client_secret: string | null | undefined;
  issuer_url: string | null;
  authorize_url: string | null;
  token_url: string | null;
  userinfo_url: string | null;
  jwks_url: string | null;
  scopes: string[];
  enabled: boolean;
}

export class ProviderStore {
  constructor(private readonly pool: Pool, private readonly secrets: SecretBox) {}

  async all(): Promise<ProviderRow[]> {
    return authQuery(this.pool, (sql) => sql<ProviderRow[]>`select * from auth.oauth_providers order by name`);
  }

  async find(name: string): Promise<ProviderRow | undefined> {
    const rows = await authQuery(this.pool, (sql) => sql<ProviderRow[]>`select * from auth.oauth_providers where name = ${name}`);
    return rows[0];
  }

  /** Inserts; returns undefined when the name is taken. */
  async insert(name: string, w: ProviderWrite): Promise<ProviderRow | undefined> {
    const secret = typeof w.client_secret === 'string' ? this.secrets.encrypt(w.client_secret) : null;
    const rows = await authQuery(this.pool, (sql) => sql<ProviderRow[]>`
      insert into auth.oauth_providers (name, display_name, client_id, client_secret_enc, issuer_url, authorize_url, token_url,
                                        userinfo_url, jwks_url, scopes, enabled)
      values (${name}, ${w.display_name}, ${w.client_id}, ${secret}, ${w.issuer_url}, ${w.authorize_url}, ${w.token_url},
              ${w.userinfo_url}, ${w.jwks_url}, ${w.scopes}::text[], ${w.enabled})
      on conflict (name) do nothing
      returning *`);
    return rows[0];
  }

  async update(name: string, w: ProviderWrite): Promise<ProviderRow | undefined> {
    const keep = w.client_secret === undefined;
    const secret = typeof w.client_secret === 'string' ? this.secrets.encrypt(w.client_secret) : null;
    const rows = await authQuery(this.pool, (sql) => sql<ProviderRow[]>`
      update auth.oauth_providers set
        display_name = ${w.display_name}, client_id = ${w.client_id},
        client_secret_enc = case when ${keep} then client_secret_enc else ${secret} end,
        issuer_url = ${w.issuer_url}, authorize_url = ${w.authorize_url}, token_url = ${w.token_url},
        userinfo_url = ${w.userinfo_url}, jwks_url = ${w.jwks_url}, scopes = ${w.scopes}::text[], enabled = ${w.enabled},
        updated_at = now()
      where name = ${name}
      returning *`);
    return rows[0];
  }

  async delete(name: string): Promise<boolean> {
    const result = await authQuery(this.pool, (sql) => sql`delete from auth.oauth_providers where name = ${name}`);
    return result.count > 0;
  }

  /** The row as a spec; undefined (and `problems` filled) when it no longer validates. */
  toSpec(row: ProviderRow, problems: Problems = {}): ProviderSpec | undefined {
    return buildProviderSpec(row.name, this.toInput(row), 'database', problems);
  }

  /** The row as operator input (secret decrypted), for validation and for PATCH merging. */
  toInput(row: ProviderRow): ProviderInput {
    return {
      display_name: row.display_name,
      client_id: row.client_id,
      client_secret: row.client_secret_enc === null ? undefined : this.secrets.decrypt(row.client_secret_enc),
      issuer_url: row.issuer_url,
      authorize_url: row.authorize_url,
      token_url: row.token_url,
      userinfo_url: row.userinfo_url,
      jwks_url: row.jwks_url,
      scopes: row.scopes,
      enabled: row.enabled,
    };
  }
}
