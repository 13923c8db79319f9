// The signed-in state of one client: the current session, its persistence, the
// auth-state listeners, single-flight refresh and the auto-refresh timer. It knows
// nothing about routes: the refresh call itself is injected by the AuthClient.
import { FluxbaseError } from '../errors.ts';
import type { FluxbaseResult } from '../transport.ts';
import { asSession, refreshDueAt } from './session.ts';
import type { AuthChangeEvent, AuthStateChangeCallback, AuthSubscription, Session, SupportedStorage, User } from './types.ts';

export interface SessionManagerSettings {
  /** null: keep the session in memory only (persistSession: false). */
  storage: SupportedStorage | null;
  storageKey: string;
  autoRefresh: boolean;
  marginSeconds: number;
  /** One network refresh; the manager decides when and how often. */
  requestRefresh: (refreshToken: string) => Promise<FluxbaseResult<Session>>;
  /** Told of every access-token change, so the client's requests carry it. */
  onToken: (accessToken: string | null) => void;
}

const MAX_TIMER_MS = 2_147_483_647;
const MAX_RETRY_MS = 30_000;

/** A refresh error the same refresh token can never recover from: the session is over. */
function isFinal(error: FluxbaseError): boolean {
  return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

export function missingSession(): FluxbaseError {
  return new FluxbaseError({ status: 0, code: 'AUTH_SESSION_MISSING', error: 'Auth session missing', message: 'Sign in first: this call needs a signed-in user' });
}

export class SessionManager {
  private session: Session | null = null;
  private readonly listeners = new Set<AuthStateChangeCallback>();
  private inflight: { token: string; promise: Promise<FluxbaseResult<Session>> } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private retries = 0;
  private autoRefresh: boolean;
  // Bumped by every change that is not a refresh, so a refresh answering late (after a
  // sign-out or a new sign-in) is dropped instead of resurrecting the old session.
  private generation = 0;
  private writes: Promise<void> = Promise.resolve();
  private readonly settings: SessionManagerSettings;
  /** Resolves once the stored session (if any) is loaded. Never rejects. */
  readonly ready: Promise<void>;

  constructor(settings: SessionManagerSettings) {
    this.settings = settings;
    this.autoRefresh = settings.autoRefresh;
    this.ready = this.load();
  }

  current(): Session | null {
    return this.session;
  }

  /** Adopt a new session (sign-in, MFA, reset) and tell the listeners. */
  async set(session: Session, event: AuthChangeEvent): Promise<void> {
    this.generation++;
    await this.adopt(session, event);
  }

  /** Forget the session locally (storage included) and emit SIGNED_OUT when there was one. */
  async clear(): Promise<void> {
    this.generation++;
    const had = this.session !== null;
    this.session = null;
    this.cancelTimer();
    this.settings.onToken(null);
    await this.persist(null);
    if (had) this.emit('SIGNED_OUT', null);
  }

  /** Replace the user inside the session (after PATCH /user) and emit USER_UPDATED. */
  async updateUser(user: User): Promise<void> {
    if (this.session === null || this.session.user.id !== user.id) return;
    this.session = { ...this.session, user };
    await this.persist(this.session);
    this.emit('USER_UPDATED', this.session);
  }

  /**
   * Refresh now. Concurrent callers (timer, data requests, the app) share one network
   * call per refresh token. A final refusal (revoked, reused, expired) ends the session.
   */
  refresh(explicitToken?: string): Promise<FluxbaseResult<Session>> {
    const token = explicitToken ?? this.session?.refresh_token;
    if (token === undefined) return Promise.resolve({ data: null, error: missingSession() });
    if (this.inflight !== null && this.inflight.token === token) return this.inflight.promise;
    const promise = this.runRefresh(token, explicitToken === undefined).finally(() => {
      if (this.inflight?.promise === promise) this.inflight = null;
    });
    this.inflight = { token, promise };
    return promise;
  }

  /** The current session, refreshed first when it is due (or expired). */
  async fresh(): Promise<FluxbaseResult<Session | null>> {
    await this.ready;
    const s = this.session;
    if (s === null || Date.now() < refreshDueAt(s, this.settings.marginSeconds)) return { data: s, error: null };
    const res = await this.refresh();
    // A failed refresh of a token that has not expired yet still leaves a usable session.
    if (res.error && this.session !== null && Date.now() < this.session.expires_at * 1000) return { data: this.session, error: null };
    return res;
  }

  subscribe(callback: AuthStateChangeCallback): AuthSubscription {
    this.listeners.add(callback);
    void this.ready.then(() => {
      if (this.listeners.has(callback)) this.call(callback, 'INITIAL_SESSION', this.session);
    });
    return { unsubscribe: () => { this.listeners.delete(callback); } };
  }

  startAutoRefresh(): void {
    this.autoRefresh = true;
    this.schedule();
  }

  stopAutoRefresh(): void {
    this.autoRefresh = false;
    this.cancelTimer();
  }

  private async runRefresh(token: string, ofCurrent: boolean): Promise<FluxbaseResult<Session>> {
    const generation = this.generation;
    if (ofCurrent) {
      // Another tab sharing the storage may have refreshed already: its newer token is
      // ours too, and sending our rotated one would look like reuse and end the family.
      const adopted = await this.adoptNewerStored(token);
      if (adopted !== null && Date.now() < refreshDueAt(adopted, this.settings.marginSeconds)) return { data: adopted, error: null };
      if (adopted !== null) token = adopted.refresh_token;
    }
    const res = await this.settings.requestRefresh(token);
    if (generation !== this.generation) {
      // Signed out or in again meanwhile: this answer belongs to a session that is gone.
      return res.error ? res : { data: null, error: missingSession() };
    }
    if (res.error) {
      if (isFinal(res.error) && (this.session === null || this.session.refresh_token === token)) await this.clear();
      return res;
    }
    this.retries = 0;
    await this.adopt(res.data, 'TOKEN_REFRESHED');
    return res;
  }

  private async adoptNewerStored(token: string): Promise<Session | null> {
    const stored = await this.readStored();
    const s = this.session;
    if (stored === null || s === null || stored.refresh_token === token || stored.user.id !== s.user.id || stored.expires_at < s.expires_at) return null;
    this.session = stored;
    this.settings.onToken(stored.access_token);
    this.schedule();
    this.emit('TOKEN_REFRESHED', stored);
    return stored;
  }

  private async adopt(session: Session, event: AuthChangeEvent): Promise<void> {
    this.session = session;
    this.settings.onToken(session.access_token);
    this.schedule();
    await this.persist(session);
    this.emit(event, session);
  }

  private async load(): Promise<void> {
    const stored = await this.readStored();
    // A sign-in that finished before the load (async storage) wins over the stored value.
    if (stored === null || this.session !== null || this.generation !== 0) return;
    this.session = stored;
    this.settings.onToken(stored.access_token);
    this.schedule();
  }

  private async readStored(): Promise<Session | null> {
    const storage = this.settings.storage;
    if (storage === null) return null;
    let raw: string | null;
    try {
      raw = await storage.getItem(this.settings.storageKey);
    } catch {
      return null;
    }
    if (raw === null || raw === '') return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = null;
    }
    const session = asSession(parsed);
    if (session === null) await this.persist(null);
    return session;
  }

  /** Storage writes are queued so async stores see them in order; a failing store never breaks sign-in. */
  private persist(session: Session | null): Promise<void> {
    const storage = this.settings.storage;
    if (storage === null) return Promise.resolve();
    const key = this.settings.storageKey;
    this.writes = this.writes.then(async () => {
      try {
        if (session === null) await storage.removeItem(key);
        else await storage.setItem(key, JSON.stringify(session));
      } catch {
        // The session stays usable in memory; it just will not survive a reload.
      }
    });
    return this.writes;
  }

  private schedule(): void {
    this.cancelTimer();
    const s = this.session;
    if (!this.autoRefresh || s === null) return;
    const delay = Math.min(Math.max(0, refreshDueAt(s, this.settings.marginSeconds) - Date.now()), MAX_TIMER_MS);
    this.setTimer(delay);
  }

  private setTimer(delay: number): void {
    const timer = setTimeout(() => { void this.tick(); }, delay);
    // Node: a pending refresh must not keep the process alive.
    (timer as unknown as { unref?: () => void }).unref?.();
    this.timer = timer;
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.session === null || !this.autoRefresh) return;
    const res = await this.refresh();
    // Network trouble, 429 or 5xx: try again with backoff; a final error already cleared the session.
    if (res.error && !isFinal(res.error) && this.session !== null && this.autoRefresh && this.timer === null) {
      this.setTimer(Math.min(1000 * 2 ** this.retries, MAX_RETRY_MS));
      this.retries++;
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private emit(event: AuthChangeEvent, session: Session | null): void {
    for (const listener of [...this.listeners]) this.call(listener, event, session);
  }

  private call(listener: AuthStateChangeCallback, event: AuthChangeEvent, session: Session | null): void {
    try {
      listener(event, session);
    } catch (error) {
      // One faulty listener must not stop the others or the sign-in that triggered it.
      console.error('@fluxbase/sdk: an onAuthStateChange listener threw', error);
    }
  }
}
