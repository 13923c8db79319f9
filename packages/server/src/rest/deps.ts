// What the REST subsystem is built from (passed in by app.ts).
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';
import type { ReadStatementCache } from './read-cache.ts';

export interface RestDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
  /** Compiled reads by request shape (absent when api.statement_cache_size is 0). */
  readCache?: ReadStatementCache;
}
