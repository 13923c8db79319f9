// GET /api/v1/rpc/procedures: the callable functions of the exposed schemas (API.md §6).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/index.ts';
import type { RestDeps } from './deps.ts';
import { exposedSchemas } from './target.ts';

export function respondProcedures(deps: RestDeps, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const snapshot = deps.schema.current();
  const exposed = exposedSchemas(snapshot);
  const ns = (request.query as { namespace?: unknown }).namespace;
  if (ns !== undefined && typeof ns !== 'string') throw new AppError('INVALID_FORMAT', { message: 'namespace must be given once' });
  const wanted = ns === undefined || ns === '' ? exposed : [ns === 'default' ? exposed[0] ?? 'public' : ns];
  const procedures = [];
  for (const [key, overloads] of snapshot.functions) {
    const schema = key.slice(0, key.indexOf('.'));
    if (!exposed.includes(schema) || !wanted.includes(schema)) continue;
    for (const fn of overloads) {
      procedures.push({
        name: fn.name, namespace: fn.schema, description: fn.comment,
        arguments: fn.args.map((a) => ({ name: a.name, type: a.type, has_default: a.hasDefault })),
        returns: fn.returnType, returns_set: fn.returnsSet, volatility: fn.volatility,
      });
    }
  }
  procedures.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  return reply.send({ procedures, count: procedures.length });
}
