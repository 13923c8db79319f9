// GraphQL (docs/graphql.md, API.md §13): a schema generated from the schema cache for the
// exposed schemas, served at /api/v1/graphql over HTTP (queries and mutations, each one SQL
// statement under the caller's role and claims) and WebSocket (subscriptions fed by realtime
// through the narrow ChangeFeed interface app.ts passes in).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { Counter } from 'prom-client';
import type { WebSocket } from 'ws';
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';
import type { Metrics } from '../observability/index.ts';
import { documentCache, type BuiltSchema, type ExecuteDeps } from './execute.ts';
import { buildModel } from './model.ts';
import { registerGraphqlGet } from './routes/graphql-get.ts';
import { registerGraphqlPost } from './routes/graphql-post.ts';
import { buildSchema } from './schema.ts';

export type { ChangeFeed, FeedConnection, FeedEvent, FeedError, ChangeEventType } from './feed.ts';
export { GRAPHQL_PATH } from './routes/shared.ts';

export interface GraphqlDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
  metrics: Metrics;
  /** The WebSocket side (subscriptions), when realtime runs: wired by app.ts. */
  wsHandler?: ((built: () => BuiltSchema) => (socket: WebSocket, request: FastifyRequest) => void) | undefined;
}

export interface Graphql {
  register(app: FastifyInstance): void;
  /** The schema of the current schema-cache snapshot (rebuilt after a reload, on first use). */
  current(): BuiltSchema;
  graphqlSchema(): GraphQLSchema;
}

export function createGraphql(deps: GraphqlDeps): Graphql {
  let built: BuiltSchema | undefined;
  // An operation keeps the schema it started with; a reload only affects the next ones.
  const current = (): BuiltSchema => {
    const snapshot = deps.schema.current();
    if (!built || built.snapshot.version !== snapshot.version) {
      const model = buildModel(snapshot);
      built = { schema: buildSchema(model), model, snapshot, documents: documentCache() };
    }
    return built;
  };
  const registers = [deps.metrics.registry];
  const statements = new Counter({
    name: 'fluxbase_graphql_statements_total', help: 'SQL statements sent for GraphQL operations, by operation type (one per query operation, one per mutation field)',
    labelNames: ['operation'], registers,
  });
  const exec: ExecuteDeps = { db: deps.db, config: deps.config, built: current, onStatement: (operation) => statements.inc({ operation }) };
  return {
    register(app) {
      if (!deps.config.graphql.enabled) return;
      registerGraphqlPost(app, exec);
      registerGraphqlGet(app, exec, deps.wsHandler?.(current));
    },
    current,
    graphqlSchema: () => current().schema,
  };
}
