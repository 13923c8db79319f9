export { registerHealthRoute } from './health.ts';
export { registerReadyRoute } from './ready.ts';
export { registerMetricsRoute } from './metrics.ts';
export type { SystemStatus } from './system-status.ts';
