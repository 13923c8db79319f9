// REST: table and RPC routes on both mounts (`/api/v1/tables`, `/api/v1/rpc`, `/rest/v1`).
// Parses requests with query/, runs the compiled statement through db/'s request
// transaction and shapes the response per mount. Never builds SQL itself.
export { registerRestRoutes } from './routes/index.ts';
export type { RestDeps, AsyncRpcPort, QueuedRpcCall } from './deps.ts';
export { runQueuedRpc } from './rpc.ts';
export { ReadStatementCache } from './read-cache.ts';
