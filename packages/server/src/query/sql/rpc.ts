// Compiles a function call. Arguments travel as ONE JSON parameter and are converted by
// json_to_record with the argument types from the catalog, so arrays, JSON and scalars all
// arrive in their PostgreSQL types and nothing is substituted into SQL text (upstream
// Fluxbase substituted them).
import type { RpcTarget } from '../plan/rpc.ts';
import type { ReadPlan } from '../plan/types.ts';
import { Params, qualified, quoteIdent, type Statement } from './fragments.ts';
import { compileRead, type BodyFormat } from './read.ts';

/** The argument list of the call (`"a" := (…), …`), binding `args` as one parameter. */
export function compileArgs(target: RpcTarget, args: Record<string, unknown> | unknown, params: Params): string {
  if (target.wholeBody) return `${params.add(JSON.stringify(args ?? null))}::text::${target.fn.args[0]!.udtName}`;
  const given = args !== null && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  const used = target.fn.args.filter((a) => a.name !== '' && a.name in given);
  if (used.length === 0) return '';
  const json = params.add(JSON.stringify(given));
  return used.map((a) => {
    const value = `(select _a.${quoteIdent(a.name)} from json_to_record(${json}::text::json) as _a(${quoteIdent(a.name)} ${a.type}))`;
    return `${a.mode === 'variadic' ? 'variadic ' : ''}${quoteIdent(a.name)} := ${value}`;
  }).join(', ');
}

export function compileRpc(target: RpcTarget, args: unknown, read: ReadPlan | null, format: BodyFormat, params: Params = new Params()): Statement {
  const argsSql = compileArgs(target, args, params);
  const call = `${qualified(target.fn.schema, target.fn.name)}(${argsSql})`;
  switch (target.result) {
    case 'void':
      return { text: `select null::bigint as total, count(*)::int as page_total, null::text as body, null::text as next from (select ${call}) _v`, values: params.values };
    case 'scalar':
      return { text: `select null::bigint as total, 1 as page_total, to_json(${call})::text as body, null::text as next`, values: params.values };
    case 'scalar_set':
      return { text: `select null::bigint as total, count(*)::int as page_total, coalesce(json_agg(_v), '[]')::text as body, null::text as next from ${call} _v`, values: params.values };
    case 'rows':
      return compileRead(read!, { source: { kind: 'function', fn: target.fn, argsSql }, format, estimatedThreshold: 10_000 }, params);
  }
}

/** One root field of a GraphQL operation: a table read, or a function call (with its rows' read). */
export type BatchPart = { kind: 'read'; plan: ReadPlan } | { kind: 'rpc'; target: RpcTarget; args: unknown; read: ReadPlan | null };

/**
 * Several reads and calls as ONE statement whose single row has column `b<i>` = part i's JSON
 * body (GraphQL compiles every root field of a query into one statement). Each part keeps its
 * own aliases inside its scalar subquery; the parameters are numbered across all.
 */
export function compileBatch(parts: BatchPart[]): Statement {
  const params = new Params();
  const columns = parts.map((part, i) => {
    const stmt = part.kind === 'read'
      ? compileRead(part.plan, { format: 'json', estimatedThreshold: 0 }, params)
      : compileRpc(part.target, part.args, part.read, 'json', params);
    return `(select _r.body from (${stmt.text}) _r) as b${i}`;
  });
  return { text: `select ${columns.join(', ')}`, values: params.values };
}
