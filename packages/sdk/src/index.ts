// @fluxbase/sdk: the public surface of the TypeScript client. It owns the client object,
// the HTTP transport and the error type; it runs in browsers, Deno, Bun and Node 20+ using
// only web-standard globals (fetch, Headers, URL, AbortController, WebSocket) and must never import
// Node built-ins or anything from the server package.
export { createClient, FluxbaseClient, SchemaClient, type ClientOptions } from './client.ts';
export {
  AuthClient, MfaApi, codeChallengeS256, createPkcePair, defaultStorage, generateCodeVerifier, localStorageAdapter, memoryStorage,
  type AuthChangeEvent, type AuthClientOptions, type AuthConfig, type AuthResponse, type AuthStateChangeCallback, type AuthSubscription,
  type IdTokenCredentials, type MagicLinkCredentials, type MessageResponse, type MfaRequired, type MfaVerifyParams, type OAuthProvider,
  type OAuthSignInOptions, type OtpResponse, type PasswordCredentials, type RefreshResponse, type ResendParams, type Session,
  type SessionResponse, type SignInData, type SignInWithOtpCredentials, type SignOutScope, type SignUpCredentials, type SignUpResponse,
  type SupportedStorage, type TotpEnrollment, type TotpStatus, type TwoFactorChallenge, type UpdateUserAttributes, type User,
  type UserIdentity, type UserResponse, type VerifyOtpParams,
} from './auth/index.ts';
export { FluxbaseError, isFluxbaseError, type ClientErrorCode, type FluxbaseErrorInit } from './errors.ts';
export {
  FunctionSecretsClient, FunctionsClient,
  type CreateFunctionRequest, type CreateSecretRequest, type EdgeFunction, type EdgeFunctionExecution, type FunctionDeploy,
  type FunctionErrorDetails, type FunctionExecution, type FunctionExecutionsOptions, type FunctionInvokeOptions,
  type FunctionInvokeResponse, type FunctionNamespaceOptions, type FunctionReloadResult, type FunctionSecret,
  type FunctionSecretInput, type FunctionSecretListOptions, type FunctionSecretScope, type FunctionSecretUpdate,
  type FunctionSettings, type FunctionSpec, type FunctionSyncError, type FunctionSyncRequest, type FunctionSyncResult,
  type FunctionUpdate, type Secret, type SyncError, type SyncFunctionsOptions, type SyncFunctionsResult,
  type UpdateFunctionRequest, type UpdateSecretRequest,
} from './functions/index.ts';
export {
  GraphqlClient, INTROSPECTION_QUERY,
  type GraphqlClientOptions, type GraphqlError, type GraphqlIntrospection, type GraphqlIntrospectionInputValue,
  type GraphqlIntrospectionType, type GraphqlIntrospectionTypeRef, type GraphqlRequestOptions, type GraphqlResponse,
  type GraphqlSubscribeOptions, type GraphqlSubscriptionHandlers, type GraphqlWebSocketConstructor,
} from './graphql.ts';
export { type HealthStatus, type ReadyStatus } from './health.ts';
export {
  JobsAdminClient, JobsClient, isFinalJobStatus,
  type Job, type JobFunction, type JobFunctionDeploy, type JobFunctionListOptions, type JobFunctionSettings, type JobFunctionUpdate,
  type JobList, type JobLog, type JobLogs, type JobProgress, type JobStats, type JobStatus, type JobSyncRequest, type JobSyncResult,
  type JobWorker, type ListJobsOptions, type SubmitJobOptions, type WaitForJobOptions,
} from './jobs/index.ts';
export {
  FilterBuilder, QueryBuilder, QueryRequest, TransformBuilder, MAX_QUERY_STRING,
  type CountOption, type FilterOperator, type InsertOptions, type QueryBody, type QueryResponse,
  type QueryResponseFailure, type QueryResponseSuccess, type SelectOptions, type TextSearchType, type UpsertOptions,
} from './query/index.ts';
export {
  RealtimeChannel, RealtimeClient,
  type RealtimeBroadcastPayload, type RealtimeChannelOptions, type RealtimeChannelState, type RealtimeChannelStatus,
  type RealtimeClientOptions, type RealtimeConnectionState, type RealtimeListener, type RealtimePostgresChangesEvent,
  type RealtimePostgresChangesFilter, type RealtimePostgresChangesPayload, type RealtimePostgresDeletePayload,
  type RealtimePostgresInsertPayload, type RealtimePostgresUpdatePayload, type RealtimePresenceJoinPayload,
  type RealtimePresenceLeavePayload, type RealtimePresenceState, type RealtimeReconnectOptions, type RealtimeSendResult,
  type RealtimeStatusCallback, type RealtimeSystemPayload, type RealtimeTimers, type RealtimeWebSocket,
  type RealtimeWebSocketConstructor,
} from './realtime/index.ts';
export {
  type RpcClient, type RpcExecution, type RpcExecutionStatus, type RpcLogEntry, type RpcOptions, type RpcPending,
  type RpcProcedure, type RpcResponse, type WaitOptions,
} from './rpc.ts';
export {
  StorageClient, StorageFileApi,
  type Bucket, type BucketOptions, type ByteRange, type CopyResult, type DownloadOptions, type ListOptions as StorageListOptions,
  type MoveResult, type PublicUrlOptions, type RemoveFailure, type RemoveResponse, type RemoveResult, type SignedUploadOptions,
  type SignedUploadUrl, type SignedUrl, type SignedUrlOptions, type StorageBody, type StorageList, type StorageObject,
  type TransformOptions, type UploadOptions, type UploadResult,
} from './storage/index.ts';
export {
  type FluxbaseResponse, type FluxbaseResult, type HttpMethod, type QueryParams, type RequestOptions,
} from './transport.ts';
export {
  type ColumnRef, type ColumnValue, type DefaultSchema, type FunctionArgs, type FunctionName, type FunctionReturns,
  type GenericFunction, type GenericSchema, type GenericTable, type GenericView, type InsertOf, type RelationName,
  type RelationOf, type RowOf, type SelectRow, type UpdateOf,
} from './types.ts';
export {
  WebhooksClient, verifyWebhookSignature,
  type CreateWebhookRequest, type UpdateWebhookRequest, type Webhook, type WebhookDelivery, type WebhookEvent, type WebhookOperation, type WebhookTestResult,
} from './webhooks/index.ts';
