// REST route registration, one file per route (form) on both mounts: /api/v1/tables,
// /api/v1/rpc and /rest/v1. Each route checks the service-key scope, builds the typed
// request (build.ts), hands it to read.ts / write.ts / rpc.ts and sends what they answer.
import type { FastifyInstance } from 'fastify';
import type { RestDeps } from '../deps.ts';
import { registerPostgrestOpenApi } from './postgrest-openapi.ts';
import { registerPostgrestRead } from './postgrest-read.ts';
import { registerPostgrestRpc } from './postgrest-rpc.ts';
import { registerPostgrestWrite } from './postgrest-write.ts';
import { registerRpcCall } from './rpc-call.ts';
import { registerRpcExecutions } from './rpc-executions.ts';
import { registerRpcProcedures } from './rpc-procedures.ts';
import { registerTablesById } from './tables-by-id.ts';
import { registerTablesQuery } from './tables-query.ts';
import { registerTablesRead } from './tables-read.ts';
import { registerTablesWrite } from './tables-write.ts';

export function registerRestRoutes(app: FastifyInstance, deps: RestDeps): void {
  registerTablesRead(app, deps);
  registerTablesQuery(app, deps);
  registerTablesWrite(app, deps);
  registerTablesById(app, deps);
  registerRpcCall(app, deps);
  registerRpcProcedures(app, deps);
  registerRpcExecutions(app, deps);
  registerPostgrestRead(app, deps);
  registerPostgrestWrite(app, deps);
  registerPostgrestRpc(app, deps);
  registerPostgrestOpenApi(app, deps);
}
