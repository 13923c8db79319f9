// GET /api/v1/functions/:name/executions[?limit=50&namespace=] → [{id, function_id, version,
// trigger_type, status, status_code, error_message, logs, duration_ms, started_at,
// completed_at}], newest first (admin).
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { ExecutionsQuery, FUNCTIONS_PATH, functionRef, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsExecutions(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.get(`${FUNCTIONS_PATH}/:name/executions`, { preHandler: adminOnly }, async (request) => {
    const { namespace, name } = functionRef(request);
    const { limit } = parseInput(ExecutionsQuery, request.query, 'query');
    return deps.service.executions(namespace, name, limit);
  });
}
