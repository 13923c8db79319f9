// Broadcast and presence between instances (docs/realtime.md "Several instances"): through
// PostgreSQL NOTIFY on BUS_CHANNEL by default (received by listener 0 of the listener pool),
// or Redis pub/sub when `redis.url` is set. A message over NOTIFY's 8000-byte limit is stored
// in realtime.change_payloads and sent as a reference. Each instance ignores its own messages
// (it delivered them locally already).
import { createRequire } from 'node:module';
import type * as IoRedis from 'ioredis';
import type { Pool } from '../../db/index.ts';
import type { Logger } from '../../observability/index.ts';

export const BUS_CHANNEL = 'fluxbase_realtime_bus';
const REDIS_CHANNEL = 'fluxbase:realtime:bus';

/** The database number of a redis:// URL (`/3` → 3; none → 0), as ioredis reads it. */
export function redisDatabaseOf(url: string): number {
  try {
    const n = Number.parseInt(new URL(url).pathname.replace(/^\//, ''), 10);
    return Number.isInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}
/** NOTIFY payloads must stay under 8000 bytes; leave room for the envelope. */
const NOTIFY_LIMIT = 7900;

export type BusMessage =
  | { kind: 'broadcast'; channel: string; event: string; payload: unknown }
  | { kind: 'presence'; channel: string; member: string; key: string; state: unknown | null }
  | { kind: 'presence_request'; channel: string }
  | { kind: 'presence_state'; channel: string; members: { member: string; key: string; state: unknown }[] }
  | { kind: 'alive' }
  | { kind: 'gone' };

export type BusEnvelope = BusMessage & { origin: string };

export interface Bus {
  readonly kind: 'postgres' | 'redis';
  publish(message: BusEnvelope): Promise<void>;
  /** Wire the receiver; the postgres bus gets its notifications through the listener pool. `self`: this instance's origin. */
  start(receive: (message: BusEnvelope) => void, self: string): Promise<void>;
  /** The postgres bus: a notification on BUS_CHANNEL arrived. */
  notified?(payload: string): void;
  stop(): Promise<void>;
}

export class PostgresBus implements Bus {
  readonly kind = 'postgres' as const;
  private receive: ((message: BusEnvelope) => void) | undefined;
  private self: string | undefined;

  constructor(private readonly pool: Pool, private readonly logger: Logger) {}

  async publish(message: BusEnvelope): Promise<void> {
    const text = JSON.stringify(message);
    await this.pool.withConnection(async (conn) => {
      if (Buffer.byteLength(text) <= NOTIFY_LIMIT) {
        await conn.unsafe('select pg_notify($1, $2)', [BUS_CHANNEL, text]);
        return;
      }
      // One statement: the stored payload and the reference commit together.
      await conn.unsafe(
        `with stored as (insert into realtime.change_payloads (payload) values ($2::text::jsonb) returning id)
         select pg_notify($1, json_build_object('ref', id, 'origin', $3::text)::text) from stored`,
        [BUS_CHANNEL, text, message.origin],
      );
    });
  }

  async start(receive: (message: BusEnvelope) => void, self: string): Promise<void> {
    this.receive = receive;
    this.self = self;
  }

  notified(payload: string): void {
    let message: BusEnvelope & { ref?: number };
    try {
      message = JSON.parse(payload) as BusEnvelope & { ref?: number };
    } catch {
      return;
    }
    const ref = message.ref;
    if (message.origin === this.self) return; // delivered locally already; a large one need not be fetched back
    if (typeof ref !== 'number') {
      this.receive?.(message);
      return;
    }
    this.pool.withConnection((conn) => conn.unsafe('select payload from realtime.change_payloads where id = $1', [ref]))
      .then((rows) => {
        const stored = rows[0]?.payload as BusEnvelope | undefined;
        if (stored) this.receive?.(stored);
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'realtime: could not load a large broadcast'));
  }

  async stop(): Promise<void> {
    this.receive = undefined;
  }
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  private readonly pub: IoRedis.Redis;
  private readonly sub: IoRedis.Redis;

  /** `fluxbase:realtime:bus:<db>`: one channel per Redis database number of redis.url. */
  private readonly channel: string;

  constructor(url: string, private readonly logger: Logger) {
    // Redis pub/sub ignores database numbers, but deployments sharing a Redis server are told
    // apart by them (their rate-limit keys live in their own database): the channel carries it,
    // so one deployment's broadcasts and presence never reach another's (docs/scaling.md).
    this.channel = `${REDIS_CHANNEL}:${redisDatabaseOf(url)}`;
    // Required here, not imported at the top: servers without Redis never load ioredis.
    const { Redis } = createRequire(import.meta.url)('ioredis') as typeof IoRedis;
    const options = { maxRetriesPerRequest: 1, retryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, 5000), lazyConnect: true };
    this.pub = new Redis(url, options);
    this.sub = new Redis(url, options);
    let down = false;
    const onError = (err: Error) => {
      if (down) return;
      down = true;
      logger.warn({ err: { message: err.message } }, 'realtime: redis bus unreachable; reconnecting');
    };
    this.pub.on('error', onError);
    this.sub.on('error', onError);
    this.sub.on('ready', () => { down = false; });
  }

  async publish(message: BusEnvelope): Promise<void> {
    await this.pub.publish(this.channel, JSON.stringify(message));
  }

  async start(receive: (message: BusEnvelope) => void, _self: string): Promise<void> {
    this.sub.on('message', (_channel: string, text: string) => {
      try {
        receive(JSON.parse(text) as BusEnvelope);
      } catch (err) {
        this.logger.warn({ err }, 'realtime: bad message on the redis bus');
      }
    });
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.channel);
  }

  async stop(): Promise<void> {
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
