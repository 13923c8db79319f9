// Edge functions for the SDK client (`client.functions`, API.md §11.1): invocation with
// body encoding and Content-Type decoding, the admin routes (deploy, list, executions,
// sync, reload) and secrets. It owns no credentials: the client's headers and fetch are
// passed in, and it must not import the client (client.ts imports this folder).
export { FunctionsClient } from './functions-client.ts';
export { FunctionSecretsClient } from './secrets-client.ts';
export type { InvokeSettings } from './invoke.ts';
export type * from './types.ts';
