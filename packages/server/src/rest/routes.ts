import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';

export interface RestDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
}

export function registerRestRoutes(_app: FastifyInstance, _deps: RestDeps): void {}
