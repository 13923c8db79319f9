// OIDC discovery (`<issuer>/.well-known/openid-configuration`), cached per issuer for a TTL
// so a sign-in costs no extra round trip; failures are not cached. Resolves the endpoints
// of a provider: explicit URLs from its settings win over discovered ones.
import { fetchProviderJson, providerError } from './provider-http.ts';
import type { ProviderSpec } from './provider-spec.ts';
import { BoundedCache, type CacheRegistry } from '../../observability/index.ts';

export interface DiscoveryDocument {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string | undefined;
  token_endpoint_auth_methods_supported: string[] | undefined;
}

export interface Endpoints {
  authorize: string;
  token: string;
  userinfo: string | undefined;
  jwks: string | undefined;
  /** The `iss` ID tokens must carry; may contain `{tenantid}` (Microsoft multi-tenant). */
  issuer: string | undefined;
  tokenAuthMethod: 'client_secret_post' | 'client_secret_basic';
}

const DEFAULT_TTL_MS = 60 * 60 * 1000;
const MAX_ENTRIES = 100;

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/**
 * Whether the discovered issuer may stand for the configured one: equal (modulo a trailing
 * slash), or Microsoft's tenant-independent endpoints (common, organizations, consumers),
 * whose documents name a template or one fixed tenant.
 */
export function issuerAcceptable(configured: string, discovered: string): boolean {
  if (trimSlash(configured) === trimSlash(discovered)) return true;
  const ms = /^https:\/\/login\.microsoftonline\.com\/(common|organizations|consumers)\/v2\.0\/?$/;
  return ms.test(configured) && discovered.startsWith('https://login.microsoftonline.com/');
}

function parseDocument(provider: string, issuer: string, body: unknown): DiscoveryDocument {
  const b = (body ?? {}) as Record<string, unknown>;
  const need = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
  for (const field of need) {
    if (typeof b[field] !== 'string' || b[field] === '') {
      throw providerError(provider, `${provider}'s OIDC discovery document lacks ${field}`, { reason: 'bad_discovery' });
    }
  }
  if (!issuerAcceptable(issuer, b.issuer as string)) {
    throw providerError(provider, `${provider}'s discovery document names another issuer`, { reason: 'issuer_mismatch', expected: issuer });
  }
  const methods = b.token_endpoint_auth_methods_supported;
  return {
    issuer: b.issuer as string,
    authorization_endpoint: b.authorization_endpoint as string,
    token_endpoint: b.token_endpoint as string,
    jwks_uri: b.jwks_uri as string,
    userinfo_endpoint: typeof b.userinfo_endpoint === 'string' ? b.userinfo_endpoint : undefined,
    token_endpoint_auth_methods_supported: Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : undefined,
  };
}

export class DiscoveryCache {
  private readonly entries: BoundedCache<string, { doc: DiscoveryDocument; expiresAt: number }>;

  constructor(private readonly ttlMs = DEFAULT_TTL_MS, caches?: CacheRegistry) {
    this.entries = new BoundedCache('oidc_discovery', MAX_ENTRIES, caches);
  }

  async document(provider: string, issuer: string): Promise<DiscoveryDocument> {
    const key = trimSlash(issuer);
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.doc;
    const body = await fetchProviderJson({
      provider, purpose: 'OIDC discovery', url: `${key}/.well-known/openid-configuration`,
      init: { headers: { accept: 'application/json' } },
    });
    const doc = parseDocument(provider, issuer, body);
    this.entries.set(key, { doc, expiresAt: Date.now() + this.ttlMs });
    return doc;
  }

  /** Forget an issuer (its provider was changed through the admin API). */
  forget(issuer: string): void {
    this.entries.delete(trimSlash(issuer));
  }

  async endpoints(spec: ProviderSpec): Promise<Endpoints> {
    const explicit = spec.authorizeUrl !== undefined && spec.tokenUrl !== undefined && (spec.issuer === undefined || spec.jwksUrl !== undefined);
    if (spec.issuer === undefined || explicit) {
      if (spec.authorizeUrl === undefined || spec.tokenUrl === undefined) {
        throw providerError(spec.name, `${spec.name} has no authorization or token endpoint`, { reason: 'misconfigured' });
      }
      return {
        authorize: spec.authorizeUrl, token: spec.tokenUrl, userinfo: spec.userinfoUrl, jwks: spec.jwksUrl,
        issuer: spec.issuer, tokenAuthMethod: 'client_secret_post',
      };
    }
    const doc = await this.document(spec.name, spec.issuer);
    const methods = doc.token_endpoint_auth_methods_supported;
    // client_secret_post when listed; the discovery default (nothing listed) is basic.
    const post = methods !== undefined && methods.includes('client_secret_post');
    return {
      authorize: spec.authorizeUrl ?? doc.authorization_endpoint,
      token: spec.tokenUrl ?? doc.token_endpoint,
      userinfo: spec.userinfoUrl ?? doc.userinfo_endpoint,
      jwks: spec.jwksUrl ?? doc.jwks_uri,
      issuer: doc.issuer,
      tokenAuthMethod: post ? 'client_secret_post' : 'client_secret_basic',
    };
  }
}
