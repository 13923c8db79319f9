// GET (and HEAD) /rest/v1/:table: PostgREST's read, schema from Accept-Profile.
import type { FastifyInstance } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { handleRead } from '../read.ts';
import { requireScope, tableRequest, urlParser } from './build.ts';
import { send } from './send.ts';

export function registerPostgrestRead(app: FastifyInstance, deps: RestDeps): void {
  const parse = urlParser(deps, 'postgrest');
  const target = { mount: 'postgrest', route: 'postgrest', schema: { profile: 'accept-profile' }, source: 'url', range: true } as const;
  app.get('/rest/v1/:table', async (request, reply) => {
    requireScope(request, 'read:tables');
    const req = tableRequest(deps, request, target, parse);
    return send(reply, await handleRead(deps, req));
  });
}
