// What the system routes need to know about the rest of the server, as a narrow interface
// implemented in app.ts (so http/ does not reach into subsystems).
export interface SystemStatus {
  databaseHealthy(): boolean;
  realtimeHealthy(): boolean;
  /** Supervision state of the embedded PostgreSQL; undefined with an external database. */
  embeddedStatus(): 'running' | 'restarting' | 'failed' | 'stopped' | undefined;
  readiness(): Promise<{ database: boolean; migrations: boolean }>;
  poolStats(): { inUse: number; idle: number | undefined; waiting: number };
}
