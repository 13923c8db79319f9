// Shapes of the system routes (docs/getting-started.md "Health, readiness, metrics").

/** `GET /health`: liveness; `degraded` while a dependency is down. */
export interface HealthStatus {
  status: 'ok' | 'degraded';
  services: { database: boolean; realtime: boolean };
  /** RFC 3339 time of the check. */
  timestamp: string;
}

/** `GET /ready`: a 503 SERVICE_UNAVAILABLE error carries the failing checks in `details.checks`. */
export interface ReadyStatus {
  status: 'ready';
  checks: { database: boolean; migrations: boolean };
}
