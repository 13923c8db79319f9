// GET /api/v1/realtime/stats (admin; docs/realtime.md "Metrics"): this instance's connections.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminOnly, field, parseInput } from '../../http/index.ts';
import type { RealtimeEngine } from '../engine/engine.ts';

const Query = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  offset: z.coerce.number().int().min(0).default(0),
  search: field.param(256),
});

export function registerStatsRoute(app: FastifyInstance, engine: RealtimeEngine): void {
  app.get('/api/v1/realtime/stats', { preHandler: adminOnly }, async (request) => {
    const q = parseInput(Query, request.query, 'query');
    let all = engine.stats();
    if (q.search) {
      const s = q.search.toLowerCase();
      all = all.filter((c) => [c.id, c.user_id, c.email, c.remote_addr].some((v) => v?.toLowerCase().includes(s)));
    }
    return { total_connections: all.length, connections: all.slice(q.offset, q.offset + q.limit), limit: q.limit, offset: q.offset };
  });
}
