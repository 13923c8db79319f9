// Idempotency-Key (docs/rest.md "Idempotency keys"): the first write with a key claims a
// row in fluxbase.idempotency_keys, its response is stored on send, and a retry with the
// same key from the same principal (upstream Fluxbase's keys were global) gets that
// response replayed. rules.ts is pure, store.ts holds all the SQL, hooks.ts all the Fastify
// code; rules must stay free of both.
export {
  idempotencyApplies, idempotencyAppliesToMethod, MAX_KEY_LENGTH,
  type IdempotentRequest, type StoredResponse,
} from './rules.ts';
export { IdempotencyStore, type IdempotencyOptions, type Claim, type BeginResult } from './store.ts';
export { idempotencyHooks, type IdempotencyHooks } from './hooks.ts';
