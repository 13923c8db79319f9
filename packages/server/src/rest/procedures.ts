// GET /api/v1/rpc/procedures: the functions of the exposed schemas the caller may execute
// (API.md §6). Only to signed-in users and service keys unless api.list_procedures_to_anon:
// a function's name and arguments are not for anonymous eyes by default.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { withRequestTx } from '../db/index.ts';
import { AppError, errors } from '../http/index.ts';
import type { RestDeps } from './deps.ts';
import { contextOf } from './execute.ts';
import { exposedSchemas } from './target.ts';

/** The function oids among `oids` the request's role may execute (one query, as that role). */
async function executable(deps: RestDeps, request: FastifyRequest, oids: number[]): Promise<Set<number>> {
  if (oids.length === 0) return new Set();
  const rows = await withRequestTx(deps.db.pool, contextOf(request), (tx) => tx<{ oid: number }[]>`
    select f.oid::int as oid from unnest(${oids}::oid[]) as f(oid) where has_function_privilege(f.oid, 'execute')`, { operation: 'procedures' });
  return new Set(rows.map((r) => r.oid));
}

export async function respondProcedures(deps: RestDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const kind = request.principal.kind;
  if ((kind === 'anonymous' || kind === 'anon_key') && !deps.config.api.list_procedures_to_anon) {
    throw errors.missingAuthentication('Listing procedures needs a signed-in user or a service key (api.list_procedures_to_anon is off)');
  }
  const snapshot = deps.schema.current();
  const exposed = exposedSchemas(snapshot);
  const ns = (request.query as { namespace?: unknown }).namespace;
  if (ns !== undefined && typeof ns !== 'string') throw new AppError('INVALID_FORMAT', { message: 'namespace must be given once' });
  const wanted = ns === undefined || ns === '' ? exposed : [ns === 'default' ? exposed[0] ?? 'public' : ns];
  const candidates = [...snapshot.functions]
    .filter(([key]) => {
      const schema = key.slice(0, key.indexOf('.'));
      return exposed.includes(schema) && wanted.includes(schema);
    })
    .flatMap(([, overloads]) => overloads);
  const allowed = await executable(deps, request, candidates.map((fn) => fn.oid));
  const procedures = [];
  for (const fn of candidates) {
    if (allowed.has(fn.oid)) {
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
