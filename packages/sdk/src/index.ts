// @fluxbase/sdk: the public surface of the TypeScript client. It owns the client object,
// the HTTP transport and the error type; it runs in browsers, Deno, Bun and Node 20+ using
// only web-standard globals (fetch, Headers, URL, AbortController) and must never import
// Node built-ins or anything from the server package.
export { createClient, FluxbaseClient, type ClientOptions } from './client.ts';
export { FluxbaseError, isFluxbaseError, type ClientErrorCode, type FluxbaseErrorInit } from './errors.ts';
export { type HealthStatus, type ReadyStatus } from './health.ts';
export {
  type FluxbaseResponse, type FluxbaseResult, type HttpMethod, type QueryParams, type RequestOptions,
} from './transport.ts';
