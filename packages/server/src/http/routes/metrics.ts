// GET <metrics.path>: Prometheus text. Requires `Authorization: Bearer <metrics.bearer_token>` when set.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/index.ts';
import { AppError } from '../errors/index.ts';
import type { SystemStatus } from './system-status.ts';

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, status: SystemStatus, options: { path: string; bearerToken: string }): void {
  app.get(options.path, { config: { public: true, skipRateLimit: true } }, async (request, reply) => {
    if (options.bearerToken && !tokenMatches(request.headers.authorization, options.bearerToken)) {
      throw new AppError('MISSING_AUTHENTICATION', {
        message: 'Metrics require Authorization: Bearer <metrics.bearer_token>',
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const pool = status.poolStats();
    metrics.dbPool.set({ state: 'in_use' }, pool.inUse);
    // Absent when the driver cannot count its open connections (db/pool.ts PoolStats.idle).
    if (pool.idle !== undefined) metrics.dbPool.set({ state: 'idle' }, pool.idle);
    metrics.dbPool.set({ state: 'waiting' }, pool.waiting);
    const embedded = status.embeddedStatus();
    if (embedded !== undefined) metrics.embeddedUp.set(embedded === 'running' ? 1 : 0);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
