import { describe, expect, it } from 'vitest';
import { multiInstanceHints, warnIfMultiInstance } from './multi-instance.ts';

const capture = () => {
  const warnings: { obj: unknown; msg: string }[] = [];
  return { warnings, logger: { warn: (obj: unknown, msg?: string) => void warnings.push({ obj, msg: msg ?? '' }) } };
};

describe('multiInstanceHints', () => {
  it.each([
    [{ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, ['Kubernetes (KUBERNETES_SERVICE_HOST)']],
    [{ COMPOSE_PROJECT_NAME: 'shop' }, ['Docker Compose (COMPOSE_PROJECT_NAME)']],
    [{ NOMAD_ALLOC_ID: 'a1' }, ['Nomad (NOMAD_ALLOC_ID)']],
    [{ ECS_CONTAINER_METADATA_URI_V4: 'http://169.254.170.2/v4/x' }, ['AWS ECS (ECS_CONTAINER_METADATA_URI_V4)']],
    [{ K_SERVICE: 'api' }, ['Cloud Run / Knative (K_SERVICE)']],
    [{ FLY_ALLOC_ID: 'x' }, ['Fly.io (FLY_ALLOC_ID)']],
    [{ DYNO: 'web.2' }, ['Heroku (DYNO)']],
    [{ NODE_APP_INSTANCE: '2' }, ['PM2 cluster (NODE_APP_INSTANCE)']],
    [{ FLUXBASE_INSTANCES: '3' }, ['FLUXBASE_INSTANCES=3']],
  ])('detects %j', (env, expected) => {
    expect(multiInstanceHints(env)).toEqual(expected);
  });

  it.each([
    [{}],
    // Docker sets HOSTNAME (the container id) in every container, single ones too: not a hint.
    [{ HOSTNAME: '3f4e5a6b7c8d', PATH: '/usr/bin' }],
    [{ KUBERNETES_SERVICE_HOST: '' }],
    [{ NODE_APP_INSTANCE: '0' }],
    // The operator's explicit word wins over platform hints.
    [{ FLUXBASE_INSTANCES: '1', KUBERNETES_SERVICE_HOST: '10.0.0.1' }],
  ])('sees no hint in %j', (env) => {
    expect(multiInstanceHints(env)).toEqual([]);
  });

  it('ignores an unparseable FLUXBASE_INSTANCES and keeps the platform hints', () => {
    expect(multiInstanceHints({ FLUXBASE_INSTANCES: 'many', KUBERNETES_SERVICE_HOST: 'x' })).toEqual(['Kubernetes (KUBERNETES_SERVICE_HOST)']);
  });

  it('lists every hint found', () => {
    expect(multiInstanceHints({ KUBERNETES_SERVICE_HOST: 'x', COMPOSE_PROJECT_NAME: 'y' })).toHaveLength(2);
  });
});

describe('warnIfMultiInstance', () => {
  it('warns once, naming the hints and the fix, when Redis is not configured', () => {
    const { warnings, logger } = capture();
    expect(warnIfMultiInstance({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, logger, false)).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.obj).toEqual({ detected: ['Kubernetes (KUBERNETES_SERVICE_HOST)'] });
    expect(warnings[0]!.msg).toContain('redis.url');
    expect(warnings[0]!.msg).toContain('FLUXBASE_REDIS_URL');
    expect(warnings[0]!.msg).toContain('per instance');
  });

  it('stays silent with Redis, or with no sign of other instances', () => {
    const { warnings, logger } = capture();
    expect(warnIfMultiInstance({ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, logger, true)).toBe(false);
    expect(warnIfMultiInstance({ HOME: '/root' }, logger, false)).toBe(false);
    expect(warnings).toEqual([]);
  });
});
