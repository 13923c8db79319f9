// Query: the PostgREST grammar and its typed AST, the structured (JSON body) form, the
// planner that checks an AST against the schema cache, the SQL compiler, and the
// in-memory filter evaluator that realtime shares. Pure: no Fastify, no pool access.
export * from './ast.ts';
export { QueryError, isQueryError, quoteInput, type QueryErrorCode, type QueryErrorInit } from './errors.ts';
export { quoteIdent, qualified, quoteLiteral } from './ident.ts';
export { Params, type Statement } from './sql/fragments.ts';
// ── parse / print / evaluate / filter SQL (owned by the parser work) ──
export { parseQueryString } from './parse/query-string.ts';
export { decodeComponent } from './parse/decode.ts';
export type { ParseOptions } from './parse/options.ts';
export { parseSelect } from './parse/select.ts';
export { parseOrder } from './parse/order.ts';
export { parseFilter } from './parse/filter.ts';
export { parseLogic } from './parse/logic.ts';
export { parseField } from './parse/names.ts';
export { parseStructuredQuery } from './parse/structured.ts';
export { printFilter, printQueryString, printQueryPairs, printSelect, printOrder } from './print.ts';
export { evaluateFilter, assertEvaluable, equalityKeyOf, rowEqualityKey } from './evaluate.ts';
export { compileFilter, type EmbedExists } from './sql/filter.ts';
export { closestName } from './suggest.ts';
// ── plan / compile (owned by the planner work) ──
export type { PlannedColumn, PlannedCountAll, PlannedEmbed, PlannedItem, PlannedOrder, ReadNode, ReadPlan, CursorPlan, RootSource } from './plan/types.ts';
export type { PatternOp, PlannedEmbedFilter, PlannedFilter, PlannedGroup, PlannedLeaf, PlannedOperation } from './plan/types.ts';
export { planRead, type ReadPlanOptions } from './plan/read.ts';
export { columnOf, unknownColumn } from './plan/columns.ts';
export { planFilter, type PlanFilterOptions } from './plan/filter.ts';
export { planInsert, planUpdate, planDelete, type InsertPlan, type UpdatePlan, type DeletePlan, type WritePlan, type InsertInput } from './plan/write.ts';
export { resolveFunction, resultKind, type RpcTarget, type RpcResultKind } from './plan/rpc.ts';
export { findRelationship, describeRelationship, isToOne } from './plan/relationships.ts';
export { resolveCast } from './plan/casts.ts';
export { checkValue } from './plan/values.ts';
export { encodeCursor, decodeCursor, type CursorData } from './plan/cursor.ts';
export { compileRead, compileCountEstimate, rootKeys, type BodyFormat, type ReadCompileOptions, type ReadResultRow } from './sql/read.ts';
export { compileWrite, type WriteCompileOptions } from './sql/write.ts';
export { compileRpc, compileArgs, compileBatch, type BatchPart } from './sql/rpc.ts';
