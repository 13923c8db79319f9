// Query: the PostgREST grammar and its typed AST, the structured (JSON body) form, the
// planner that checks an AST against the schema cache, the SQL compiler, and the
// in-memory filter evaluator that realtime shares. Pure: no Fastify, no pool access.
export * from './ast.ts';
export { QueryError, isQueryError, quoteInput, type QueryErrorCode, type QueryErrorInit } from './errors.ts';
export { quoteIdent, qualified, quoteLiteral, Params, type Statement } from './sql/fragments.ts';
// ── parse / print / evaluate / filter SQL (owned by the parser work) ──
// ── plan / compile (owned by the planner work) ──
