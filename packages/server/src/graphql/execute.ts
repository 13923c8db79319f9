// Running one GraphQL operation over HTTP (API.md §13): parse (bounded), limits, validation,
// then execution where the root fields of a query are compiled into ONE statement run in one
// request transaction under the caller's role and claims (RLS), and each mutation field is
// one data-modifying statement returning its selection. Parse, validation and limit failures
// answer 400 with `errors[].extensions.code`; execution errors come back with their `path`,
// database errors mapped through the error catalog (never SQL text).
import {
  execute, GraphQLError, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate,
  type DocumentNode, type ExecutionResult, type GraphQLFormattedError, type GraphQLResolveInfo, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/index.ts';
import { withRequestTx, type Database, type RequestContext, type SchemaSnapshot } from '../db/index.ts';
import { toAppError } from '../http/index.ts';
import {
  compileBatch, compileRpc, compileWrite, planDelete, planInsert, planRead, planUpdate, printFilter, resolveFunction,
  type BatchPart, type FilterNode, type QueryRequest, type ReadPlan,
} from '../query/index.ts';
import { compileSelection, namedObject, type ListArgs } from './compile.ts';
import { filterToAst } from './filters.ts';
import { checkLimits, type GraphqlLimits } from './limits.ts';
import type { FunctionModel, GraphModel, TableModel } from './model.ts';
import type { GraphqlContext, WriteKind } from './schema.ts';

/** Tokens a document may have: bounds parse time and memory (a 10,000-field query is refused here). */
export const MAX_TOKENS = 20_000;

export interface BuiltSchema {
  schema: GraphQLSchema;
  model: GraphModel;
  snapshot: SchemaSnapshot;
  /** Parsed and validated documents by text (clients repeat the same few queries): validation is the costly part. */
  documents: LRUCache<string, { document: DocumentNode } | { refused: OperationOutput }>;
}

/** Documents kept per schema, and a bound on their total size (an AST is ~10× its text). */
export const DOCUMENT_CACHE_SIZE = 500;
const DOCUMENT_CACHE_BYTES = 16 * 1024 * 1024;

export function documentCache(): BuiltSchema['documents'] {
  return new LRUCache({ max: DOCUMENT_CACHE_SIZE, maxSize: DOCUMENT_CACHE_BYTES, sizeCalculation: (_v, key) => key.length * 10 + 1 });
}

export interface OperationInput {
  query: unknown;
  variables?: unknown;
  operationName?: unknown;
  method: 'GET' | 'POST';
  context: RequestContext;
  anonymous: boolean;
}

export interface OperationOutput {
  status: number;
  body: { data?: unknown; errors?: GraphQLFormattedError[] };
  /** Set on a 405 (a mutation over GET). */
  allow?: string;
}

export interface ExecuteDeps {
  db: Database;
  config: Config;
  built: () => BuiltSchema;
  /** Counts SQL statements sent (fluxbase_graphql_statements_total; tests prove one per operation). */
  onStatement?: (operation: 'query' | 'mutation') => void;
}

function requestError(code: string, message: string, status = 400): OperationOutput {
  return { status, body: { errors: [{ message, extensions: { code } }] } };
}

export function limitsOf(config: Config): GraphqlLimits {
  return { maxDepth: config.graphql.max_depth, maxComplexity: config.graphql.max_complexity, maxFieldsPerLevel: config.graphql.max_fields_per_level };
}

/** Parse, pick the operation and check limits and validity; an OperationOutput when refused. */
export function prepare(deps: { config: Config }, schema: GraphQLSchema, input: { query: unknown; variables?: unknown; operationName?: unknown }, cache?: BuiltSchema['documents']):
  { document: DocumentNode; operation: OperationDefinitionNode; variables: Record<string, unknown>; operationName: string | undefined } | OperationOutput {
  if (typeof input.query !== 'string' || input.query.trim() === '') {
    return requestError('BAD_REQUEST', 'Send a GraphQL document in "query" (a non-empty string)');
  }
  if (input.variables !== undefined && input.variables !== null && (typeof input.variables !== 'object' || Array.isArray(input.variables))) {
    return requestError('BAD_REQUEST', '"variables" must be a JSON object');
  }
  if (input.operationName !== undefined && input.operationName !== null && typeof input.operationName !== 'string') {
    return requestError('BAD_REQUEST', '"operationName" must be a string');
  }
  const variables = (input.variables ?? {}) as Record<string, unknown>;
  const operationName = (input.operationName ?? undefined) as string | undefined;
  const parsed = checkedDocument(deps, schema, input.query, cache);
  if ('refused' in parsed) return parsed.refused;
  const { document } = parsed;
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation) {
    return requestError('GRAPHQL_VALIDATION_FAILED', operationName
      ? `No operation named "${operationName}" in the document`
      : operations.length === 0 ? 'The document has no operation' : 'The document has several operations: name the one to run in "operationName"');
  }
  // Limits depend on the variables (a `limit: $n` multiplies), so they are checked every time.
  const violation = checkLimits(schema, document, limitsOf(deps.config), variables, operationName);
  if (violation) return requestError(violation.code, violation.message);
  return { document, operation, variables, operationName };
}

