// Webhook registrations (API.md §12; docs/webhooks.md): who may see and change which
// webhook, the secret (generated, sealed, shown once, rotated with a grace period), the
// target check at creation, the subscriptions and outbox triggers, and test deliveries.
// A user manages their own webhooks, which only receive changes of rows they own; a global
// webhook (every change of its tables) needs an admin.
import { inTransaction, type Database, type ReservedSql } from '../db/index.ts';
import { AppError, errors, isPgError, type Principal } from '../http/index.ts';
import { postPinned } from './deliver-http.ts';
import { deliveryHeaders, type Sealer } from './sign-delivery.ts';
import { generateWebhookSecret } from './signature.ts';
import {
  checkTable, deleteWebhook, findWebhook, insertWebhook, listDeliveries, listWebhooks, replaceSubscriptions, rotateSecret,
  splitTable, syncTriggers, updateWebhook, type DeliveryRow, type WebhookFields, type WebhookRow,
} from './store.ts';
import { checkTargetUrl, resolveTarget, TargetRefusedError } from './target-guard.ts';
import { normalizeEvents, type CreateInput, type UpdateInput } from './webhook-input.ts';

export interface WebhooksServiceDeps {
  db: Database;
  sealer: Sealer;
  allowPrivateTargets: boolean;
  now?: () => number;
}

/** The caller as this subsystem sees it. */
export interface Caller {
  principal: Principal;
  isAdmin: boolean;
}

/** A webhook as the API shows it: never the secret. */
export type WebhookView = Omit<WebhookRow, 'secret_enc' | 'previous_secret_enc' | 'previous_secret_expires_at'>;

