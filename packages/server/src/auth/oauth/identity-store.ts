// auth.identities: provider accounts linked to users, unique by (provider, subject), with
// the provider's tokens sealed under encryption_key. Single statements with ON CONFLICT so
// concurrent callbacks for one account cannot link it twice.
import type { Pool } from '../../db/index.ts';
import type { SecretBox } from '../deps.ts';
import { authQuery, authTx } from '../core/db.ts';
import type { Profile } from './profile.ts';
import type { TokenSet } from './provider-http.ts';

export interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  provider_subject: string;
  email: string | null;
  identity_data: Record<string, unknown>;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  token_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  last_sign_in_at: Date | null;
}

/** GET /user/identities item (Supabase's UserIdentity names; `identity_id` = provider subject). */
export interface IdentityWire {
  id: string;
  user_id: string;
  provider: string;
  identity_id: string;
  email: string | null;
  identity_data: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  last_sign_in_at: string | null;
}

export interface ProviderTokens {
  access_token: string;
  refresh_token?: string;
  /** Unix seconds. */
  expires_at?: number;
}

export type UnlinkOutcome = 'deleted' | 'not_found' | 'last_method';

export function identityWire(row: IdentityRow): IdentityWire {
  return {
    id: row.id,
    user_id: row.user_id,
    provider: row.provider,
    identity_id: row.provider_subject,
    email: row.email,
    identity_data: row.identity_data,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    last_sign_in_at: row.last_sign_in_at?.toISOString() ?? null,
  };
}

export class IdentityStore {
  constructor(private readonly pool: Pool, private readonly secrets: SecretBox) {}

  async findBySubject(provider: string, subject: string): Promise<IdentityRow | undefined> {
    const rows = await authQuery(this.pool, (sql) => sql<IdentityRow[]>`
      select * from auth.identities where provider = ${provider} and provider_subject = ${subject}`);
    return rows[0];
  }

  /** Links the account to `userId`; undefined when (provider, subject) is already linked. */
  async insert(userId: string, provider: string, profile: Profile, tokens: TokenSet | undefined): Promise<IdentityRow | undefined> {
    const t = this.sealed(tokens);
    const rows = await authQuery(this.pool, (sql) => sql<IdentityRow[]>`
      insert into auth.identities (user_id, provider, provider_subject, email, identity_data,
                                   access_token_enc, refresh_token_enc, token_expires_at, last_sign_in_at)
      values (${userId}, ${provider}, ${profile.subject}, ${profile.email}, ${sql.json(profile.data as never)},
              ${t.access}, ${t.refresh}, ${t.expiresAt}, now())
      on conflict (provider, provider_subject) do nothing
      returning *`);
    return rows[0];
  }

  /** A sign-in through an existing identity: fresh profile data and tokens. */
  async recordSignIn(id: string, profile: Profile, tokens: TokenSet | undefined): Promise<void> {
    const t = this.sealed(tokens);
    await authQuery(this.pool, (sql) => sql`
      update auth.identities set
        email = ${profile.email}, identity_data = ${sql.json(profile.data as never)},
        access_token_enc = coalesce(${t.access}, access_token_enc),
        -- Providers often send a refresh token only on first consent: keep the old one.
        refresh_token_enc = coalesce(${t.refresh}, refresh_token_enc),
        token_expires_at = case when ${t.access}::text is null then token_expires_at else ${t.expiresAt}::timestamptz end,
        last_sign_in_at = now(), updated_at = now()
      where id = ${id}`);
  }

  async listForUser(userId: string): Promise<IdentityRow[]> {
    return authQuery(this.pool, (sql) => sql<IdentityRow[]>`
      select * from auth.identities where user_id = ${userId} order by created_at, id`);
  }

  /** The stored tokens of the user's most recently used identity at `provider`. */
  async tokensFor(userId: string, provider: string): Promise<ProviderTokens | undefined> {
    const rows = await authQuery(this.pool, (sql) => sql<IdentityRow[]>`
      select * from auth.identities
      where user_id = ${userId} and provider = ${provider} and access_token_enc is not null
      order by last_sign_in_at desc nulls last limit 1`);
    const row = rows[0];
    if (!row?.access_token_enc) return undefined;
    const out: ProviderTokens = { access_token: this.secrets.decrypt(row.access_token_enc) };
    if (row.refresh_token_enc) out.refresh_token = this.secrets.decrypt(row.refresh_token_enc);
    if (row.token_expires_at) out.expires_at = Math.floor(row.token_expires_at.getTime() / 1000);
    return out;
  }

  /**
   * Unlinks identity `id` of `userId`, unless it is the user's last way to sign in (no
   * password and no other identity). The user row is locked so two concurrent unlinks
   * cannot both see "another identity remains".
   */
  async unlink(userId: string, id: string): Promise<UnlinkOutcome> {
    return authTx(this.pool, async (sql) => {
      const users = await sql<{ has_password: boolean }[]>`
        select encrypted_password is not null as has_password from auth.users where id = ${userId} for update`;
      const user = users[0];
      if (!user) return 'not_found';
      const ids = (await sql<{ id: string }[]>`select id from auth.identities where user_id = ${userId}`).map((r) => r.id);
      if (!ids.includes(id)) return 'not_found';
      if (!user.has_password && ids.length === 1) return 'last_method';
      await sql`delete from auth.identities where id = ${id} and user_id = ${userId}`;
      return 'deleted';
    });
  }

  private sealed(tokens: TokenSet | undefined): { access: string | null; refresh: string | null; expiresAt: Date | null } {
    if (!tokens) return { access: null, refresh: null, expiresAt: null };
    return {
      access: this.secrets.encrypt(tokens.access_token),
      refresh: tokens.refresh_token === undefined ? null : this.secrets.encrypt(tokens.refresh_token),
      expiresAt: tokens.expires_in === undefined ? null : new Date(Date.now() + tokens.expires_in * 1000),
    };
  }
}