/**
 * Parse and validate `query`, or take the outcome from `cache`. Limits with no variables run
 * first, so a document whose validation would be costly (10,000 fields) is refused before it.
 */
function checkedDocument(deps: { config: Config }, schema: GraphQLSchema, query: string, cache: BuiltSchema['documents'] | undefined): { document: DocumentNode } | { refused: OperationOutput } {
  const hit = cache?.get(query);
  if (hit) return hit;
  let outcome: { document: DocumentNode } | { refused: OperationOutput };
  let document: DocumentNode | undefined;
  try {
    document = parse(query, { maxTokens: MAX_TOKENS });
  } catch (err) {
    outcome = { refused: requestError('GRAPHQL_PARSE_FAILED', err instanceof GraphQLError ? err.message : 'The query could not be parsed') };
  }
  if (document) {
    const violation = checkLimits(schema, document, { ...limitsOf(deps.config), maxComplexity: Number.MAX_SAFE_INTEGER });
    const rules = deps.config.graphql.introspection ? specifiedRules : [...specifiedRules, NoSchemaIntrospectionCustomRule];
    const problems = violation ? [] : validate(schema, document, rules, { maxErrors: 20 });
    if (violation) outcome = { refused: requestError(violation.code, violation.message) };
    else if (problems.length > 0) {
      outcome = { refused: { status: 400, body: { errors: problems.map((e) => ({ ...e.toJSON(), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) } } };
    } else if (!deps.config.graphql.allow_fragments && document.definitions.some((d) => d.kind === 'FragmentDefinition')) {
      outcome = { refused: requestError('GRAPHQL_VALIDATION_FAILED', 'Fragments are disabled on this server (graphql.allow_fragments)') };
    } else outcome = { document };
  }
  cache?.set(query, outcome!);
  return outcome!;
}

export async function runOperation(deps: ExecuteDeps, input: OperationInput): Promise<OperationOutput> {
  const built = deps.built();
  const prepared = prepare(deps, built.schema, input, built.documents);
  if ('status' in prepared) return prepared;
  const { document, operation, variables, operationName } = prepared;
  if (operation.operation !== 'query' && input.method === 'GET') {
    return { ...requestError('METHOD_NOT_ALLOWED', `A ${operation.operation} cannot be sent with GET; use POST`, 405), allow: 'POST' };
  }
  if (operation.operation === 'subscription') {
    return requestError('GRAPHQL_VALIDATION_FAILED', 'Subscriptions are served over WebSocket at this path (subprotocol graphql-transport-ws)');
  }
  const ctx = new OperationContext(deps, built, input.context);
  const result: ExecutionResult = await execute({ schema: built.schema, document, variableValues: variables, operationName, contextValue: ctx });
  if (result.data === undefined) {
    // Nothing ran: the variables did not fit their declared types (a request error, GraphQL over HTTP: 400).
    return { status: 400, body: { errors: (result.errors ?? []).map((e) => ({ ...e.toJSON(), extensions: { code: 'BAD_USER_INPUT' } })) } };
  }
  const body: OperationOutput['body'] = { data: result.data ?? null };
  if (result.errors?.length) body.errors = result.errors.map((e) => formatError(e, input.anonymous));
  return { status: 200, body };
}

/** An execution error as sent: the message of our error catalog, `extensions.code`, never SQL or a stack. */
export function formatError(err: GraphQLError, anonymous: boolean): GraphQLFormattedError {
  const original = err.originalError;
  if (!original || original instanceof GraphQLError) {
    return { ...err.toJSON(), extensions: { code: (err.extensions?.code as string | undefined) ?? 'BAD_USER_INPUT', ...err.extensions } };
  }
  const app = toAppError(original, { anonymous });
  const formatted: GraphQLFormattedError = {
    message: app.code === 'INTERNAL_ERROR' ? 'An unexpected error occurred' : app.message,
    ...(err.locations ? { locations: err.locations } : {}),
    ...(err.path ? { path: err.path } : {}),
    extensions: { code: app.code, ...(app.hint ? { hint: app.hint } : {}) },
  };
  return formatted;
}

interface Pending {
  part: BatchPart;
  /** The part's parsed JSON body → the field's value. */
  shape: (body: unknown) => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const first = (body: unknown) => (Array.isArray(body) ? body[0] ?? null : null);

/** The context of one operation: batches root reads into one statement, runs writes one by one. */
export class OperationContext implements GraphqlContext {
  private pending: Pending[] = [];

  constructor(
    private readonly deps: ExecuteDeps,
    private readonly built: BuiltSchema,
    private readonly request: RequestContext,
  ) {}

  private selection(model: TableModel, info: GraphQLResolveInfo, args: Record<string, unknown>, mode: 'list' | 'single' | 'returning'): QueryRequest {
    const type = namedObject(info.parentType.getFields()[info.fieldName]!);
    const ctx = { fragments: info.fragments, variables: info.variableValues };
    if (mode === 'single') {
      const keys: Record<string, unknown> = {};
      for (const col of model.table.primaryKey) keys[model.fieldOf.get(col)!] = args[model.fieldOf.get(col)!];
      return compileSelection(model, type, info.fieldNodes, ctx, {}, keys);
    }
    return compileSelection(model, type, info.fieldNodes, ctx, mode === 'list' ? args as ListArgs : {});
  }

  private plan(model: TableModel, query: QueryRequest, unlimited: boolean): ReadPlan {
    const api = this.deps.config.api;
    return planRead(this.built.snapshot, model.table, query, {
      defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: false, unlimited,
    });
  }

  read(model: TableModel, info: GraphQLResolveInfo, args: Record<string, unknown>, mode: 'list' | 'single'): Promise<unknown> {
    const plan = this.plan(model, this.selection(model, info, args, mode), false);
    return this.enqueue({ kind: 'read', plan }, mode === 'single' ? first : (body) => body ?? []);
  }

  private enqueue(part: BatchPart, shape: (body: unknown) => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.push({ part, shape, resolve, reject });
      // graphql-js calls every root field of a query in one synchronous loop: the statement
      // is sent once they have all been planned.
      if (this.pending.length === 1) queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const stmt = compileBatch(batch.map((p) => p.part));
      this.deps.onStatement?.('query');
      const rows = await withRequestTx(this.deps.db.pool, this.request, (tx) => tx.unsafe(stmt.text, stmt.values as never[], { prepare: true }), { operation: 'graphql' });
      const row = rows[0] as Record<string, string | null>;
      batch.forEach((p, i) => {
        const text = row[`b${i}`];
        p.resolve(p.shape(text === null || text === undefined ? null : JSON.parse(text)));
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }

  /** A function field: its call (and the read of its rows) as one part of the query's statement, or a mutation's own. */
  async call(f: FunctionModel, info: GraphQLResolveInfo, args: Record<string, unknown>): Promise<unknown> {
    const given: Record<string, unknown> = {};
    for (const [name, arg] of f.args) if (args[name] !== undefined) given[arg.name] = args[name];
    const target = resolveFunction(this.built.snapshot, f.fn.schema, f.fn.name, Object.keys(given), true);
    let read: ReadPlan | null = null;
    if (target.result === 'rows') {
      if (f.rowsOf) {
        const type = namedObject(info.parentType.getFields()[info.fieldName]!);
        const query = compileSelection(f.rowsOf, type, info.fieldNodes, { fragments: info.fragments, variables: info.variableValues }, f.fn.returnsSet ? args as ListArgs : {});
        read = planRead(this.built.snapshot, target.table!, query, { defaultPageSize: this.deps.config.api.default_page_size, maxPageSize: this.deps.config.api.max_page_size, aggregatesEnabled: false, unlimited: !f.fn.returnsSet });
      } else {
        read = planRead(this.built.snapshot, target.table!, { select: [{ kind: 'star' }], filters: [], order: [], ranges: [] }, { defaultPageSize: this.deps.config.api.default_page_size, maxPageSize: this.deps.config.api.max_page_size, aggregatesEnabled: false, unlimited: true });
      }
    }
    const shape = (body: unknown) => {
      if (target.result === 'void') return true;
      if (target.result === 'rows') return f.fn.returnsSet ? body ?? [] : first(body);
      return body;
    };
    if (f.root === 'query') return this.enqueue({ kind: 'rpc', target, args: given, read }, shape);
    const stmt = compileRpc(target, given, read, 'json');
    this.deps.onStatement?.('mutation');
    const rows = await withRequestTx(this.deps.db.pool, this.request, (tx) => tx.unsafe(stmt.text, stmt.values as never[], { prepare: true }), { operation: 'graphql' });
    const body = (rows[0] as unknown as { body: string | null }).body;
    return shape(body === null ? null : JSON.parse(body));
  }

  async write(model: TableModel, info: GraphQLResolveInfo, args: Record<string, unknown>, kind: WriteKind): Promise<unknown> {
    const table = model.table;
    const returning = kind === 'deleteMany' ? null : this.plan(model, this.selection(model, info, args, 'returning'), true);
    const row = (data: unknown) => {
      if (!data || typeof data !== 'object') return data;
      const out: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(data as Record<string, unknown>)) out[model.columns.get(field)?.name ?? field] = value;
      return out;
    };
    const keyFilters = (): FilterNode[] => table.primaryKey.map((col) => ({
      kind: 'filter', field: { column: col, path: [] }, negated: false, operation: { op: 'eq', value: String(args[model.fieldOf.get(col)!]) },
    }));
    const filterArg = (): FilterNode[] => {
      const node = filterToAst(model, args.filter as Record<string, unknown> | undefined);
      return node ? [node] : [];
    };
    const batchLimit = this.deps.config.api.max_batch_size;
    let plan;
    switch (kind) {
      case 'insert':
        plan = planInsert(table, { body: row(args.data), missingDefault: true, maxBatchSize: batchLimit, returning });
        break;
      case 'insertMany':
        plan = planInsert(table, { body: (args.data as unknown[]).map(row), missingDefault: true, maxBatchSize: batchLimit, returning });
        break;
      case 'update':
        plan = planUpdate(table, row(args.data), keyFilters(), returning, true);
        break;
      case 'updateMany':
        plan = planUpdate(table, row(args.data), filterArg(), returning, this.deps.config.api.require_filter_for_mutations);
        break;
      case 'delete':
        plan = planDelete(table, keyFilters(), returning, true);
        break;
      case 'deleteMany':
        plan = planDelete(table, filterArg(), null, this.deps.config.api.require_filter_for_mutations);
        break;
    }
    const stmt = compileWrite(plan, { format: kind === 'deleteMany' ? 'none' : 'json' });
    this.deps.onStatement?.('mutation');
    const rows = await withRequestTx(this.deps.db.pool, this.request, (tx) => tx.unsafe(stmt.text, stmt.values as never[], { prepare: true }), { operation: 'graphql' });
    const result = rows[0] as unknown as { page_total: number; body: string | null };
    if (kind === 'deleteMany') return result.page_total;
    const list = JSON.parse(result.body ?? '[]') as unknown[];
    return kind === 'insertMany' || kind === 'updateMany' ? list : list[0] ?? null;
  }

  filterText(model: TableModel, filter: Record<string, unknown> | null | undefined): string | undefined {
    return filterText(model, filter);
  }
}

/** A filter argument in the REST filter grammar, as realtime subscriptions take it (one AST, two spellings). */
export function filterText(model: TableModel, filter: Record<string, unknown> | null | undefined): string | undefined {
  const node = filterToAst(model, filter ?? undefined);
  if (!node) return undefined;
  const [key, value] = printFilter(node);
  return `${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
}

