// Auth: users, sessions, tokens and keys. So far: minting the anon and service-role API
// keys. Verification of credentials lives in http/ (principal resolution), below us.
export { mintApiKeys, type ApiKeys } from './api-keys.ts';
