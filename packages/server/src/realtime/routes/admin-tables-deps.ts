// What the admin realtime table routes receive from app.ts.
import type { Database } from '../../db/index.ts';

export interface RealtimeAdminDeps {
  /** `admin`: the owner connection, which may create triggers on the project's tables. */
  db: Pick<Database, 'admin'>;
  /**
   * Reload this instance's registry of enabled tables before answering, so a subscribe sent
   * right after the answer is judged on the new registry (other instances follow the NOTIFY).
   */
  registryChanged?: () => Promise<void>;
}
