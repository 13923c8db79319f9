// GET /health: liveness. Answers from cached state (no database round trip), so it stays
// cheap under load; `degraded` when the last database interaction failed.
import type { FastifyInstance } from 'fastify';
import type { SystemStatus } from './system-status.ts';

export function registerHealthRoute(app: FastifyInstance, status: SystemStatus): void {
  app.get('/health', { config: { public: true, skipRateLimit: true } }, async (_request, reply) => {
    const database = status.databaseHealthy();
    const realtime = status.realtimeHealthy();
    return reply.send({ status: database ? 'ok' : 'degraded', services: { database, realtime }, timestamp: new Date().toISOString() });
  });
}
