// Route registration for both mounts. Each handler resolves the target (schema, table or
// function), parses the query string or /query body, and hands over to read.ts,
// write.ts or rpc.ts — one implementation underneath both mounts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RestDeps } from './deps.ts';
import { AppError, errors } from '../http/index.ts';
import { parseQueryString, parseStructuredQuery, type QueryRequest } from '../query/index.ts';
import { handleRead } from './read.ts';
import { respondOpenApi } from './openapi.ts';
import { respondProcedures } from './procedures.ts';
import { handleFluxbaseRpc, handlePostgrestRpc } from './rpc.ts';
import { Timings } from './respond.ts';
import { checkSchema, exposedSchemas, findTable, profileSchema, type Mount } from './target.ts';
import { handleWrite, type WriteKind } from './write.ts';


type Params = { schema?: string; table: string; id?: string; fn?: string; namespace?: string };

const rawQuery = (request: FastifyRequest): string => {
  const i = request.url.indexOf('?');
  return i < 0 ? '' : request.url.slice(i + 1);
};

/** Stored service keys are limited by their scopes (API.md §2.1); JWT principals never are. */
function requireScope(request: FastifyRequest, scope: string): void {
  const p = request.principal;
  if (p.kind !== 'service_key') return;
  const scopes = p.scopes ?? [];
  if (!scopes.includes('*') && !scopes.includes(scope)) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', { message: `This service key lacks the ${scope} scope`, details: { required_scope: scope } });
  }
}

const WRITE_METHODS: Record<string, WriteKind> = { POST: 'insert', PATCH: 'update', DELETE: 'delete', PUT: 'put' };