export function webhookView(r: WebhookRow): WebhookView {
  return {
    id: r.id, name: r.name, description: r.description, url: r.url, events: r.events, enabled: r.enabled, headers: r.headers,
    timeout_seconds: r.timeout_seconds, max_retries: r.max_retries, scope: r.scope, created_by: r.created_by, created_at: r.created_at, updated_at: r.updated_at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class WebhooksService {
  private readonly now: () => number;

  constructor(private readonly deps: WebhooksServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  async list(caller: Caller): Promise<WebhookRow[]> {
    const owner = caller.isAdmin ? undefined : this.userOf(caller);
    return this.deps.db.pool.withConnection((sql) => listWebhooks(sql, owner));
  }

  /** The webhook, if the caller may see it (else 404, as for a missing one). */
  async get(caller: Caller, id: string): Promise<WebhookRow> {
    const user = caller.isAdmin ? undefined : this.userOf(caller);
    const row = UUID.test(id) ? await this.deps.db.pool.withConnection((sql) => findWebhook(sql, id)) : undefined;
    if (!row || (user !== undefined && row.created_by !== user)) throw notFound(id);
    return row;
  }

  async create(caller: Caller, input: CreateInput): Promise<{ row: WebhookRow; secret: string }> {
    // A service key or service-role JWT has no user whose rows a "user" webhook could follow:
    // its webhooks are global unless it says otherwise, and saying "user" is refused.
    const keyOnly = caller.isAdmin && caller.principal.userId === null;
    const scope = input.scope ?? (keyOnly ? 'global' : 'user');
    if (scope === 'global' && !caller.isAdmin) throw globalNeedsAdmin();
    if (scope === 'user' && keyOnly) throw invalid('scope', 'A service key has no user to scope a webhook to; use scope "global", or register it with a user\'s token');
    const createdBy = caller.isAdmin ? caller.principal.userId : this.userOf(caller);
    const fields: WebhookFields = {
      name: input.name, description: input.description ?? null, url: input.url, events: normalizeEvents(input.events),
      enabled: input.enabled ?? true, headers: input.headers ?? {}, timeout_seconds: input.timeout_seconds ?? 10,
      max_retries: input.max_retries ?? 5, scope,
    };
    await this.checkFields(fields);
    const secret = input.secret ?? generateWebhookSecret();
    const row = await this.writeWithSubscriptions(async (sql) => {
      const inserted = await insertWebhook(sql, { ...fields, created_by: createdBy, secret_enc: this.deps.sealer.encrypt(secret) });
      await replaceSubscriptions(sql, inserted.id, fields.events);
      return inserted;
    }, (inserted) => this.deps.db.pool.withConnection((sql) => deleteWebhook(sql, inserted.id)));
    return { row, secret };
  }

  async update(caller: Caller, id: string, input: UpdateInput): Promise<WebhookRow> {
    const current = await this.get(caller, id);
    if (input.scope === 'global' && !caller.isAdmin) throw globalNeedsAdmin();
    if (input.scope === 'user' && current.created_by === null) throw invalid('scope', 'This webhook was registered with a service key and has no user to scope it to; keep scope "global"');
    const fields: WebhookFields = {
      name: input.name ?? current.name,
      description: input.description === undefined ? current.description : input.description,
      url: input.url ?? current.url,
      events: input.events ? normalizeEvents(input.events) : current.events,
      enabled: input.enabled ?? current.enabled,
      headers: input.headers ?? current.headers,
      timeout_seconds: input.timeout_seconds ?? current.timeout_seconds,
      max_retries: input.max_retries ?? current.max_retries,
      scope: input.scope ?? current.scope,
    };
    await this.checkFields(fields, input.url === undefined);
    return this.writeWithSubscriptions(async (sql) => {
      const row = await updateWebhook(sql, id, fields);
      if (!row) throw notFound(id);
      if (input.events) await replaceSubscriptions(sql, id, fields.events);
      return row;
    });
  }

  async remove(caller: Caller, id: string): Promise<void> {
    await this.get(caller, id);
    await this.writeWithSubscriptions((sql) => deleteWebhook(sql, id));
  }

  /** A new secret; the previous one keeps signing (a second v1=) for the grace period. */
  async rotate(caller: Caller, id: string, graceHours: number): Promise<{ secret: string; previous_secret_expires_at: Date }> {
    await this.get(caller, id);
    const secret = generateWebhookSecret();
    const expires = new Date(this.now() + graceHours * 3600_000);
    await this.deps.db.pool.withConnection((sql) => rotateSecret(sql, id, this.deps.sealer.encrypt(secret), expires));
    return { secret, previous_secret_expires_at: expires };
  }

  /** One synchronous delivery of a test event (not recorded, not retried). */
  async test(caller: Caller, id: string): Promise<{ success: boolean; status_code: number | null; duration_ms: number; error?: string }> {
    const row = await this.get(caller, id);
    const eventId = crypto.randomUUID();
    const payload = { id: eventId, event: 'TEST', schema: 'public', table: 'test', record: { test: true }, timestamp: new Date(this.now()).toISOString() };
    const url = new URL(row.url);
    let target: Awaited<ReturnType<typeof resolveTarget>>;
    try {
      target = await resolveTarget(url, { allowPrivate: this.deps.allowPrivateTargets });
    } catch (err) {
      if (err instanceof TargetRefusedError) return { success: false, status_code: null, duration_ms: 0, error: err.message };
      throw err;
    }
    const body = JSON.stringify(payload);
    const headers = deliveryHeaders(row, { eventId, event: 'TEST', body, nowSeconds: Math.floor(this.now() / 1000), open: (v) => this.deps.sealer.decrypt(v) });
    const r = await postPinned({ url, address: target.address, family: target.family, headers, body, timeoutMs: row.timeout_seconds * 1000 });
    return { success: r.ok, status_code: r.status, duration_ms: Math.round(r.durationMs), ...(r.error ? { error: r.error } : {}) };
  }

  async deliveries(caller: Caller, id: string, limit: number): Promise<DeliveryRow[]> {
    await this.get(caller, id);
    return this.deps.db.pool.withConnection((sql) => listDeliveries(sql, id, limit));
  }

  /** Reinstall the outbox triggers after a change of subscriptions (also run at start). */
  syncTriggers(): Promise<void> {
    return syncTriggers(this.deps.db.admin);
  }

  private userOf(caller: Caller): string {
    const id = caller.principal.userId;
    if (caller.principal.kind !== 'user' || id === null) {
      throw errors.missingAuthentication('Webhooks belong to a user: sign in, or use a service key for admin access');
    }
    return id;
  }

  /** The URL is http(s) and public (unless webhooks.allow_private_targets); every table exists. */
  private async checkFields(f: WebhookFields, urlUnchanged = false): Promise<void> {
    const checked = checkTargetUrl(f.url);
    if (!checked.ok) throw invalid('url', checked.reason);
    if (!urlUnchanged) {
      try {
        await resolveTarget(checked.url, { allowPrivate: this.deps.allowPrivateTargets });
      } catch (err) {
        if (err instanceof TargetRefusedError) throw invalid('url', err.message);
        throw err;
      }
    }
    await this.deps.db.pool.withConnection(async (sql) => {
      for (const e of f.events) await checkTable(sql, ...splitTable(e.table));
    });
  }

  /**
   * A registration write in one transaction, then the triggers brought in line with the
   * subscriptions. `undo` runs when the triggers cannot be installed (the owner connection
   * may not act for a table's owner), so a webhook never stays registered without them.
   */
  private async writeWithSubscriptions<T>(fn: (tx: ReservedSql) => Promise<T>, undo?: (out: T) => Promise<unknown>): Promise<T> {
    const out = await this.deps.db.pool.withConnection((sql) => inTransaction(sql, fn));
    try {
      await this.syncTriggers();
    } catch (err) {
      if (undo) await undo(out).catch(() => {});
      if (isPgError(err) && err.code === '42501') {
        throw new AppError('INSUFFICIENT_PERMISSIONS', {
          message: 'The database owner connection may not create triggers on a table of this webhook; grant the table owner\'s role to the role Fluxbase connects as',
          cause: err,
        });
      }
      throw err;
    }
    return out;
  }
}

function notFound(id: string): AppError {
  return errors.notFound('webhook', `Webhook ${id} not found`);
}

function globalNeedsAdmin(): AppError {
  return new AppError('ADMIN_REQUIRED', { message: 'Only an admin may create a global webhook (every change of its tables); use scope "user"' });
}

function invalid(fieldName: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', { message, details: { fields: { [fieldName]: message } } });
}
