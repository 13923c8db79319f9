// POST /api/v1/admin/functions/sync {namespace? ("default"), functions: [Deploy], options:
// {delete_missing, dry_run}} → {message, namespace, summary, details, errors, dry_run} (admin).
// Each function is created, updated or left alone on its own; one that fails is listed in
// `errors` and the others still deploy.
import type { FastifyInstance } from 'fastify';
import { adminOnly, parseInput } from '../../http/index.ts';
import { DEFAULT_NAMESPACE } from '../deploy.ts';
import { SyncBody, type FunctionsRouteDeps } from './schema.ts';

export function registerFunctionsSync(app: FastifyInstance, deps: FunctionsRouteDeps): void {
  app.post('/api/v1/admin/functions/sync', { preHandler: adminOnly }, async (request) => {
    const body = parseInput(SyncBody, request.body);
    const namespace = body.namespace ?? DEFAULT_NAMESPACE;
    const dryRun = body.options?.dry_run ?? false;
    const result = await deps.service.sync(namespace, body.functions, { deleteMissing: body.options?.delete_missing ?? false, dryRun, source: 'api' }, request.principal);
    const s = result.summary;
    const message = `${dryRun ? 'Dry run: would have ' : ''}created ${s.created}, updated ${s.updated}, deleted ${s.deleted}, unchanged ${s.unchanged}, ${s.errors} error(s)`;
    return { message, namespace, ...result, dry_run: dryRun };
  });
}
