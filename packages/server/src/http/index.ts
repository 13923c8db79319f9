// HTTP: the request pipeline (request id, CORS, body limits, JSON depth, principal, rate
// limit), the error catalog and renderer, JWT verification, and the system routes
// (/health, /ready, /metrics). May use db/, config/ and observability/; never a subsystem.
export { createHttpServer, sendError, type PipelineOptions } from './pipeline.ts';
export * from './errors/index.ts';
export { verifyJwt, signJwt, looksLikeJwt, type JwtClaims, type JwtResult, type VerifyOptions } from './jwt.ts';
export {
  PrincipalResolver, ANONYMOUS, dbRoleFor, principalClaims,
  type Principal, type PrincipalKind, type ServiceKeyVerifier, type RevocationChecker, type PrincipalOptions,
} from './principal.ts';
export {
  MemoryRateLimitStore, FallbackRateLimitStore, RateLimiter, RateLimitStoreUnavailableError, isRateLimitStoreUnavailable, mostRestrictive,
  STORE_UNAVAILABLE_RETRY_SECONDS, type RateLimitStore, type RateLimitHit, type LimitDecision, type RateLimiterOptions,
} from './rate-limit.ts';
export { RedisRateLimitStore, createRateLimitStore, REDIS_KEY_PREFIX, type CreatedRateLimitStore, type RedisStoreOptions } from './redis-store.ts';
export { multiInstanceHints, warnIfMultiInstance } from './multi-instance.ts';
export { bodyLimitFor, endpointTypeFor, jsonDepthExceeds, parseJsonBody, payloadTooLarge, type BodyLimits, type EndpointType } from './body.ts';
export { applyCors, ALLOWED_HEADERS, EXPOSED_HEADERS, type CorsOptions } from './cors.ts';
export { IdempotencyStore, idempotencyApplies, type IdempotencyOptions, type IdempotentRequest, type StoredResponse, type Claim } from './idempotency/index.ts';
export { registerHealthRoute, registerReadyRoute, registerMetricsRoute, type SystemStatus } from './routes/index.ts';
export { adminOnly, adminOnlyNoStoredKeys, requireAdmin, installAdminLookup, type AdminUserLookup, type AdminCheckOptions } from './admin-guard.ts';
export { requireScope } from './scopes.ts';
export { parseInput, optionalBody, field, LIMITS, invalidField, missingField, type InputWhere, type FieldErrorCode } from './body-schema.ts';
