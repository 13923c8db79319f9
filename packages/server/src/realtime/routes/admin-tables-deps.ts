// What the admin realtime table routes receive from app.ts.
import type { Database } from '../../db/index.ts';

export interface RealtimeAdminDeps {
  /** `admin`: the owner connection, which may create triggers on the project's tables. */
  db: Pick<Database, 'admin'>;
}
