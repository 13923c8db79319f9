// GET /ready: readiness. Checks now that the database answers and every migration is
// applied; 503 SERVICE_UNAVAILABLE with Retry-After and the failing checks otherwise.
import type { FastifyInstance } from 'fastify';
import { errors } from '../errors/index.ts';
import type { SystemStatus } from './system-status.ts';

export function registerReadyRoute(app: FastifyInstance, status: SystemStatus): void {
  app.get('/ready', { config: { public: true, skipRateLimit: true } }, async (_request, reply) => {
    const checks = await status.readiness();
    if (checks.database && checks.migrations) return reply.send({ status: 'ready', checks });
    throw errors.serviceUnavailable(
      checks.database ? 'Migrations are not fully applied' : 'The database is unreachable', 5, { checks },
    );
  });
}
