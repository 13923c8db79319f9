// POST /api/v1/admin/functions/reload → {message, loaded, errors}: deploys what functions.dir
// holds now (as at boot: namespace "default", source "filesystem", functions no longer in the
// folder that came from it are deleted) (admin).
import type { FastifyInstance } from 'fastify';
import { adminOnly, type Principal } from '../../http/index.ts';
import type { FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsReload(app: FastifyInstance, deps: FunctionsRouteDeps & { reload: (principal: Principal) => Promise<{ loaded: number; errors: { file: string; error: string }[] }> }): void {
  app.post('/api/v1/admin/functions/reload', { preHandler: adminOnly }, async (request) => {
    const { loaded, errors } = await deps.reload(request.principal);
    return { message: `Loaded ${loaded} function(s) from the functions folder${errors.length ? `; ${errors.length} could not be loaded` : ''}`, loaded, errors };
  });
}
