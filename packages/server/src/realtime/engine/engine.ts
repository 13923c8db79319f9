// The realtime engine (docs/realtime.md): connections and their limits, postgres_changes
// subscriptions, the change feed (listener pool → bounded per-table queue → RLS → fan-out),
// broadcast and presence across instances, slow-client and token-expiry sweeps. It knows no
// wire protocol: adapters (protocol/) turn frames into these calls and Outgoing messages into
// frames, so another protocol can be added over the same engine.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PGRST_CHANNEL, SCHEMA_CHANNEL, wantsReload, type SchemaCache } from '../../db/index.ts';
import type { Logger } from '../../observability/index.ts';
import type { Bus, BusEnvelope, BusMessage } from './bus.ts';
import { BUS_CHANNEL } from './bus.ts';
import { ChangeQueue } from './change-queue.ts';
import { Connection, type ChannelMembership, type Subscription } from './connection.ts';
import { compileSubscriptionFilter } from './filter.ts';
import { ListenerPool } from './listener-pool.ts';
import type { RealtimeMetrics } from './metrics.ts';
import { PresenceState, type PresenceChange } from './presence.ts';
import type { RlsChecker } from './rls.ts';
import { SubscriptionIndex } from './subscriptions.ts';
import type { Change, ChangeType, Identity, Outgoing, Row, Transport } from './types.ts';

export interface RealtimeLimits {
  maxConnections: number;
  maxConnectionsPerUser: number;
  maxConnectionsPerIp: number;
  maxSubscriptionsPerConnection: number;
  notificationQueueSize: number;
  notificationWorkers: number;
  listenerPoolSize: number;
  clientQueueSize: number;
  slowClientThreshold: number;
  slowClientTimeoutMs: number;
}

export interface TableRegistration {
  schema: string;
  table: string;
  events: string[];
  excluded: string[];
}

export interface EngineOptions {
  limits: RealtimeLimits;
  /** Owner URL for the LISTEN connections. */
  listenUrl: string;
  connectTimeoutMs: number;
  channelPrefix: string;
  partitions: number;
  registryChannel: string;
  schema: SchemaCache;
  rls: RlsChecker;
  bus: Bus;
  metrics: RealtimeMetrics;
  logger: Logger;
  /** Milliseconds since the epoch (tests inject a clock). */
  now: () => number;
  loadRegistry: () => Promise<TableRegistration[]>;
  fetchLargePayload: (id: number) => Promise<unknown>;
  deleteOldPayloads: () => Promise<number>;
  /** Leeway for token expiry, seconds. */
  leewaySeconds: number;
  /** Changes per RLS statement. */
  maxBatch?: number;
  listenerBackoffMs?: (attempt: number) => number;
}

