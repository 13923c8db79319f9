// Storage for the SDK client (`client.storage`, API.md §10): buckets, and per bucket uploads
// (forms and streams), downloads (ranges, transforms), listing, move, copy, remove, signed
// and public URLs. It owns no credentials (the client's transport, fetch and headers are
// passed in) and must not import the client (client.ts imports this folder).
export { StorageClient } from './storage-client.ts';
export { StorageFileApi } from './file-api.ts';
export type { StorageSettings } from './storage-request.ts';
export type * from './types.ts';
