// The multi-instance warning (docs/auth.md "Multi-instance warning", hardening 1.3):
// without Redis, rate-limit counters are per instance, so N instances allow N times each
// limit. We cannot count our peers, so we read the hints orchestrators leave in the
// environment and log one warning naming the fix.
import type { Logger } from '../observability/index.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Environment variables whose presence means "one of possibly several replicas". */
const PLATFORM_HINTS: readonly [variable: string, platform: string][] = [
  ['KUBERNETES_SERVICE_HOST', 'Kubernetes'],
  ['COMPOSE_PROJECT_NAME', 'Docker Compose'],
  ['NOMAD_ALLOC_ID', 'Nomad'],
  ['ECS_CONTAINER_METADATA_URI_V4', 'AWS ECS'],
  ['K_SERVICE', 'Cloud Run / Knative'],
  ['FLY_ALLOC_ID', 'Fly.io'],
  ['DYNO', 'Heroku'],
  ['RENDER_INSTANCE_ID', 'Render'],
  ['WEBSITE_INSTANCE_ID', 'Azure App Service'],
];

const set = (env: Env, name: string) => (env[name] ?? '').trim() !== '';

/**
 * Why this process is probably one of several instances (empty: no sign of it).
 * `FLUXBASE_INSTANCES` is the operator's word and wins: `1` silences every hint, `>1` is
 * a reason by itself.
 */
export function multiInstanceHints(env: Env): string[] {
  const declared = (env.FLUXBASE_INSTANCES ?? '').trim();
  if (/^\d+$/.test(declared)) {
    const n = Number(declared);
    if (n <= 1) return [];
    return [`FLUXBASE_INSTANCES=${n}`];
  }
  const hints = PLATFORM_HINTS.filter(([name]) => set(env, name)).map(([name, platform]) => `${platform} (${name})`);
  // PM2 cluster mode numbers its workers from 0; any worker above 0 has siblings.
  const pm2 = Number(env.NODE_APP_INSTANCE);
  if (Number.isInteger(pm2) && pm2 >= 1) hints.push('PM2 cluster (NODE_APP_INSTANCE)');
  return hints;
}

/**
 * Logs one warning when rate limits are per instance (no Redis) and the environment suggests
 * several instances. Returns whether it warned.
 */
export function warnIfMultiInstance(env: Env, logger: Pick<Logger, 'warn'>, redisConfigured: boolean): boolean {
  if (redisConfigured) return false;
  const hints = multiInstanceHints(env);
  if (hints.length === 0) return false;
  logger.warn(
    { detected: hints },
    'rate limits are counted per instance and this looks like a multi-instance deployment '
      + `(${hints.join(', ')}): with N instances a client gets N times every limit, login and signup included. `
      + 'Set redis.url (FLUXBASE_REDIS_URL=redis://host:6379/0) to share the counters, '
      + 'or FLUXBASE_INSTANCES=1 if this really is the only instance.',
  );
  return true;
}