/** A refusal the adapter renders as an error frame (`code` from docs/realtime.md "Errors"). */
export class RealtimeError extends Error {
  constructor(readonly code: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

export type Admission = { ok: true } | { ok: false; reason: 'instance' | 'user' | 'ip'; message: string; closeCode: 1008 | 1013 };

interface QueuedChange {
  raw: { ref?: number; schema?: string; table?: string; type?: string } & Partial<Change>;
  receivedAt: number;
}

interface Registered {
  events: Set<string>;
  excluded: Set<string>;
}

const SCHEMA_CHANNELS = [SCHEMA_CHANNEL, PGRST_CHANNEL];
const ALIVE_INTERVAL_MS = 10_000;
const SLOW_CHECK_MS = 5_000;
const EXPIRY_CHECK_MS = 1_000;
const PAYLOAD_CLEANUP_MS = 60_000;
const CHANNEL_NAME = /^[\x21-\x7e][\x20-\x7e]{0,254}$/;

export function validChannelName(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME.test(name);
}

export class RealtimeEngine {
  readonly instanceId = randomUUID();
  readonly connections = new Map<string, Connection>();
  private readonly subscriptions = new SubscriptionIndex();
  private readonly perUser = new Map<string, number>();
  private readonly perIp = new Map<string, number>();
  /** channel → local connections that joined it */
  private readonly channels = new Map<string, Set<Connection>>();
  private readonly presence = new PresenceState();
  private readonly peersSeen = new Map<string, number>();
  private registry = new Map<string, Registered>();
  private readonly queue: ChangeQueue<QueuedChange>;
  private readonly listeners: ListenerPool;
  /** The earliest loss of a listener not yet reported to clients (onListenerReconnected). */
  private feedLostSince: Date | undefined;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private stopping = false;
  private unsubscribeSchema: (() => void) | undefined;
  private lastRlsWarning = 0;
  private lastDropNotice = 0;
  private readonly revalidators: (() => Promise<void>)[] = [];
  private publishing: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EngineOptions) {
    const limits = options.limits;
    this.queue = new ChangeQueue<QueuedChange>({
      capacity: limits.notificationQueueSize,
      workers: limits.notificationWorkers,
      maxBatch: options.maxBatch ?? 64,
      process: (_lane, batch) => this.processBatch(batch),
      onDrop: () => this.changeDropped(),
      onError: (err) => this.options.logger.error({ err }, 'realtime: processing a change failed'),
    });
    this.listeners = new ListenerPool({
      url: options.listenUrl,
      size: limits.listenerPoolSize,
      partitions: options.partitions,
      prefix: options.channelPrefix,
      extraChannels: [options.registryChannel, ...(options.bus.kind === 'postgres' ? [BUS_CHANNEL] : [])],
      everyListener: SCHEMA_CHANNELS,
      connectTimeoutMs: options.connectTimeoutMs,
      onNotify: (channel, payload) => this.onNotify(channel, payload),
      onReconnected: (listener, since) => this.onListenerReconnected(listener, since),
      onError: (listener, err) => this.options.logger.warn({ err, listener }, 'realtime: LISTEN connection failed; retrying with backoff'),
      ...(options.listenerBackoffMs ? { backoffMs: options.listenerBackoffMs } : {}),
    });
  }

  // ── lifecycle ────────────────────────────────────────────────────────────

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.reloadRegistry().catch((err: unknown) => this.options.logger.warn({ err }, 'realtime: could not load enabled tables; retrying on the next change'));
    this.unsubscribeSchema = this.options.schema.onReload(() => this.options.rls.invalidate()); // e.g. POST /admin/schema/refresh
    await this.options.bus.start((m) => this.onBus(m), this.instanceId);
    await this.listeners.start();
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(fn, ms);
      t.unref();
      this.timers.push(t);
    };
    every(EXPIRY_CHECK_MS, () => this.sweepExpired());
    every(SLOW_CHECK_MS, () => this.sweepSlow());
    every(ALIVE_INTERVAL_MS, () => this.alive());
    every(PAYLOAD_CLEANUP_MS, () => {
      this.options.deleteOldPayloads().catch(() => {});
    });
  }

  /** Tell clients, close them, stop listening. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribeSchema?.();
    for (const conn of this.connections.values()) {
      conn.send({ kind: 'system', event: 'shutdown', message: 'The server is shutting down; reconnect to another instance' });
    }
    if (this.presence.membersOf(`${this.instanceId}:`).length > 0) await this.publish({ kind: 'gone' });
    for (const conn of [...this.connections.values()]) conn.close(1001, 'Server shutting down');
    await this.listeners.stop();
    await this.options.bus.stop();
  }

  healthy(): boolean {
    return this.started && !this.stopping && this.listeners.healthy();
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  get subscriptionCount(): number {
    return this.subscriptions.size;
  }

  /** Protocol adapters register how to re-check their connections' credentials. */
  addRevalidator(check: () => Promise<void>): void {
    this.revalidators.push(check);
  }

  /** Re-check every connection's credential now (run on the heartbeat timer; tests call it). */
  async revalidateIdentities(): Promise<void> {
    await Promise.all(this.revalidators.map((check) => check()));
  }

  /** Run both sweeps now (tests advance the injected clock, then call this). */
  sweep(): void {
    this.sweepExpired();
    this.sweepSlow();
  }

  /** Resolves when every queued change was delivered (tests and shutdown). */
  drained(): Promise<void> {
    return this.queue.drained();
  }

  // ── connections ──────────────────────────────────────────────────────────

  /** What a per-user limit counts: a user, or a stored key; null for the service-role JWT
   * (the project's own backend: only the instance limit applies); undefined for anonymous. */
  private userKey(identity: Identity): string | null | undefined {
    if (identity.userId) return `user:${identity.userId}`;
    if (identity.keyId) return `key:${identity.keyId}`;
    if (identity.role === 'service_role') return null;
    return undefined;
  }

  admit(identity: Identity, remoteAddr: string): Admission {
    const l = this.options.limits;
    if (this.connections.size >= l.maxConnections) {
      return { ok: false, reason: 'instance', closeCode: 1013, message: `Connection limit reached: this server accepts at most ${l.maxConnections} connections; try again later` };
    }
    const key = this.userKey(identity);
    if (key === null) return { ok: true };
    if (key !== undefined) {
      if ((this.perUser.get(key) ?? 0) >= l.maxConnectionsPerUser) {
        return { ok: false, reason: 'user', closeCode: 1008, message: `Connection limit reached: at most ${l.maxConnectionsPerUser} connections per user` };
      }
    } else if ((this.perIp.get(remoteAddr) ?? 0) >= l.maxConnectionsPerIp) {
      return { ok: false, reason: 'ip', closeCode: 1008, message: `Connection limit reached: at most ${l.maxConnectionsPerIp} anonymous connections per IP address; sign in or use fewer connections` };
    }
    return { ok: true };
  }

  /** Register an admitted connection. */
  open(identity: Identity, remoteAddr: string, transport: Transport): Connection {
    const conn = new Connection(randomUUID(), identity, remoteAddr, new Date(this.options.now()), transport, this.options.limits.clientQueueSize, () => {
      this.options.metrics.dropped.inc({ reason: 'client_queue_full' });
    });
    this.connections.set(conn.id, conn);
    this.count(identity, remoteAddr, +1);
    return conn;
  }

  private count(identity: Identity, remoteAddr: string, delta: number): void {
    const key = this.userKey(identity);
    if (key === null) return;
    const map = key !== undefined ? this.perUser : this.perIp;
    const k = key ?? remoteAddr;
    const n = (map.get(k) ?? 0) + delta;
    if (n <= 0) map.delete(k);
    else map.set(k, n);
  }

  /** The socket is gone: drop its subscriptions, leave its channels (presence leave). */
  closed(conn: Connection): void {
    if (!this.connections.delete(conn.id)) return;
    conn.closed = true;
    this.count(conn.identity, conn.remoteAddr, -1);
    for (const sub of conn.subscriptions.values()) this.subscriptions.remove(sub);
    conn.subscriptions.clear();
    for (const channel of [...conn.channels.keys()]) this.leave(conn, channel);
  }

  /** Replace a connection's identity (access_token); its subscriptions follow. */
  reauthenticate(conn: Connection, identity: Identity): void {
    this.count(conn.identity, conn.remoteAddr, -1);
    this.count(identity, conn.remoteAddr, +1);
    conn.identity = identity;
    conn.expired = false;
  }

  // ── postgres_changes ─────────────────────────────────────────────────────

  subscribe(conn: Connection, input: { channel: string; schema: string; table: string; event: string; filter?: string | undefined }): Subscription {
    if (conn.expired) throw expiredError();
    const event = input.event.toUpperCase();
    if (event !== '*' && event !== 'INSERT' && event !== 'UPDATE' && event !== 'DELETE') {
      throw new RealtimeError('INVALID_MESSAGE', `Unknown event ${JSON.stringify(input.event)}: use INSERT, UPDATE, DELETE or *`);
    }
    if (conn.subscriptions.size >= this.options.limits.maxSubscriptionsPerConnection) {
      throw new RealtimeError('TOO_MANY_SUBSCRIPTIONS', `At most ${this.options.limits.maxSubscriptionsPerConnection} subscriptions per connection; unsubscribe from some first`);
    }
    const reg = this.registry.get(`${input.schema}.${input.table}`);
    const table = this.options.schema.table(input.schema, input.table);
    if (!reg || !table) {
      throw new RealtimeError('TABLE_NOT_ENABLED', `Table ${input.schema}.${input.table} is not enabled for realtime`, { schema: input.schema, table: input.table });
    }
    const compiled = input.filter !== undefined && input.filter !== '' ? compileSubscriptionFilter(input.filter, table, reg.excluded) : undefined;
    const sub: Subscription = {
      id: randomUUID(), connection: conn, channel: input.channel, schema: input.schema, table: input.table,
      event: event as Subscription['event'], filterText: input.filter || undefined, matches: compiled?.matches, equality: compiled?.equality,
    };
    conn.subscriptions.set(sub.id, sub);
    this.subscriptions.add(sub);
    return sub;
  }

  /** Remove one subscription, those of a channel, or all; returns the removed ids. */
  unsubscribe(conn: Connection, which: { subscriptionId?: string | undefined; channel?: string | undefined }): string[] {
    const removed: string[] = [];
    for (const sub of [...conn.subscriptions.values()]) {
      if (which.subscriptionId !== undefined ? sub.id !== which.subscriptionId : which.channel !== undefined && sub.channel !== which.channel) continue;
      conn.subscriptions.delete(sub.id);
      this.subscriptions.remove(sub);
      removed.push(sub.id);
    }
    if (which.subscriptionId === undefined) {
      for (const channel of [...conn.channels.keys()]) if (which.channel === undefined || channel === which.channel) this.leave(conn, channel);
    }
    return removed;
  }

  private onNotify(channel: string, payload: string): void {
    if (SCHEMA_CHANNELS.includes(channel)) {
      // Policies, grants or RLS flags may have changed. Every listener hears this on the same
      // connection as its changes, so a change committed after the DDL is checked after the
      // invalidation: no decision from the old policies is served for it.
      if (wantsReload(channel, payload)) this.options.rls.invalidate();
      return;
    }
    if (channel === this.options.registryChannel) {
      this.reloadRegistry().catch((err: unknown) => this.options.logger.warn({ err }, 'realtime: could not reload enabled tables'));
      return;
    }
    if (channel === BUS_CHANNEL) {
      this.options.bus.notified?.(payload);
      return;
    }
    const receivedAt = performance.now();
    let raw: QueuedChange['raw'];
    try {
      raw = JSON.parse(payload) as QueuedChange['raw'];
    } catch {
      this.options.logger.warn({ channel }, 'realtime: ignoring a notification that is not JSON');
      return;
    }
    if (typeof raw.commit_timestamp === 'string') {
      const lag = (this.options.now() - Date.parse(raw.commit_timestamp)) / 1000;
      if (lag >= 0) this.options.metrics.notificationLag.observe(lag);
    }
    this.queue.push(`${raw.schema}.${raw.table}`, { raw, receivedAt });
  }

  /** Read the enabled tables again now (an admin route changed them on this instance). */
  async refreshRegistry(): Promise<void> {
    // The change is committed either way; the NOTIFY path retries a failed reload.
    if (this.started) await this.reloadRegistry().catch((err: unknown) => this.options.logger.warn({ err }, 'realtime: could not reload enabled tables'));
  }

  private async reloadRegistry(): Promise<void> {
    const entries = await this.options.loadRegistry();
    const next = new Map<string, Registered>();
    for (const e of entries) next.set(`${e.schema}.${e.table}`, { events: new Set(e.events), excluded: new Set(e.excluded) });
    this.registry = next;
  }

  /**
   * The notification queue was full: the change is lost for every subscriber. Clients are told
   * (at most once a second), like after a listener reconnect, so they can refetch.
   */
  private changeDropped(): void {
    this.options.metrics.dropped.inc({ reason: 'notification_queue_full' });
    const now = this.options.now();
    if (now - this.lastDropNotice < 1000) return;
    this.lastDropNotice = now;
    this.options.logger.warn({ capacity: this.options.limits.notificationQueueSize }, 'realtime: the notification queue is full; changes are dropped (raise realtime.notification_queue_size or notification_workers)');
    const message: Outgoing = {
      kind: 'system', event: 'changes_dropped', since: new Date(now).toISOString(),
      message: 'The server could not keep up with the change feed and dropped changes. Refetch what you display.',
    };
    for (const conn of this.connections.values()) conn.send(message);
  }

  /**
   * One listener listens again. Clients are told once the whole feed is back (every listener
   * listening): a change committed after the notice is delivered, whichever channel it takes.
   * `since` is the earliest loss among them.
   */
  private onListenerReconnected(listener: number, since: Date): void {
    this.options.metrics.listenerReconnects.inc();
    this.options.logger.warn({ listener, since }, 'realtime: LISTEN connection re-established; changes committed meanwhile were missed');
    if (this.feedLostSince === undefined || since < this.feedLostSince) this.feedLostSince = since;
    if (!this.listeners.healthy()) return;
    const lostSince = this.feedLostSince;
    this.feedLostSince = undefined;
    this.reloadRegistry().catch(() => {});
    const message: Outgoing = {
      kind: 'system', event: 'listener_reconnected', since: lostSince.toISOString(),
      message: 'The change feed reconnected to the database; changes made while it was away were not delivered. Refetch what you display.',
    };
    for (const conn of this.connections.values()) conn.send(message);
    this.options.metrics.messages.inc({ type: 'system' }, this.connections.size);
  }

  private async resolve(item: QueuedChange): Promise<Change | undefined> {
    let raw = item.raw;
    if (typeof raw.ref === 'number') {
      const stored = await this.options.fetchLargePayload(raw.ref).catch((err: unknown) => {
        this.options.logger.warn({ err, ref: raw.ref }, 'realtime: could not load a large change');
        return undefined;
      });
      if (!stored) return undefined;
      raw = stored as QueuedChange['raw'];
    }
    if (typeof raw.schema !== 'string' || typeof raw.table !== 'string' || !isChangeType(raw.type)) return undefined;
    return {
      schema: raw.schema, table: raw.table, type: raw.type, commit_timestamp: String(raw.commit_timestamp ?? new Date(this.options.now()).toISOString()),
      record: (raw.record ?? null) as Row | null, ...(raw.old_record ? { old_record: raw.old_record } : {}), receivedAt: item.receivedAt,
    };
  }

  /** One lane's batch: resolve, match, one RLS statement, deliver in order. */
  private async processBatch(batch: QueuedChange[]): Promise<void> {
    const changes: Change[] = [];
    for (const item of batch) {
      const change = await this.resolve(item);
      if (change) changes.push(change);
    }
    if (changes.length === 0) return;
    const { schema, table } = changes[0]!;
    const reg = this.registry.get(`${schema}.${table}`);
    if (!reg) return;
    // What clients see: excluded columns removed. Filters see the same.
    const planned = changes.map((change) => {
      const record = change.record ? strip(change.record, reg.excluded) : null;
      const old = change.old_record ? strip(change.old_record, reg.excluded) : undefined;
      const candidates = this.subscriptions.match(change, change.type === 'DELETE' ? (old ?? null) : record);
      return { change, record, old, candidates };
    });
    // One RLS statement for every distinct identity of the batch, each with only the rows it is a candidate for.
    type Entry = { identity: Identity; index: number; rows: number[] };
    const identities = new Map<string, Entry>();
    // Connections of one user share claims but not Identity objects: look up by object first (cheap), then by claims.
    const byObject = new Map<Identity, Entry>();
    const entryOf = (id: Identity): Entry => {
      let entry = byObject.get(id);
      if (entry) return entry;
      entry = identities.get(id.claimsKey);
      if (!entry) identities.set(id.claimsKey, (entry = { identity: id, index: identities.size, rows: [] }));
      byObject.set(id, entry);
      return entry;
    };
    for (let i = 0; i < planned.length; i++) {
      for (const sub of planned[i]!.candidates) {
        const entry = entryOf(sub.connection.identity);
        if (entry.rows[entry.rows.length - 1] !== i) entry.rows.push(i);
      }
    }
    if (identities.size === 0) return;
    const fullRows = planned.map((p) => (p.change.type === 'DELETE' ? (p.change.old_record ?? {}) : (p.change.record ?? {})));
    const entries = [...identities.values()];
    let visible: boolean[][] | undefined;
    try {
      visible = await this.options.rls.check(schema, table, fullRows, entries.map((v) => v.identity), entries.map((v) => v.rows));
    } catch (err) {
      const now = this.options.now();
      if (now - this.lastRlsWarning > 10_000) {
        this.lastRlsWarning = now;
        this.options.logger.warn({ err, schema, table }, 'realtime: RLS check failed; changes are withheld from subscribers that need it');
      }
    }
    for (let i = 0; i < planned.length; i++) {
      const p = planned[i]!;
      if (p.candidates.length === 0) continue;
      const perConnection = new Map<Connection, string[]>();
      for (const sub of p.candidates) {
        const id = sub.connection.identity;
        const ok = id.role === 'service_role' || (visible?.[entryOf(id).index]?.[i] ?? false);
        if (!ok) {
          if (!visible) this.options.metrics.dropped.inc({ reason: 'rls_unavailable' });
          continue;
        }
        const ids = perConnection.get(sub.connection);
        if (ids) ids.push(sub.id);
        else perConnection.set(sub.connection, [sub.id]);
      }
      if (perConnection.size === 0) continue;
      let rendered: string | undefined;
      const payload = () => (rendered ??= JSON.stringify({
        type: p.change.type, schema, table, commit_timestamp: p.change.commit_timestamp, record: p.record,
        ...(p.old !== undefined ? { old_record: p.old } : {}),
      }));
      for (const [conn, ids] of perConnection) {
        conn.send({ kind: 'change', change: p.change, payload, channel: conn.subscriptions.get(ids[0]!)?.channel ?? '', subscriptionIds: ids });
      }
      this.options.metrics.messages.inc({ type: 'postgres_changes' }, perConnection.size);
      this.options.metrics.deliveryLatency.observe((performance.now() - p.change.receivedAt) / 1000);
    }
  }

  // ── broadcast and presence ───────────────────────────────────────────────

  join(conn: Connection, channel: string, config: { self?: boolean; ack?: boolean; presenceKey?: string | undefined } = {}): void {
    if (conn.expired) throw expiredError();
    if (channel.startsWith('realtime:admin:') && !conn.identity.isAdmin) {
      throw new RealtimeError('ADMIN_REQUIRED', 'Channels named realtime:admin:* are for administrators only');
    }
    const existing = conn.channels.get(channel);
    if (!existing && conn.channels.size >= this.options.limits.maxSubscriptionsPerConnection) {
      throw new RealtimeError('TOO_MANY_SUBSCRIPTIONS', `At most ${this.options.limits.maxSubscriptionsPerConnection} channels per connection; leave some first`);
    }
    const membership: ChannelMembership = {
      broadcastSelf: config.self ?? existing?.broadcastSelf ?? false,
      broadcastAck: config.ack ?? existing?.broadcastAck ?? false,
      presenceKey: existing?.presenceKey,
      presenceConfigKey: config.presenceKey ?? existing?.presenceConfigKey,
    };
    conn.channels.set(channel, membership);
    let members = this.channels.get(channel);
    if (!members) {
      this.channels.set(channel, (members = new Set()));
      // First local member: ask the other instances who is present there.
      void this.publish({ kind: 'presence_request', channel });
    }
    members.add(conn);
  }

  /** After a join's ack: who is present already (nothing when nobody is). */
  presenceSync(conn: Connection, channel: string): void {
    if (this.presence.hasChannel(channel)) {
      conn.send({ kind: 'presence', channel, presence: { event: 'sync', currentPresences: this.presence.current(channel) } });
    }
  }

  private leave(conn: Connection, channel: string): void {
    const membership = conn.channels.get(channel);
    if (!membership) return;
    if (membership.presenceKey !== undefined) this.setPresence(conn, channel, null);
    conn.channels.delete(channel);
    const members = this.channels.get(channel);
    members?.delete(conn);
    if (members?.size === 0) this.channels.delete(channel);
  }

  /** Deliver to the local members of a channel (the sender only when it asked for self) and to other instances. */
  async broadcast(from: Connection | null, channel: string, event: string, payload: unknown): Promise<{ recipients: number; published: boolean }> {
    if (from) {
      if (!from.channels.has(channel)) this.join(from, channel);
      if (channel.startsWith('realtime:admin:')) return { recipients: 0, published: true }; // admin channels only carry server events
    }
    const recipients = this.deliverBroadcast(channel, event, payload, from);
    const published = await this.publish({ kind: 'broadcast', channel, event, payload });
    return { recipients, published };
  }

  private deliverBroadcast(channel: string, event: string, payload: unknown, from: Connection | null): number {
    let n = 0;
    for (const conn of this.channels.get(channel) ?? []) {
      const self = conn === from;
      if (self && !conn.channels.get(channel)?.broadcastSelf) continue;
      if (conn.send({ kind: 'broadcast', channel, event, payload, self })) n++;
    }
    this.options.metrics.messages.inc({ type: 'broadcast' }, n);
    return n;
  }

  track(conn: Connection, channel: string, key: string | undefined, state: unknown): void {
    if (!conn.channels.has(channel)) this.join(conn, channel);
    const membership = conn.channels.get(channel)!;
    const k = key ?? membership.presenceConfigKey ?? conn.identity.userId ?? conn.id;
    this.setPresence(conn, channel, { key: k, state: state ?? {} });
  }

  untrack(conn: Connection, channel: string): void {
    if (conn.channels.get(channel)?.presenceKey !== undefined) this.setPresence(conn, channel, null);
  }

  presenceOf(channel: string): Record<string, unknown[]> {
    return this.presence.current(channel);
  }

  private setPresence(conn: Connection, channel: string, value: { key: string; state: unknown } | null): void {
    const member = `${this.instanceId}:${conn.id}`;
    const membership = conn.channels.get(channel);
    if (membership) membership.presenceKey = value?.key;
    const key = value?.key ?? '';
    this.announce(channel, this.presence.set(channel, member, key, value?.state ?? null));
    void this.publish({ kind: 'presence', channel, member, key, state: value?.state ?? null });
  }

  private announce(channel: string, diffs: PresenceChange[]): void {
    if (diffs.length === 0) return;
    const members = this.channels.get(channel);
    if (!members || members.size === 0) return;
    const currentPresences = this.presence.current(channel);
    for (const diff of diffs) {
      const message: Outgoing = { kind: 'presence', channel, presence: { ...diff, currentPresences } };
      for (const conn of members) conn.send(message);
      this.options.metrics.messages.inc({ type: 'presence' }, members.size);
    }
  }

  /**
   * Send to the other instances, in the order of the calls (a track and a re-track must not
   * swap: each publish may use another pool connection); false (logged) when the bus is unreachable.
   */
  private publish(message: BusMessage): Promise<boolean> {
    const envelope = { ...message, origin: this.instanceId } as BusEnvelope;
    const sent = this.publishing.then(() => this.options.bus.publish(envelope)).then(
      () => true,
      (err: unknown) => {
        this.options.logger.warn({ err, kind: message.kind }, 'realtime: could not reach the other instances');
        return false;
      },
    );
    this.publishing = sent;
    return sent;
  }

  private onBus(message: BusEnvelope): void {
    if (message.origin === this.instanceId) return;
    this.peersSeen.set(message.origin, this.options.now());
    switch (message.kind) {
      case 'broadcast':
        this.deliverBroadcast(message.channel, message.event, message.payload, null);
        return;
      case 'presence':
        this.announce(message.channel, this.presence.set(message.channel, message.member, message.key, message.state));
        return;
      case 'presence_request': {
        const mine = this.presence.membersOf(`${this.instanceId}:`).filter((m) => m.channel === message.channel);
        if (mine.length > 0) {
          void this.publish({ kind: 'presence_state', channel: message.channel, members: mine.map(({ member, key, state }) => ({ member, key, state })) });
        }
        return;
      }
      case 'presence_state':
        for (const m of message.members) this.announce(message.channel, this.presence.set(message.channel, m.member, m.key, m.state, true));
        return;
      case 'gone':
        this.forgetPeer(message.origin);
        return;
      case 'alive':
        return;
    }
  }

  private forgetPeer(origin: string): void {
    this.peersSeen.delete(origin);
    for (const m of this.presence.membersOf(`${origin}:`)) this.announce(m.channel, this.presence.set(m.channel, m.member, m.key, null));
  }

  private alive(): void {
    if (this.presence.membersOf(`${this.instanceId}:`).length > 0) void this.publish({ kind: 'alive' });
    const cutoff = this.options.now() - 3 * ALIVE_INTERVAL_MS;
    for (const [origin, seen] of this.peersSeen) if (seen < cutoff) this.forgetPeer(origin);
  }

  // ── sweeps ───────────────────────────────────────────────────────────────

  private sweepExpired(): void {
    const nowSeconds = this.options.now() / 1000;
    for (const conn of this.connections.values()) {
      const exp = conn.identity.expiresAt;
      if (conn.expired || exp === undefined || nowSeconds <= exp + this.options.leewaySeconds) continue;
      this.endIdentity(conn, 'EXPIRED_TOKEN');
    }
  }

  /**
   * The connection's credential is no longer valid: end its subscriptions with one error
   * frame; it stays open for an access_token message.
   */
  endIdentity(conn: Connection, code: 'EXPIRED_TOKEN' | 'TOKEN_REVOKED'): void {
    if (conn.expired) return;
    conn.expired = true;
    const ids = [...conn.subscriptions.keys()];
    // An expired token ends the row-change subscriptions; a revoked one also its channels
    // (broadcast and presence under that identity).
    if (code === 'TOKEN_REVOKED') this.unsubscribe(conn, {});
    else for (const id of ids) this.unsubscribe(conn, { subscriptionId: id });
    conn.send({ kind: 'expired', code, subscriptionIds: ids });
  }

  private sweepSlow(): void {
    const now = this.options.now();
    const { slowClientThreshold, slowClientTimeoutMs } = this.options.limits;
    for (const conn of [...this.connections.values()]) {
      if (conn.depth < slowClientThreshold) {
        conn.slowSince = undefined;
        continue;
      }
      conn.slowSince ??= now;
      if (now - conn.slowSince >= slowClientTimeoutMs) {
        this.options.metrics.slowDisconnects.inc();
        this.options.logger.info({ connection: conn.id, queued: conn.depth }, 'realtime: closing a client that stayed too slow');
        conn.close(1008, 'Connection too slow');
        this.closed(conn);
      }
    }
  }

  stats(): { id: string; user_id: string | null; email: string | null; remote_addr: string; connected_at: string }[] {
    return [...this.connections.values()].map((c) => ({
      id: c.id, user_id: c.identity.userId, email: c.identity.email ?? null, remote_addr: c.remoteAddr, connected_at: c.connectedAt.toISOString(),
    }));
  }
}

function expiredError(): RealtimeError {
  return new RealtimeError('EXPIRED_TOKEN', 'The credential of this connection is no longer valid; send an access_token message with a fresh token');
}

function isChangeType(t: unknown): t is ChangeType {
  return t === 'INSERT' || t === 'UPDATE' || t === 'DELETE';
}

function strip(row: Row, excluded: ReadonlySet<string>): Row {
  if (excluded.size === 0) return row;
  const out: Row = {};
  for (const k in row) if (!excluded.has(k)) out[k] = row[k];
  return out;
}
