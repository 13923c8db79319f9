// Pending authorization attempts in auth.oauth_states (seed 3.5): written by `authorize`,
// consumed exactly once by the callback with DELETE … RETURNING, so the callback may land
// on any instance and a replay finds nothing. Expired rows are swept periodically.
import type { Pool } from '../../db/index.ts';
import type { SecretBox } from '../deps.ts';
import { AppError } from '../../http/index.ts';
import { authQuery } from '../core/db.ts';
import { pkceChallenge, stateHashOf } from './pkce.ts';

export interface NewAttempt {
  stateHash: Buffer;
  provider: string;
  codeVerifier: string;
  nonce: string | undefined;
  redirectUri: string;
  redirectTo: string | undefined;
  linkUserId: string | undefined;
  /** The client's own S256 challenge, when it sent one. */
  clientChallenge: string | undefined;
  ttlMs: number;
}

export interface Attempt {
  provider: string;
  codeVerifier: string;
  nonce: string | undefined;
  redirectUri: string;
  redirectTo: string | undefined;
  linkUserId: string | undefined;
}

interface StateRow {
  provider: string;
  code_verifier_enc: string;
  nonce: string | null;
  redirect_uri: string;
  redirect_to: string | null;
  link_user_id: string | null;
}

export type StateFailure =
  | 'missing' | 'malformed' | 'unknown_or_used' | 'expired' | 'provider_mismatch' | 'link_user_mismatch' | 'client_verifier_mismatch';

export function invalidState(reason: StateFailure, message: string): AppError {
  return new AppError('INVALID_OAUTH_STATE', {
    message, details: { reason },
    hint: 'Start the sign-in again from /oauth/:provider/authorize; a state is valid once, for auth.oauth_state_ttl',
  });
}

export class StateStore {
  constructor(private readonly pool: Pool, private readonly secrets: SecretBox) {}

  async save(attempt: NewAttempt): Promise<void> {
    await authQuery(this.pool, (sql) => sql`
      insert into auth.oauth_states (state_hash, provider, code_verifier_enc, nonce, redirect_uri, redirect_to, link_user_id,
                                     client_code_challenge, expires_at)
      values (${attempt.stateHash}, ${attempt.provider}, ${this.secrets.encrypt(attempt.codeVerifier)}, ${attempt.nonce ?? null},
              ${attempt.redirectUri}, ${attempt.redirectTo ?? null}, ${attempt.linkUserId ?? null}, ${attempt.clientChallenge ?? null},
              now() + ${attempt.ttlMs} * interval '1 millisecond')`);
  }

  /**
   * Consume the attempt `state` started for `provider`. Throws 400 INVALID_OAUTH_STATE when
   * it is absent, malformed, unknown, already used, expired, another provider's, or bound
   * to a client challenge that `clientVerifier` does not answer (those two leave the row
   * for the rightful callback).
   */
  async consume(state: unknown, provider: string, clientVerifier?: string): Promise<Attempt> {
    if (state === undefined || state === null || state === '') throw invalidState('missing', 'The state parameter is required');
    const hash = stateHashOf(state);
    if (!hash) throw invalidState('malformed', 'The state parameter is not one Fluxbase issued');
    const challenge = clientVerifier === undefined ? null : pkceChallenge(clientVerifier);
    const rows = await authQuery(this.pool, (sql) => sql<StateRow[]>`
      delete from auth.oauth_states
      where state_hash = ${hash} and provider = ${provider} and expires_at > now()
        and (client_code_challenge is null or client_code_challenge = ${challenge})
      returning provider, code_verifier_enc, nonce, redirect_uri, redirect_to, link_user_id`);
    const row = rows[0];
    if (!row) throw await this.whyNot(hash, provider);
    return {
      provider: row.provider,
      codeVerifier: this.secrets.decrypt(row.code_verifier_enc),
      nonce: row.nonce ?? undefined,
      redirectUri: row.redirect_uri,
      redirectTo: row.redirect_to ?? undefined,
      linkUserId: row.link_user_id ?? undefined,
    };
  }

  /** The reason a consume found nothing (read after the fact, only on failures). */
  private async whyNot(hash: Buffer, provider: string): Promise<AppError> {
    const rows = await authQuery(this.pool, (sql) => sql<{ live: boolean; same_provider: boolean }[]>`
      select expires_at > now() as live, provider = ${provider} as same_provider from auth.oauth_states where state_hash = ${hash}`);
    const row = rows[0];
    if (!row) return invalidState('unknown_or_used', 'The state is unknown or was already used');
    if (!row.live) return invalidState('expired', 'The sign-in attempt has expired');
    if (!row.same_provider) return invalidState('provider_mismatch', 'The state belongs to another provider');
    return invalidState('client_verifier_mismatch', 'code_verifier does not match the code_challenge sent when this sign-in started');
  }

  /** Remove expired attempts; returns how many. */
  async deleteExpired(): Promise<number> {
    const result = await authQuery(this.pool, (sql) => sql`delete from auth.oauth_states where expires_at <= now()`);
    return result.count;
  }
}
