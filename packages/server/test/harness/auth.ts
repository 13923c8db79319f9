// Small helpers for auth tests: JSON calls to /api/v1/auth/* and a signed-up user.
import type { TestApp } from './index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read nested fields freely
export type Json = Record<string, any>;

export interface AuthResponse {
  status: number;
  body: Json;
  headers: Headers;
}

export async function call(app: TestApp, method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}): Promise<AuthResponse> {
  const res = await app.fetch(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Json = {};
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Json);
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let counter = 0;
/** A unique email for this test process. */
export function uniqueEmail(prefix = 'user'): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

export const STRONG_PASSWORD = 'correct horse battery staple';

/** Sign up a user and return its Session body (fails the test if signup does not answer 201). */
export async function signUp(app: TestApp, email = uniqueEmail(), password = STRONG_PASSWORD, extra: Json = {}): Promise<Json> {
  const r = await call(app, 'POST', '/api/v1/auth/signup', { email, password, ...extra });
  if (r.status !== 201) throw new Error(`signup failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The payload of a JWT (no verification). */
export function jwtPayload(token: string): Json {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Json;
}

/** Poll `fn` until it returns true or the deadline passes. */
export async function eventually(fn: () => Promise<boolean>, timeoutMs = 8000, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
