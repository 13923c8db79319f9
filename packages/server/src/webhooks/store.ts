// Webhook SQL (migrations/013_webhooks.up.sql): registrations and their subscriptions, the
// outbox trigger on watched tables, and the delivery rows the workers claim. Every
// statement of the subsystem lives here; values are always parameters, and table names are
// checked against the catalog before they are quoted. Installing a trigger is DDL and needs
// the table owner's rights, so it takes the owner connection (db.admin).
import type postgres from 'postgres';
import { isInternalSchema } from '../db/index.ts';
import { AppError } from '../http/index.ts';
import { qualified, quoteIdent } from '../query/index.ts';

export type Queryable = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

/** Notified (empty payload) by the trigger when it queued deliveries. */
export const DELIVERY_CHANNEL = 'fluxbase_webhooks';
export const TRIGGER_NAME = 'fluxbase_webhook';
export const OPERATIONS = ['INSERT', 'UPDATE', 'DELETE', '*'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface EventSpec {
  /** Always schema-qualified here ("public.orders"). */
  table: string;
  operations: Operation[];
}

export interface WebhookRow {
  id: string;
  name: string;
  description: string | null;
  url: string;
  events: EventSpec[];
  enabled: boolean;
  headers: Record<string, string>;
  timeout_seconds: number;
  max_retries: number;
  scope: 'user' | 'global';
  created_by: string | null;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type WebhookFields = Pick<WebhookRow, 'name' | 'description' | 'url' | 'events' | 'enabled' | 'headers' | 'timeout_seconds' | 'max_retries' | 'scope'>;

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'success' | 'failed' | 'dead';
  status_code: number | null;
  response_body: string | null;
  error: string | null;
  attempt: number;
  next_retry_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

// ---- registrations ----

export async function insertWebhook(sql: Queryable, f: WebhookFields & { created_by: string | null; secret_enc: string }): Promise<WebhookRow> {
  const [row] = await sql<WebhookRow[]>`
    insert into webhooks.webhooks (name, description, url, events, enabled, headers, timeout_seconds, max_retries, scope, created_by, secret_enc)
    values (${f.name}, ${f.description}, ${f.url}, ${sql.json(f.events as never)}, ${f.enabled}, ${sql.json(f.headers)}, ${f.timeout_seconds},
            ${f.max_retries}, ${f.scope}, ${f.created_by}, ${f.secret_enc})
    returning *`;
  return row!;
}

export async function updateWebhook(sql: Queryable, id: string, f: WebhookFields): Promise<WebhookRow | undefined> {
  const [row] = await sql<WebhookRow[]>`
    update webhooks.webhooks set name = ${f.name}, description = ${f.description}, url = ${f.url}, events = ${sql.json(f.events as never)},
      enabled = ${f.enabled}, headers = ${sql.json(f.headers)}, timeout_seconds = ${f.timeout_seconds}, max_retries = ${f.max_retries},
      scope = ${f.scope}, updated_at = now()
    where id = ${id} returning *`;
  return row;
}

export async function rotateSecret(sql: Queryable, id: string, secretEnc: string, previousExpiresAt: Date): Promise<WebhookRow | undefined> {
  const [row] = await sql<WebhookRow[]>`
    update webhooks.webhooks set previous_secret_enc = secret_enc, previous_secret_expires_at = ${previousExpiresAt},
      secret_enc = ${secretEnc}, updated_at = now()
    where id = ${id} returning *`;
  return row;
}

/** Deletes the webhook and its delivery log (no foreign key cascades it: migration 018). */
export async function deleteWebhook(sql: Queryable, id: string): Promise<boolean> {
  const rows = await sql`delete from webhooks.webhooks where id = ${id}`;
  if (rows.count === 0) return false;
  await sql`delete from webhooks.deliveries where webhook_id = ${id}`;
  return true;
}

export async function findWebhook(sql: Queryable, id: string): Promise<WebhookRow | undefined> {
  const [row] = await sql<WebhookRow[]>`select * from webhooks.webhooks where id = ${id}`;
  return row;
}

/** `owner` undefined: every webhook (an admin); otherwise that user's. */
export async function listWebhooks(sql: Queryable, owner: string | undefined): Promise<WebhookRow[]> {
  return owner === undefined
    ? sql<WebhookRow[]>`select * from webhooks.webhooks order by created_at, id`
    : sql<WebhookRow[]>`select * from webhooks.webhooks where created_by = ${owner} order by created_at, id`;
}

/** The webhook's subscriptions become exactly `events` (one row per table). */
export async function replaceSubscriptions(sql: Queryable, id: string, events: EventSpec[]): Promise<void> {
  await sql`delete from webhooks.subscriptions where webhook_id = ${id}`;
  for (const e of events) {
    const [schema, table] = splitTable(e.table);
    await sql`
      insert into webhooks.subscriptions (webhook_id, schema_name, table_name, operations) values (${id}, ${schema}, ${table}, ${e.operations})
      on conflict (webhook_id, schema_name, table_name) do update set operations = array(select distinct unnest(webhooks.subscriptions.operations || excluded.operations))`;
  }
}

export function splitTable(qualifiedName: string): [string, string] {
  const dot = qualifiedName.indexOf('.');
  return [qualifiedName.slice(0, dot), qualifiedName.slice(dot + 1)];
}

// ---- tables and triggers (owner connection) ----

/** The table must exist and be a table; Fluxbase's own schemas are refused except auth.users (sign-ups). */
export async function checkTable(sql: Queryable, schema: string, table: string): Promise<void> {
  if (isInternalSchema(schema) && !(schema === 'auth' && table === 'users')) {
    throw new AppError('VALIDATION_FAILED', {
      message: `Schema "${schema}" is internal; webhooks watch your own tables (and auth.users)`,
      details: { fields: { events: `${schema}.${table} is internal` } },
    });
  }
  const [row] = await sql<{ kind: string }[]>`
    select c.relkind::text as kind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relname = ${table}`;
  if (!row) {
    throw new AppError('VALIDATION_FAILED', {
      message: `Table "${schema}.${table}" not found; name it as "schema.table" ("table" alone means public.table)`,
      details: { fields: { events: `${schema}.${table} does not exist` } },
    });
  }
  if (row.kind !== 'r' && row.kind !== 'p') {
    throw new AppError('VALIDATION_FAILED', { message: `"${schema}.${table}" is not a table; webhooks watch tables`, details: { fields: { events: `${schema}.${table} is not a table` } } });
  }
}

/** The outbox trigger on every subscribed table, and on no other (idempotent; run after each change of subscriptions). */
export async function syncTriggers(owner: postgres.Sql): Promise<void> {
  const wanted = await owner<{ schema: string; table: string }[]>`
    select distinct schema_name as schema, table_name as table from webhooks.subscriptions s
    where exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                  where n.nspname = s.schema_name and c.relname = s.table_name)`;
  const present = await owner<{ schema: string; table: string }[]>`
    select n.nspname::text as schema, c.relname::text as table from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where t.tgname = ${TRIGGER_NAME} and not t.tgisinternal`;
  const key = (r: { schema: string; table: string }) => `${r.schema}\u0000${r.table}`;
  const want = new Set(wanted.map(key));
  const have = new Set(present.map(key));
  for (const r of wanted) {
    if (have.has(key(r))) continue;
    await owner.unsafe(`create trigger ${quoteIdent(TRIGGER_NAME)} after insert or update or delete on ${qualified(r.schema, r.table)} for each row execute function webhooks.queue_event()`);
  }
  for (const r of present) {
    if (!want.has(key(r))) await owner.unsafe(`drop trigger if exists ${quoteIdent(TRIGGER_NAME)} on ${qualified(r.schema, r.table)}`);
  }
}

// ---- deliveries ----

export async function listDeliveries(sql: Queryable, webhookId: string, limit: number): Promise<DeliveryRow[]> {
  return sql<DeliveryRow[]>`
    select id, webhook_id, event_id, event, payload, status, status_code, response_body, error, attempt,
           case when status in ('pending', 'failed') then next_retry_at end as next_retry_at, delivered_at, created_at
    from webhooks.deliveries where webhook_id = ${webhookId} order by created_at desc, id limit ${limit}`;
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  /** The body as PostgreSQL prints the jsonb: sent as is (signed over these exact bytes). */
  body: string;
  attempt: number;
  url: string;
  headers: Record<string, string>;
  timeout_seconds: number;
  max_retries: number;
  secret_enc: string;
  previous_secret_enc: string | null;
  previous_secret_expires_at: Date | null;
}

/**
 * Up to `limit` due deliveries, held for `holdSeconds` (a worker that dies leaves them to
 * expire, and another claims them: at least once). SKIP LOCKED lets workers on every
 * instance claim side by side. Deliveries of a disabled webhook wait.
 */
export async function claimDeliveries(sql: Queryable, limit: number, holdSeconds: number): Promise<ClaimedDelivery[]> {
  return sql<ClaimedDelivery[]>`
    with due as (
      select d.id from webhooks.deliveries d join webhooks.webhooks w on w.id = d.webhook_id
      where d.status in ('pending', 'failed') and d.next_retry_at <= now()
        and (d.locked_until is null or d.locked_until < now()) and w.enabled
      order by d.next_retry_at limit ${limit}
      for update of d skip locked
    )
    update webhooks.deliveries d set locked_until = now() + make_interval(secs => ${holdSeconds})
    from due, webhooks.webhooks w
    where d.id = due.id and w.id = d.webhook_id
    returning d.id, d.webhook_id, d.event_id, d.event, d.payload::text as body, d.attempt, w.url, w.headers, w.timeout_seconds, w.max_retries,
              w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at`;
}

export interface AttemptResult {
  status: 'success' | 'failed' | 'dead';
  status_code: number | null;
  response_body: string | null;
  error: string | null;
  /** For `failed`: when to try again. */
  retryInMs?: number;
}

/** Records attempts (each: attempt + 1) and releases their rows, in one statement. */
export async function recordAttempts(sql: Queryable, results: (AttemptResult & { id: string })[]): Promise<void> {
  if (results.length === 0) return;
  const rows = results.map((r) => ({
    id: r.id, status: r.status, status_code: r.status_code, response_body: r.response_body, error: r.error, retry_s: (r.retryInMs ?? 0) / 1000,
  }));
  await sql`
    update webhooks.deliveries d set status = v.status, status_code = v.status_code, response_body = v.response_body, error = v.error,
      attempt = d.attempt + 1, locked_until = null,
      next_retry_at = case when v.status = 'failed' then now() + make_interval(secs => v.retry_s) else d.next_retry_at end,
      delivered_at = case when v.status = 'success' then now() else d.delivered_at end
    from jsonb_to_recordset(${sql.json(rows as never)}::jsonb)
      as v(id uuid, status text, status_code integer, response_body text, error text, retry_s double precision)
    where d.id = v.id`;
}

/** Gives claimed rows back at once (a stopping worker's buffer). */
export async function releaseClaims(sql: Queryable, ids: string[]): Promise<void> {
  await sql`update webhooks.deliveries set locked_until = null where id = any(${ids}::uuid[])`;
}

/** Puts a claimed delivery back without counting an attempt (the target's rate limit, a draining worker). */
export async function postpone(sql: Queryable, id: string, inMs: number): Promise<void> {
  await sql`update webhooks.deliveries set locked_until = null, next_retry_at = now() + make_interval(secs => ${inMs / 1000}) where id = ${id}`;
}

/**
 * Delivery rows older than the retention, in batches, and rows of a deleted webhook (queued by
 * a write that committed after the delete: no foreign key stops it, migration 018).
 */
export async function deleteOldDeliveries(sql: Queryable, retentionMs: number, batch = 10_000): Promise<number> {
  const rows = await sql`
    delete from webhooks.deliveries where id in (
      select d.id from webhooks.deliveries d
      where (d.created_at < now() - make_interval(secs => ${retentionMs / 1000}) and d.status in ('success', 'dead'))
        or not exists (select 1 from webhooks.webhooks w where w.id = d.webhook_id)
      limit ${batch})`;
  return rows.count;
}

/** Due deliveries (the queue depth metric). */
export async function countDue(sql: Queryable): Promise<number> {
  const [row] = await sql<{ n: string }[]>`select count(*)::text as n from webhooks.deliveries where status in ('pending', 'failed')`;
  return Number(row?.n ?? 0);
}

/**
 * Re-seals webhook secrets (current and previous) from one key to another
 * (`fluxbase encryption-key rotate`); values already under the new key are left as they are.
 */
export async function rekeyWebhookSecrets(tx: postgres.TransactionSql, from: { decrypt(v: string): string }, to: { encrypt(v: string): string; decrypt(v: string): string }): Promise<{ resealed: number; unchanged: number }> {
  const opens = (box: { decrypt(v: string): string }, v: string): string | null => {
    try {
      return box.decrypt(v);
    } catch {
      return null;
    }
  };
  const reseal = (v: string): string | undefined => {
    if (opens(to, v) !== null) return undefined;
    const plain = opens(from, v);
    if (plain === null) throw new Error('a webhook secret opens with neither key; nothing was changed');
    return to.encrypt(plain);
  };
  const result = { resealed: 0, unchanged: 0 };
  const rows = await tx<{ id: string; secret_enc: string; previous_secret_enc: string | null }[]>`
    select id, secret_enc, previous_secret_enc from webhooks.webhooks for update`;
  for (const row of rows) {
    const current = reseal(row.secret_enc);
    const previous = row.previous_secret_enc === null ? undefined : reseal(row.previous_secret_enc);
    if (current === undefined && previous === undefined) {
      result.unchanged++;
      continue;
    }
    await tx`update webhooks.webhooks set secret_enc = ${current ?? row.secret_enc}, previous_secret_enc = ${previous ?? row.previous_secret_enc} where id = ${row.id}`;
    result.resealed++;
  }
  return result;
}