export function registerRestRoutes(app: FastifyInstance, deps: RestDeps): void {
  const options = (mount: Mount) => ({ mount, aggregatesEnabled: deps.config.api.aggregates_enabled });

  // ── /api/v1/tables ──
  const fluxTable = (request: FastifyRequest) => {
    const p = request.params as Params;
    const snapshot = deps.schema.current();
    return findTable(snapshot, checkSchema(snapshot, p.schema ?? 'public'), p.table);
  };
  const fluxRead = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'read:tables');
    const timings = new Timings();
    const table = fluxTable(request);
    const raw = rawQuery(request);
    return handleRead(deps, request, reply, table, { route: 'fluxbase', raw: { query: raw }, parse: () => parseQueryString(raw, options('fluxbase')) }, timings);
  };
  const fluxQuery = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'read:tables');
    const timings = new Timings();
    const table = fluxTable(request);
    return handleRead(deps, request, reply, table, { route: 'fluxbase', parse: () => parseStructuredQuery(request.body, options('fluxbase')) }, timings);
  };
  const fluxWrite = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'write:tables');
    const timings = new Timings();
    const table = fluxTable(request);
    const kind = WRITE_METHODS[request.method]!;
    return handleWrite(deps, request, reply, {
      mount: 'fluxbase', kind, table, query: parseQueryString(rawQuery(request), options('fluxbase')), body: request.body,
    }, timings);
  };
  const fluxById = async (request: FastifyRequest, reply: FastifyReply) => {
    const p = request.params as Params;
    requireScope(request, request.method === 'GET' || request.method === 'HEAD' ? 'read:tables' : 'write:tables');
    const timings = new Timings();
    const table = fluxTable(request);
    if (table.primaryKey.length !== 1) {
      throw new AppError('INVALID_ID', { message: `${table.schema}.${table.name} has no single-column primary key; filter with the collection route instead` });
    }
    const column = table.columnMap.get(table.primaryKey[0]!)!;
    const raw = rawQuery(request);
    if (request.method === 'GET' || request.method === 'HEAD') {
      const withId = (): QueryRequest => {
        const query = parseQueryString(raw, options('fluxbase'));
        return { ...query, filters: [...query.filters, { path: [], node: { kind: 'filter' as const, field: { column: column.name, path: [] }, negated: false, operation: { op: 'eq' as const, value: p.id! } } }] };
      };
      request.headers.accept = 'application/vnd.pgrst.object+json';
      try {
        return await handleRead(deps, request, reply, table, { route: 'fluxbase-id', raw: { query: raw, extra: [{ column: column.name, value: p.id! }] }, parse: withId }, timings);
      } catch (err) {
        if (err instanceof AppError && err.code === 'SINGLE_OBJECT_EXPECTED') throw errors.notFound('row', `No row in ${table.schema}.${table.name} with ${column.name} = ${p.id!.slice(0, 60)}`);
        throw err;
      }
    }
    const kind: WriteKind = request.method === 'DELETE' ? 'delete' : 'update';
    return handleWrite(deps, request, reply, { mount: 'fluxbase', kind, table, query: parseQueryString(raw, options('fluxbase')), body: request.body, byId: { column, value: p.id! } }, timings);
  };

  for (const path of ['/api/v1/tables/:table', '/api/v1/tables/:schema/:table']) {
    app.get(path, fluxRead);
    app.post(path, fluxWrite);
    app.patch(path, fluxWrite);
    app.delete(path, fluxWrite);
    app.post(`${path}/query`, fluxQuery);
  }
  app.get('/api/v1/tables/:schema/:table/:id', fluxById);
  app.put('/api/v1/tables/:schema/:table/:id', fluxById);
  app.patch('/api/v1/tables/:schema/:table/:id', fluxById);
  app.delete('/api/v1/tables/:schema/:table/:id', fluxById);

  // ── /api/v1/rpc ──
  app.post('/api/v1/rpc/:namespace/:fn', async (request, reply) => {
    requireScope(request, 'execute:rpc');
    const p = request.params as Params;
    const snapshot = deps.schema.current();
    const schema = p.namespace === 'default' ? exposedSchemas(snapshot)[0] ?? 'public' : checkSchema(snapshot, p.namespace!);
    return handleFluxbaseRpc(deps, request, reply, schema, p.fn!, new Timings());
  });
  app.get('/api/v1/rpc/procedures', async (request, reply) => {
    requireScope(request, 'read:rpc');
    return respondProcedures(deps, request, reply);
  });
  const noExecution = async (request: FastifyRequest) => {
    requireScope(request, 'read:rpc');
    throw errors.notFound('execution', 'No such execution (asynchronous RPC is not available on this server)');
  };
  app.get('/api/v1/rpc/executions/:id', noExecution);
  app.get('/api/v1/rpc/executions/:id/logs', noExecution);

  // ── /rest/v1 ──
  const pgTable = (request: FastifyRequest, write: boolean) => {
    const snapshot = deps.schema.current();
    return findTable(snapshot, profileSchema(request, snapshot, write), (request.params as Params).table);
  };
  app.get('/rest/v1/:table', async (request, reply) => {
    requireScope(request, 'read:tables');
    const timings = new Timings();
    const table = pgTable(request, false);
    const raw = rawQuery(request);
    return handleRead(deps, request, reply, table, { route: 'postgrest', raw: { query: raw }, parse: () => parseQueryString(raw, options('postgrest')) }, timings);
  });
  const pgWrite = async (request: FastifyRequest, reply: FastifyReply) => {
    requireScope(request, 'write:tables');
    const timings = new Timings();
    const table = pgTable(request, true);
    return handleWrite(deps, request, reply, {
      mount: 'postgrest', kind: WRITE_METHODS[request.method]!, table, query: parseQueryString(rawQuery(request), options('postgrest')), body: request.body,
    }, timings);
  };
  app.post('/rest/v1/:table', pgWrite);
  app.patch('/rest/v1/:table', pgWrite);
  app.delete('/rest/v1/:table', pgWrite);
  app.put('/rest/v1/:table', pgWrite);
  const pgRpc = async (request: FastifyRequest, reply: FastifyReply) => {
    const get = request.method === 'GET' || request.method === 'HEAD';
    requireScope(request, get ? 'read:rpc' : 'execute:rpc');
    const snapshot = deps.schema.current();
    const schema = profileSchema(request, snapshot, !get);
    return handlePostgrestRpc(deps, request, reply, schema, (request.params as Params).fn!, rawQuery(request), new Timings());
  };
  app.get('/rest/v1/', async (request, reply) => respondOpenApi(deps, request, reply));
  app.get('/rest/v1/rpc/:fn', pgRpc);
  app.post('/rest/v1/rpc/:fn', pgRpc);
}
