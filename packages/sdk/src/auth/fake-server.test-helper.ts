// Test-only: a fetch double that answers auth routes from a table of handlers and records
// every request, plus builders for sessions with real-looking (unsigned) JWTs. Used by the
// unit tests beside it; never imported by the SDK itself.
import type { Session, User } from './types.ts';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Headers;
}

export interface FakeReply {
  status?: number;
  body?: unknown;
}

export type FakeHandler = (req: SeenRequest) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  fetch: typeof fetch;
  seen: SeenRequest[];
  /** Requests whose "METHOD /path" equals `route`. */
  count(route: string): number;
  last(route: string): SeenRequest | undefined;
  routes: Record<string, FakeHandler>;
}

export const BASE = 'http://fake.test';
export const ANON = 'anon-key';

export function fakeServer(routes: Record<string, FakeHandler> = {}): FakeServer {
  const seen: SeenRequest[] = [];
  const server: FakeServer = {
    seen,
    routes,
    count: (route) => seen.filter((r) => `${r.method} ${r.path}` === route).length,
    last: (route) => seen.filter((r) => `${r.method} ${r.path}` === route).at(-1),
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const text = typeof init?.body === 'string' ? init.body : undefined;
      const req: SeenRequest = {
        method: init?.method ?? 'GET', path: url.pathname, query: url.searchParams,
        body: text === undefined ? undefined : JSON.parse(text), headers: new Headers(init?.headers),
      };
      seen.push(req);
      const handler = routes[`${req.method} ${req.path}`];
      const reply = handler === undefined ? { status: 404, body: { error: 'Not found', code: 'NOT_FOUND' } } : await handler(req);
      const status = reply.status ?? 200;
      return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
        status, headers: { 'content-type': 'application/json' },
      });
    },
  };
  return server;
}

export function errorReply(status: number, code: string, error = code): FakeReply {
  return { status, body: { error, code, request_id: 'rid' } };
}

function b64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unsigned JWT with the given `exp`: the SDK only reads it, never verifies it. */
export function fakeJwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}.sig`;
}

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: '00000000-0000-4000-8000-000000000001', email: 'ann@example.com', email_verified: true, phone: null,
    role: 'authenticated', user_metadata: {}, app_metadata: {}, is_anonymous: false, totp_enabled: false,
    created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', last_sign_in_at: null, ...overrides,
  };
}

let serial = 0;

/** A wire Session expiring `expiresIn` seconds from now, with unique tokens. */
export function makeSession(options: { expiresIn?: number; user?: User } = {}): Session {
  serial++;
  const expiresIn = options.expiresIn ?? 900;
  const exp = Math.floor(Date.now() / 1000) + expiresIn;
  return {
    user: options.user ?? makeUser(),
    access_token: fakeJwt({ sub: 'u', exp, n: serial }),
    refresh_token: `refresh-${serial}`,
    token_type: 'bearer',
    expires_in: expiresIn,
    expires_at: exp,
  };
}

/** Wait until `check` is true, polling; fails after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
