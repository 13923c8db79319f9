// Requests to `/api/v1/auth/*` and the reading of their answers. Public routes (sign-in,
// refresh, mail) carry the client's API key as Bearer, never a user token, so a stale
// session can never make a sign-in fail; protected routes carry the (refreshed) user token.
import { FluxbaseError } from '../errors.ts';
import type { FluxbaseResponse, FluxbaseResult, HttpMethod, QueryParams, Transport } from '../transport.ts';
import { asSession, asUser, isTwoFactorChallenge } from './session.ts';
import { missingSession, type SessionManager } from './session-manager.ts';
import type { Session, TwoFactorChallenge, User } from './types.ts';

export const AUTH_BASE = '/api/v1/auth';

type Obj = Record<string, unknown>;

export interface AuthCallOptions {
  body?: unknown;
  query?: QueryParams;
}

export class AuthHttp {
  private readonly transport: Transport;
  private readonly apiKey: string;
  private readonly sessions: SessionManager;

  constructor(transport: Transport, apiKey: string, sessions: SessionManager) {
    this.transport = transport;
    this.apiKey = apiKey;
    this.sessions = sessions;
  }

  /** A route that needs no user: authenticated by the API key alone. */
  public<T>(method: HttpMethod, path: string, options: AuthCallOptions = {}): Promise<FluxbaseResponse<T>> {
    return this.send<T>(method, path, this.apiKey, options);
  }

  /** A protected route: the current session's access token, refreshed first when due. */
  async user<T>(method: HttpMethod, path: string, options: AuthCallOptions = {}): Promise<FluxbaseResponse<T>> {
    const fresh = await this.sessions.fresh();
    const token = fresh.data?.access_token;
    if (token === undefined) return { data: null, error: fresh.error ?? missingSession(), status: 0, statusText: '', headers: new Headers() };
    return this.send<T>(method, path, token, options);
  }

  /** A route called with a token the caller supplies (setSession). */
  withToken<T>(token: string, method: HttpMethod, path: string, options: AuthCallOptions = {}): Promise<FluxbaseResponse<T>> {
    return this.send<T>(method, path, token, options);
  }

  private send<T>(method: HttpMethod, path: string, bearer: string, options: AuthCallOptions): Promise<FluxbaseResponse<T>> {
    return this.transport<T>(method, AUTH_BASE + path, {
      headers: { Authorization: `Bearer ${bearer}` },
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.query === undefined ? {} : { query: options.query }),
    });
  }
}

export function invalidResponse(res: FluxbaseResponse<unknown>, what: string): FluxbaseError {
  return new FluxbaseError({
    status: res.status, code: 'INVALID_RESPONSE', error: 'Invalid response',
    message: `Expected ${what} from the auth route`, requestId: res.headers.get('x-request-id') ?? undefined,
  });
}

/** The JSON object of a successful answer, checked by `pick`. */
export function objectResult<T>(res: FluxbaseResponse<unknown>, what: string, pick: (body: Obj) => T | undefined = (b) => b as T): FluxbaseResult<T> {
  if (res.error) return { data: null, error: res.error };
  const body = res.data;
  const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? pick(body as Obj) : undefined;
  return value === undefined ? { data: null, error: invalidResponse(res, what) } : { data: value, error: null };
}

/** A Session answer (refresh, MFA verify). */
export function sessionResult(res: FluxbaseResponse<unknown>): FluxbaseResult<Session> {
  return objectResult(res, 'a session', (b) => asSession(b) ?? undefined);
}

/** A sign-in answer: a Session or a TwoFactorChallenge. */
export function signInResult(res: FluxbaseResponse<unknown>): FluxbaseResult<Session | TwoFactorChallenge> {
  return objectResult<Session | TwoFactorChallenge>(res, 'a session or a 2FA challenge', (b) => (isTwoFactorChallenge(b) ? b : asSession(b) ?? undefined));
}

/** A bare User answer (GET/PATCH /user). */
export function userResult(res: FluxbaseResponse<unknown>): FluxbaseResult<User> {
  return objectResult(res, 'a user', (b) => asUser(b) ?? undefined);
}

/** An answer whose content does not matter beyond success (mail sent, generic messages). */
export function messageResult(res: FluxbaseResponse<unknown>): FluxbaseResult<{ message: string }> {
  return objectResult(res, 'a JSON object', (b) => ({ message: typeof b.message === 'string' ? b.message : '' }));
}
