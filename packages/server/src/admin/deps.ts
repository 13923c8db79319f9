// What the admin routes receive from app.ts.
import type { Config } from '../config/index.ts';
import type { Database, SchemaCache } from '../db/index.ts';

export interface AdminDeps {
  config: Config;
  db: Database;
  schema: SchemaCache;
}
