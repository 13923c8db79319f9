// Edge functions (docs/functions.md; docs/architecture.md). This folder owns running
// user modules in Deno under permissions and limits (runtime/); the service, routes and
// persistence build on it. The runtime touches no database and no HTTP server; jobs get a
// FunctionRuntime passed in by app.ts, never import this folder's internals.
export { DenoRuntime, type DenoRuntimeOptions } from './runtime/deno-runtime.ts';
export { resolveDenoBinary } from './runtime/deno-binary.ts';
export {
  type FunctionErrorCode, type FunctionErrorReason, type FunctionLimits, type FunctionPermissions, type FunctionRuntime,
  FunctionRuntimeError, type InvokeInput, type InvokeRequest, type InvokeResult,
} from './runtime/types.ts';
