// Whether an access token's session is still live (docs/auth.md "Sessions and refresh
// tokens"): ended, expired or banned sessions are refused with TOKEN_REVOKED. Answers are
// cached for at most 5 s per session (bounded); the revoking instance drops its entry at
// once and tells the others through NOTIFY, so another instance is at most 5 s stale even
// if a notification is lost.
import type postgres from 'postgres';
import type { Pool } from '../../db/index.ts';
import { AppError } from '../../http/index.ts';
import { BoundedCache, type CacheRegistry, type Logger } from '../../observability/index.ts';

export const AUTH_CHANNEL = 'fluxbase_auth';
const TTL_MS = 5000;
const MAX_ENTRIES = 50_000;

interface Entry {
  userId: string;
  live: boolean;
  checkedAt: number;
}

const revoked = () =>
  new AppError('TOKEN_REVOKED', { message: 'The session of this token has ended', headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });

function check(entry: Entry, userId: string | null): void {
  if (!entry.live || entry.userId !== userId) throw revoked();
}

export class SessionLiveness {
  private readonly cache: BoundedCache<string, Entry>;
  private unlisten: (() => Promise<unknown>) | undefined;

  constructor(private readonly pool: Pool, private readonly listener: postgres.Sql, private readonly logger: Logger, caches?: CacheRegistry) {
    this.cache = new BoundedCache('session_liveness', MAX_ENTRIES, caches);
  }

  async start(): Promise<void> {
    const { unlisten } = await this.listener.listen(AUTH_CHANNEL, (payload) => this.onNotify(payload), () => this.cache.clear());
    this.unlisten = unlisten;
  }

  async stop(): Promise<void> {
    await this.unlisten?.().catch(() => {});
    this.unlisten = undefined;
  }

  /**
   * The session is live and belongs to `userId` (the token's `sub`): a session of another
   * user is refused. Answers at once from a fresh cached entry (undefined, or a synchronous
   * throw), else after loading it.
   */
  assertLive(sessionId: string, userId: string | null): Promise<void> | undefined {
    const now = Date.now();
    const entry = this.cache.get(sessionId);
    if (entry === undefined || now - entry.checkedAt > TTL_MS) {
      return this.load(sessionId, now).then((loaded) => check(loaded, userId));
    }
    check(entry, userId);
    return undefined;
  }

  /** Forget cached answers locally and on every instance. `target` is `s:<session>` or `u:<user>`. */
  async announce(pool: Pool, targets: string[]): Promise<void> {
    for (const t of targets) this.onNotify(t);
    await pool.withConnection(async (sql) => {
      for (const t of targets) await sql`select pg_notify(${AUTH_CHANNEL}, ${t})`;
    }).catch((err: unknown) => this.logger.warn({ err }, 'could not announce session revocation; other instances see it within 5 s'));
  }

  private onNotify(payload: string): void {
    if (payload.startsWith('s:')) this.cache.delete(payload.slice(2));
    else if (payload.startsWith('u:')) {
      const userId = payload.slice(2);
      const ended = [...this.cache.entries()].filter(([, e]) => e.userId === userId).map(([id]) => id);
      for (const id of ended) this.cache.delete(id);
    }
  }

  private async load(sessionId: string, now: number): Promise<Entry> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sessionId);
    const [row] = uuid
      ? await this.pool.withConnection((sql) => sql<{ user_id: string; live: boolean }[]>`
          select s.user_id, (s.revoked_at is null and s.expires_at > now()
                             and (u.banned_until is null or u.banned_until <= now())) as live
          from auth.sessions s join auth.users u on u.id = s.user_id where s.id = ${sessionId}::uuid`)
      : [];
    const entry: Entry = { userId: row?.user_id ?? '', live: row?.live ?? false, checkedAt: now };
    this.cache.set(sessionId, entry);
    return entry;
  }
}
