// Provider settings as the flows use them (ProviderSpec), built from a `auth.oauth.<name>`
// block of fluxbase.yaml or a row of auth.oauth_providers, on top of the preset of the
// same name. Validation collects every problem with the path of the offending field.
import { OIDC_DEFAULT_SCOPES, presetOf, type ProfileSource } from './presets.ts';

export interface ProviderSpec {
  name: string;
  displayName: string;
  clientId: string;
  clientSecret: string | undefined;
  /** OIDC issuer (discovery, ID-token `iss`); undefined for plain OAuth 2.0 providers. */
  issuer: string | undefined;
  authorizeUrl: string | undefined;
  tokenUrl: string | undefined;
  userinfoUrl: string | undefined;
  jwksUrl: string | undefined;
  scopes: string[];
  enabled: boolean;
  source: 'config' | 'database';
  preset: string | undefined;
  authorizeParams: Record<string, string>;
  profile: ProfileSource;
}

/** The fields an operator sets (YAML keys and admin API body fields share these names). */
export interface ProviderInput {
  display_name?: unknown;
  client_id?: unknown;
  client_secret?: unknown;
  issuer_url?: unknown;
  authorize_url?: unknown;
  token_url?: unknown;
  userinfo_url?: unknown;
  jwks_url?: unknown;
  scopes?: unknown;
  enabled?: unknown;
}

export const PROVIDER_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const URL_FIELDS = ['issuer_url', 'authorize_url', 'token_url', 'userinfo_url', 'jwks_url'] as const;
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,200}$/;
const MAX_SCOPES = 50;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Field name → problem; empty when valid. */
export type Problems = Record<string, string>;

/** https, or http on a loopback host (local development and tests). */
export function checkEndpointUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a valid URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return 'must be an https URL (http only on localhost)';
}

/** A scope list from YAML/JSON: an array of strings or one space- or comma-separated string. */
export function parseScopes(value: unknown): string[] | string {
  let items: unknown[];
  if (typeof value === 'string') items = value.split(/[\s,]+/).filter((s) => s !== '');
  else if (Array.isArray(value)) items = value;
  else return 'must be a list of scopes';
  if (items.length > MAX_SCOPES) return `must have at most ${MAX_SCOPES} scopes`;
  for (const item of items) {
    if (typeof item !== 'string' || !SCOPE_TOKEN.test(item)) return 'must contain valid scope tokens (no spaces, quotes or backslashes)';
  }
  return [...new Set(items as string[])];
}

function optionalString(input: ProviderInput, field: keyof ProviderInput, problems: Problems, max = 2048): string | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    problems[field] = 'must be a string';
    return undefined;
  }
  if (value.length > max) {
    problems[field] = `must be at most ${max} characters`;
    return undefined;
  }
  return value.trim();
}

/**
 * Validates operator input for provider `name` and merges it over the preset. `problems`
 * receives `field → message`; the spec is returned only when there are none.
 */
export function buildProviderSpec(name: string, input: ProviderInput, source: ProviderSpec['source'], problems: Problems): ProviderSpec | undefined {
  if (!PROVIDER_NAME.test(name)) problems.name = 'must be lower-case letters, digits, _ or - (starting with a letter, at most 63)';
  const preset = presetOf(name);
  const clientId = optionalString(input, 'client_id', problems, 512);
  if (clientId === undefined && problems.client_id === undefined) problems.client_id = 'is required';
  const clientSecret = optionalString(input, 'client_secret', problems, 8192);
  const displayName = optionalString(input, 'display_name', problems, 100);
  const urls: Partial<Record<(typeof URL_FIELDS)[number], string>> = {};
  for (const field of URL_FIELDS) {
    const value = optionalString(input, field, problems);
    if (value === undefined) continue;
    const problem = checkEndpointUrl(value);
    if (problem) problems[field] = problem;
    else urls[field] = value;
  }
  let scopes: string[] | undefined;
  if (input.scopes !== undefined && input.scopes !== null) {
    const parsed = parseScopes(input.scopes);
    if (typeof parsed === 'string') problems.scopes = parsed;
    else if (parsed.length > 0) scopes = parsed;
  }
  let enabled = true;
  if (input.enabled !== undefined && input.enabled !== null) {
    if (typeof input.enabled === 'boolean') enabled = input.enabled;
    else problems.enabled = 'must be true or false';
  }

  const issuer = urls.issuer_url ?? preset?.issuer;
  const authorizeUrl = urls.authorize_url ?? preset?.authorizeUrl;
  const tokenUrl = urls.token_url ?? preset?.tokenUrl;
  const userinfoUrl = urls.userinfo_url ?? preset?.userinfoUrl;
  if (!preset && issuer === undefined) {
    // Plain OAuth 2.0 needs every endpoint: nothing can be discovered.
    for (const [field, value] of [['authorize_url', authorizeUrl], ['token_url', tokenUrl], ['userinfo_url', userinfoUrl]] as const) {
      if (value === undefined && problems[field] === undefined) {
        problems[field] = 'is required unless issuer_url is set (OIDC discovery)';
      }
    }
  }
  if (Object.keys(problems).length > 0) return undefined;
  const profile: ProfileSource = preset?.profile ?? (issuer !== undefined ? 'id_token' : 'userinfo');
  return {
    name,
    displayName: displayName ?? preset?.displayName ?? name,
    clientId: clientId!,
    clientSecret,
    issuer,
    authorizeUrl,
    tokenUrl,
    userinfoUrl,
    jwksUrl: urls.jwks_url,
    scopes: scopes ?? preset?.scopes ?? (issuer !== undefined ? OIDC_DEFAULT_SCOPES : []),
    enabled,
    source,
    preset: preset ? name : undefined,
    authorizeParams: { ...(preset?.authorizeParams ?? {}) },
    profile,
  };
}

/**
 * Providers of `auth.oauth` (an open object from YAML). Returns the specs, or the list of
 * problems as `auth.oauth.<name>.<field>: message` lines for a startup error.
 */
export function providersFromConfig(block: unknown): { specs: Map<string, ProviderSpec>; problems: string[] } {
  const specs = new Map<string, ProviderSpec>();
  const problems: string[] = [];
  if (block === undefined || block === null) return { specs, problems };
  if (typeof block !== 'object' || Array.isArray(block)) {
    return { specs, problems: ['auth.oauth: expected a mapping of provider name → settings'] };
  }
  for (const [name, value] of Object.entries(block as Record<string, unknown>)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`auth.oauth.${name}: expected a mapping with client_id, client_secret, issuer_url, scopes, enabled`);
      continue;
    }
    const known = new Set(['display_name', 'client_id', 'client_secret', 'issuer_url', 'authorize_url', 'token_url', 'userinfo_url', 'jwks_url', 'scopes', 'enabled']);
    for (const key of Object.keys(value)) {
      if (!known.has(key)) problems.push(`auth.oauth.${name}.${key}: unknown key`);
    }
    const fieldProblems: Problems = {};
    const spec = buildProviderSpec(name, value as ProviderInput, 'config', fieldProblems);
    for (const [field, message] of Object.entries(fieldProblems)) {
      problems.push(field === 'name' ? `auth.oauth.${name}: provider name ${message}` : `auth.oauth.${name}.${field}: ${message}`);
    }
    if (spec) specs.set(name, spec);
  }
  return { specs, problems };
}
