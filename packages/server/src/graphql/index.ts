// GraphQL (docs/graphql.md, API.md §13): a schema generated from the schema cache for the
// exposed schemas, served at /api/v1/graphql over HTTP (queries and mutations, each one SQL
// statement under the caller's role and claims) and WebSocket (subscriptions fed by realtime
// through the narrow ChangeFeed interface app.ts passes in).
import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { Counter } from 'prom-client';
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';
import type { PrincipalResolver } from '../http/index.ts';
import type { Logger, Metrics } from '../observability/index.ts';
import { documentCache, filterText, type BuiltSchema, type ExecuteDeps } from './execute.ts';
import type { ChangeFeed } from './feed.ts';
import { createSubscriptionHandler } from './subscriptions.ts';
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
  logger: Logger;
  principals: PrincipalResolver;
  /** Table changes for subscriptions (realtime's engine), when realtime runs; without it the path serves HTTP only. */
  feed?: ChangeFeed | undefined;
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
      const rt = deps.config.realtime;
      const wsHandler = deps.feed && rt.enabled
        ? createSubscriptionHandler({
          schema: () => current().schema, feed: deps.feed, principals: deps.principals, config: deps.config, logger: deps.logger,
          context: { filterText }, maxQueuedEvents: rt.client_message_queue_size, pingIntervalMs: rt.ping_interval, pongTimeoutMs: rt.pong_timeout,
        })
        : undefined;
      // In a plugin of its own, so that it loads after realtime's @fastify/websocket (whose route
      // hook turns `wsHandler` into the upgrade of GET /api/v1/graphql).
      void app.register(async (scope) => {
        registerGraphqlPost(scope, exec);
        registerGraphqlGet(scope, exec, wsHandler);
      });
    },
    current,
    graphqlSchema: () => current().schema,
  };
}
