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

/** pg_trigger.tgtype bits of the row events (PostgreSQL's include/catalog/pg_trigger.h). */
const TRIGGER_EVENTS: [string, number][] = [['INSERT', 4], ['DELETE', 8], ['UPDATE', 16]];

/**
 * The outbox trigger on every subscribed table, for the operations its webhooks subscribe to,
 * and on no other table (idempotent; run after each change of subscriptions and at start). A
 * change of an operation nobody subscribes to costs its writer nothing.
 */
export async function syncTriggers(owner: postgres.Sql): Promise<void> {
  const wanted = await owner<{ schema: string; table: string; ops: string[] }[]>`
    select schema_name as schema, table_name as table, array_agg(distinct op order by op) as ops
    from webhooks.subscriptions s, unnest(s.operations) as op
    where exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
                  where n.nspname = s.schema_name and c.relname = s.table_name)
    group by schema_name, table_name`;
  const present = await owner<{ schema: string; table: string; type: number }[]>`
    select n.nspname::text as schema, c.relname::text as table, t.tgtype::int as type from pg_catalog.pg_trigger t
    join pg_catalog.pg_class c on c.oid = t.tgrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where t.tgname = ${TRIGGER_NAME} and not t.tgisinternal`;
  const key = (r: { schema: string; table: string }) => `${r.schema}\u0000${r.table}`;
  const eventsOf = (ops: string[]) => TRIGGER_EVENTS.filter(([op]) => ops.includes('*') || ops.includes(op)).map(([op]) => op);
  const have = new Map(present.map((r) => [key(r), TRIGGER_EVENTS.filter(([, bit]) => (r.type & bit) !== 0).map(([op]) => op).join(' or ')]));
  const want = new Set(wanted.map(key));
  for (const r of wanted) {
    const events = eventsOf(r.ops).join(' or ');
    if (have.get(key(r)) !== events) await replaceTrigger(owner, qualified(r.schema, r.table), events);
  }
  for (const r of present) {
    if (!want.has(key(r))) await replaceTrigger(owner, qualified(r.schema, r.table), undefined);
  }
}

/**
 * Drops the table's outbox trigger and, given `events`, creates it for them. The lock DROP
 * TRIGGER needs is taken first: instances syncing at once take turns, where bare DROP/CREATE
 * TRIGGERs failed on each other's trigger or deadlocked (one locking the trigger, then the
 * table; the other the table, then the trigger).
 */
async function replaceTrigger(owner: postgres.Sql, table: string, events: string | undefined): Promise<void> {
  await owner.begin(async (tx) => {
    await tx.unsafe(`lock table ${table} in access exclusive mode`);
    await tx.unsafe(`drop trigger if exists ${quoteIdent(TRIGGER_NAME)} on ${table}`);
    if (events !== undefined) {
      await tx.unsafe(`create trigger ${quoteIdent(TRIGGER_NAME)} after ${events} on ${table} for each row execute function webhooks.queue_event()`);
    }
  });
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

/**
 * Turns up to `limit` changes of the outbox (migration 019) into delivery rows, held for
 * `holdSeconds` by the caller, and returns them as claimed. One statement: the changes
 * are deleted and their deliveries inserted together, so a change becomes its deliveries
 * exactly once even if the process dies or two instances fan out at once (SKIP LOCKED). A
 * change matches what its webhooks subscribe to now, but not a webhook registered after it;
 * a user-scoped webhook only gets changes of rows its user owns (user_id, owner_id or
 * created_by; auth.users: id). A change no webhook wants is dropped.
 */
export async function fanOutEvents(sql: Queryable, limit: number, holdSeconds: number): Promise<{ events: number; deliveries: ClaimedDelivery[] }> {
  const rows = await sql<(ClaimedDelivery & { events: number })[]>`
    with ev as (
      delete from webhooks.outbox where id in (select id from webhooks.outbox order by id limit ${limit} for update skip locked)
      returning id, payload
    ), made as (
      insert into webhooks.deliveries (webhook_id, event_id, event, payload, created_at, locked_until)
      select w.id, (ev.payload->>'id')::uuid, ev.payload->>'event', ev.payload, (ev.payload->>'timestamp')::timestamptz,
             now() + make_interval(secs => ${holdSeconds})
      from ev
      join webhooks.subscriptions s on s.schema_name = ev.payload->>'schema' and s.table_name = ev.payload->>'table'
      join webhooks.webhooks w on w.id = s.webhook_id
      where (ev.payload->>'event' = any (s.operations) or '*' = any (s.operations))
        and w.enabled and w.created_at <= (ev.payload->>'timestamp')::timestamptz
        and (w.scope = 'global' or coalesce(ev.payload->'record'->>'user_id', ev.payload->'record'->>'owner_id', ev.payload->'record'->>'created_by',
              case when ev.payload->>'schema' = 'auth' and ev.payload->>'table' = 'users' then ev.payload->'record'->>'id' end) = w.created_by::text)
      order by ev.id
      returning id, webhook_id, event_id, event, payload, attempt
    )
    select c.events, m.id, m.webhook_id, m.event_id, m.event, m.payload::text as body, m.attempt, w.url, w.headers, w.timeout_seconds,
           w.max_retries, w.secret_enc, w.previous_secret_enc, w.previous_secret_expires_at
    from (select count(*)::int as events from ev) c
    left join (made m join webhooks.webhooks w on w.id = m.webhook_id) on true`;
  // One row at least, carrying how many changes were taken (a change nobody wants makes no delivery).
  return { events: rows[0]?.events ?? 0, deliveries: rows.filter((r) => r.id !== null).map(({ events: _, ...d }) => d) };
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

/** Due deliveries and changes not yet fanned out (the queue depth metric). */
export async function countDue(sql: Queryable): Promise<number> {
  const [row] = await sql<{ n: string }[]>`
    select ((select count(*) from webhooks.deliveries where status in ('pending', 'failed')) + (select count(*) from webhooks.outbox))::text as n`;
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
