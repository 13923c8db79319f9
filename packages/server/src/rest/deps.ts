// What the REST subsystem is built from (passed in by app.ts).
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';

export interface RestDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
}
