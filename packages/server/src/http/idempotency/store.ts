// Idempotency store: the feature's only SQL, on fluxbase.idempotency_keys in PostgreSQL so every instance shares claims and stored responses.
import { randomUUID } from 'node:crypto';
import type { Pool, ReservedSql } from '../../db/index.ts';
import { decide, requestInProgress, type ExistingKey, type IdempotentRequest, type StoredResponse } from './rules.ts';

/** How often begin() retries when the row it saw vanished (released or expired) meanwhile. */
const BEGIN_ATTEMPTS = 3;

export interface IdempotencyOptions {
  /** How long a completed response is replayed (`idempotency.ttl`, default 24 h). */
  ttlMs: number;
  /** A `processing` claim older than this is taken over (`idempotency.processing_timeout`, default 60 s). */
  processingTimeoutMs: number;
}

/** The right to run a request: `lockId` proves it, so a taken-over claim cannot overwrite its successor. */
export interface Claim {
  scope: string;
  key: string;
  lockId: string;
}

export type BeginResult = { kind: 'claimed'; claim: Claim } | { kind: 'replay'; response: StoredResponse };

/** Runs each statement on its own pool connection, outside any user transaction. */
export class IdempotencyStore {
  constructor(private readonly pool: Pool, private readonly options: IdempotencyOptions) {}

  /** Claim the key, or meet the request that already holds it (throws the 409/422 AppErrors). */
  begin(request: IdempotentRequest): Promise<BeginResult> {
    return this.pool.withConnection(async (conn) => {
      for (let attempt = 0; attempt < BEGIN_ATTEMPTS; attempt++) {
        const lockId = randomUUID();
        if (await this.tryClaim(conn, request, lockId)) return { kind: 'claimed', claim: { scope: request.scope, key: request.key, lockId } };
        const [existing] = await conn<(ExistingKey & { expired: boolean })[]>`
          select method, path, body_hash, state, status, headers, body, expires_at <= now() as expired
          from fluxbase.idempotency_keys where scope = ${request.scope} and key = ${request.key}`;
        if (existing !== undefined && !existing.expired) return { kind: 'replay', response: decide(existing, request) };
        // Released or expired between the two statements: claim again.
      }
      throw requestInProgress(); // the key keeps changing hands: let the client come back
    });
  }

  /**
   * One atomic statement: insert, or replace an expired row, or take over a processing
   * row of the same request older than the processing timeout. Concurrent callers
   * serialise on the row, so exactly one of them gets a row back.
   */
  private async tryClaim(conn: ReservedSql, r: IdempotentRequest, lockId: string): Promise<boolean> {
    const rows = await conn`
      insert into fluxbase.idempotency_keys as k (scope, key, method, path, body_hash, state, lock_id, expires_at)
      values (${r.scope}, ${r.key}, ${r.method}, ${r.path}, ${r.bodyHash}, 'processing', ${lockId}::uuid,
              now() + interval '1 millisecond' * ${this.options.ttlMs}::float8)
      on conflict (scope, key) do update
        set method = excluded.method, path = excluded.path, body_hash = excluded.body_hash, state = 'processing',
            lock_id = excluded.lock_id, status = null, headers = null, body = null,
            created_at = now(), updated_at = now(), expires_at = excluded.expires_at
        where k.expires_at <= now()
           or (k.state = 'processing' and k.updated_at < now() - interval '1 millisecond' * ${this.options.processingTimeoutMs}::float8
               and k.method = excluded.method and k.path = excluded.path and k.body_hash = excluded.body_hash)
      returning 1`;
    return rows.length === 1;
  }

  /** Store the response; a claim that was taken over meanwhile changes nothing. */
  async complete(claim: Claim, response: StoredResponse): Promise<void> {
    await this.pool.withConnection((conn) => conn`
      update fluxbase.idempotency_keys
      set state = 'completed', status = ${response.status}, headers = ${conn.json(response.headers)}, body = ${response.body},
          updated_at = now(), expires_at = now() + interval '1 millisecond' * ${this.options.ttlMs}::float8
      where scope = ${claim.scope} and key = ${claim.key} and lock_id = ${claim.lockId}::uuid and state = 'processing'`);
  }

  /** Forget the claim so a retry runs the request again. */
  async release(claim: Claim): Promise<void> {
    await this.pool.withConnection((conn) => conn`
      delete from fluxbase.idempotency_keys
      where scope = ${claim.scope} and key = ${claim.key} and lock_id = ${claim.lockId}::uuid and state = 'processing'`);
  }

  /** Delete expired rows in batches (short statements, no long lock); returns how many. */
  async deleteExpired(batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.pool.withConnection((conn) => conn`
        delete from fluxbase.idempotency_keys where ctid = any(array(
          select ctid from fluxbase.idempotency_keys where expires_at <= now() limit ${batchSize}))
        returning 1`);
      total += rows.length;
      if (rows.length < batchSize) return total;
    }
  }
}
