// The auth rate limiters of docs/auth.md "Rate limits" (login, signup, email_send, refresh,
// totp_verify), each keyed as its table says, over the shared store (memory or Redis). They
// use the store's strict side: if Redis is down they answer 503, never "unlimited" and
// never per-instance counters an attacker could multiply by spreading requests.
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Config, Rate } from '../config/index.ts';
import { mostRestrictive, RateLimiter, type LimitDecision, type RateLimitStore } from '../http/index.ts';
import type { Metrics } from '../observability/index.ts';
import type { AuthLimiterName, AuthLimitKeys, AuthLimits } from './deps.ts';

type Dimension = 'ip' | 'email' | 'family';

interface Rule {
  limiter: RateLimiter;
  dimension: Dimension;
}

/** "One email per 60 s per address" on top of `email_send_per_email` (docs/auth.md "Limits"). */
export const EMAIL_SEND_INTERVAL: Rate = { count: 1, windowMs: 60_000 };

const MESSAGES: Record<AuthLimiterName, string> = {
  login: 'Too many sign-in attempts',
  signup: 'Too many sign-ups',
  email_send: 'Too many emails requested',
  refresh: 'Too many token refreshes',
  totp_verify: 'Too many verification attempts',
};

/** Emails are hashed before they become store keys: Redis never holds addresses in clear. */
const keyFor = (dimension: Dimension, value: string) =>
  dimension === 'email' ? `email:${createHash('sha256').update(value).digest('base64url').slice(0, 32)}` : `${dimension}:${value}`;

function rulesFor(config: Config, store: RateLimitStore): Record<AuthLimiterName, Rule[]> {
  const rl = config.rate_limit;
  const rule = (name: AuthLimiterName, rate: Rate, dimension: Dimension, keyPrefix?: string): Rule => ({
    limiter: new RateLimiter(name, rate, store, { message: MESSAGES[name], keyPrefix }),
    dimension,
  });
  return {
    login: [rule('login', rl.login, 'ip'), rule('login', rl.login_per_email, 'email')],
    signup: [rule('signup', rl.signup, 'ip')],
    email_send: [
      rule('email_send', rl.email_send, 'ip'),
      rule('email_send', rl.email_send_per_email, 'email'),
      rule('email_send', EMAIL_SEND_INTERVAL, 'email', 'email_send_interval'),
    ],
    refresh: [rule('refresh', rl.refresh, 'family'), rule('refresh', rl.refresh_per_ip, 'ip')],
    totp_verify: [rule('totp_verify', rl.totp_verify, 'ip')],
  };
}

export function createAuthLimits(config: Config, store: RateLimitStore, metrics: Metrics): AuthLimits {
  if (!config.rate_limit.enabled) return { hit: () => Promise.resolve() };
  const rules = rulesFor(config, store.strict ?? store);
  return {
    async hit(reply: FastifyReply, name: AuthLimiterName, keys: AuthLimitKeys): Promise<void> {
      const applicable = rules[name].filter((r) => keys[r.dimension] !== undefined && keys[r.dimension] !== '');
      // Every rule counts the attempt (in parallel: one round trip with Redis); a store
      // failure rejects here as 503 SERVICE_UNAVAILABLE.
      const decisions: LimitDecision[] = await Promise.all(applicable.map((r) => r.limiter.check(keyFor(r.dimension, keys[r.dimension]!))));
      const shown = mostRestrictive(decisions);
      if (!shown) return;
      reply.headers(shown.headers);
      if (!shown.allowed) {
        metrics.rateLimitHits.inc({ limiter: name });
        throw shown.error!;
      }
    },
  };
}
