import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';

export interface AdminDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
}

export function registerAdminRoutes(_app: FastifyInstance, _deps: AdminDeps): void {}
