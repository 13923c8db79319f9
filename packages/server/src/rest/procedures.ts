// GET /api/v1/rpc/procedures: the functions of the exposed schemas the caller may execute
// (docs/rest.md "Functions (RPC)"). Only to signed-in users and service keys unless
// api.list_procedures_to_anon: a function's name and arguments are not for anonymous eyes
// by default.
import { withRequestTx, type RequestContext, type SchemaSnapshot } from '../db/index.ts';
import type { RestDeps } from './deps.ts';
import { exposedSchemas } from './target.ts';

export interface Procedure {
  name: string;
  namespace: string;
  description: string | null;
  arguments: { name: string; type: string; has_default: boolean }[];
  returns: string;
  returns_set: boolean;
  volatility: string;
}

/** The function oids among `oids` the request's role may execute (one query, as that role). */
async function executable(deps: RestDeps, ctx: RequestContext, oids: number[]): Promise<Set<number>> {
  if (oids.length === 0) return new Set();
  const rows = await withRequestTx(deps.db.pool, ctx, (tx) => tx<{ oid: number }[]>`
    select f.oid::int as oid from unnest(${oids}::oid[]) as f(oid) where has_function_privilege(f.oid, 'execute')`, { operation: 'procedures' });
  return new Set(rows.map((r) => r.oid));
}

/** The procedures of `namespace` ('' or undefined: every exposed schema; 'default': the first) that `ctx`'s role may execute. */
export async function listProcedures(deps: RestDeps, snapshot: SchemaSnapshot, ctx: RequestContext, namespace: string | undefined): Promise<{ procedures: Procedure[]; count: number }> {
  const exposed = exposedSchemas(snapshot);
  const wanted = namespace === undefined || namespace === '' ? exposed : [namespace === 'default' ? exposed[0] ?? 'public' : namespace];
  const candidates = [...snapshot.functions]
    .filter(([key]) => {
      const schema = key.slice(0, key.indexOf('.'));
      return exposed.includes(schema) && wanted.includes(schema);
    })
    .flatMap(([, overloads]) => overloads);
  const allowed = await executable(deps, ctx, candidates.map((fn) => fn.oid));
  const procedures: Procedure[] = [];
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
  return { procedures, count: procedures.length };
}
