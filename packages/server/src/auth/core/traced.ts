// Spans for the auth steps (docs/tracing.md "Auth"), put around the core's services in place
// when tracing is on, so the routes and flows that call them stay as they are. Off: never
// called, nothing wrapped. Attributes name the step and its method, never a credential.
import type { Tracing } from '../../observability/index.ts';
import type { AuthCore } from '../deps.ts';

type AsyncFn = (...args: never[]) => Promise<unknown>;

/** Replaces `target[key]` by the same function inside a span named `name`. */
function wrap<T extends object, K extends keyof T>(tracing: Tracing, target: T, key: K, name: string, attributes?: (...args: never[]) => Record<string, string | undefined>): void {
  const original = target[key] as unknown as AsyncFn;
  const traced = (...args: never[]) => tracing.inSpan(name, { requireParent: true, attributes: attributes?.(...args) ?? {} }, () => original.apply(target, args));
  target[key] = traced as unknown as T[K];
}

export function traceAuthCore(core: AuthCore, tracing: Tracing): void {
  wrap(tracing, core.passwords, 'verify', 'auth.password.verify');
  wrap(tracing, core.passwords, 'hash', 'auth.password.hash');
  wrap(tracing, core.users, 'create', 'auth.user.create');
  wrap(tracing, core, 'completeSignIn', 'auth.sign_in', ((_user: unknown, method: string) => ({ 'auth.method': method })) as never);
  wrap(tracing, core.sessions, 'issue', 'auth.session.issue', ((_user: unknown, options: { method: string; aal?: string }) => ({ 'auth.method': options.method, 'auth.aal': options.aal })) as never);
  wrap(tracing, core.sessions, 'refresh', 'auth.token.refresh');
  wrap(tracing, core, 'consumeChallenge', 'auth.totp.challenge');
}
