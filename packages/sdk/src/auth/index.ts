// Auth for the SDK client (`client.auth`, docs/sdk.md "Auth (client.auth)"): sign-up and
// sign-in methods, session persistence and refresh, MFA, OAuth with PKCE, and the fetch
// wrapper that sends the signed-in user's token on data requests.
export { AuthClient, DEFAULT_STORAGE_KEY } from './auth-client.ts';
export { createAuthFetch, type AuthFetchSettings } from './auth-fetch.ts';
export { MfaApi } from './mfa.ts';
export type { OAuthFlowRecord } from './oauth.ts';
export { codeChallengeS256, createPkcePair, generateCodeVerifier } from './pkce.ts';
export type { SessionManager } from './session-manager.ts';
export { defaultStorage, localStorageAdapter, memoryStorage } from './storage.ts';
export type * from './types.ts';
