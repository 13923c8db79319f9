// The fetch wrapper that puts the signed-in user on the client's requests. A request that
// carries the client's default credential waits for the stored session to load, is sent
// with a fresh access token (refreshing first when one is due), and on a 401
// EXPIRED_TOKEN is retried once after a refresh. Requests with a credential of their
// own (auth routes, per-request headers) pass through untouched.
import type { SessionManager } from './session-manager.ts';

type Fetch = typeof fetch;
type RawBody = RequestInit['body'];

export interface AuthFetchSettings {
  fetch: Fetch;
  /** A getter: the client builds its AuthClient (and so the manager) on top of this fetch. */
  sessions: () => SessionManager;
  /**
   * The Authorization value the client stamps by default right now, or null when the
   * credential is not the session's (a fixed header or setAuth): then nothing is managed.
   */
  defaultAuthorization: () => string | null;
  retryOnExpiredToken: boolean;
}

export function createAuthFetch(settings: AuthFetchSettings): Fetch {
  const { defaultAuthorization } = settings;
  const send = settings.fetch;
  return async (input, init) => {
    // Same tick as the transport built the headers, so this is what it stamped.
    const stamped = defaultAuthorization();
    const headers = new Headers(init?.headers);
    if (stamped === null || headers.get('authorization') !== stamped) return send(input, init);
    const sessions = settings.sessions();

    await sessions.fresh();
    const sent = defaultAuthorization();
    if (sent !== null) headers.set('Authorization', sent);
    const sentToken = sessions.current()?.access_token;
    const res = await send(input, { ...init, headers });

    if (!settings.retryOnExpiredToken || res.status !== 401 || sentToken === undefined || sent !== `Bearer ${sentToken}` || !replayable(init?.body)) return res;
    if ((await errorCode(res)) !== 'EXPIRED_TOKEN') return res;
    // Someone else may have refreshed while this request was out: then just use the new token.
    if (sessions.current()?.access_token === sentToken && (await sessions.refresh()).error) return res;
    const retryWith = defaultAuthorization();
    if (retryWith === null || retryWith === sent) return res;
    headers.set('Authorization', retryWith);
    return send(input, { ...init, headers });
  };
}

/** Bodies that can be sent a second time (a stream is consumed by the first attempt). */
function replayable(body: RawBody): boolean {
  return body === undefined || body === null || !(typeof ReadableStream !== 'undefined' && body instanceof ReadableStream);
}

async function errorCode(res: Response): Promise<string | undefined> {
  try {
    const body: unknown = await res.clone().json();
    const code = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).code : undefined;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}
