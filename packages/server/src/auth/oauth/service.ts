// Assembles the OAuth module for one app: configured providers (validated at start-up,
// every problem listed), the stores, discovery and JWKS caches, and the flows. Routes
// receive this object; nothing here is module-global.
import { ConfigError } from '../../config/index.ts';
import type { AuthDeps } from '../deps.ts';
import { DiscoveryCache } from './discovery.ts';
import { OAuthFlows } from './flows.ts';
import { JwksCache } from './id-token.ts';
import { IdentityStore } from './identity-store.ts';
import { IdentityLinker } from './linking.ts';
import { providersFromConfig } from './provider-spec.ts';
import { ProviderStore } from './provider-store.ts';
import { ProviderRegistry } from './registry.ts';
import { StateStore } from './state-store.ts';

export interface OAuthService {
  deps: AuthDeps;
  flows: OAuthFlows;
  registry: ProviderRegistry;
  providers: ProviderStore;
  discovery: DiscoveryCache;
  states: StateStore;
  identities: IdentityStore;
}

/** `auth.oauth` is an open block of fluxbase.yaml (not in the typed config schema). */
export function oauthConfigBlock(deps: Pick<AuthDeps, 'config'>): unknown {
  return (deps.config.auth as { oauth?: unknown }).oauth;
}

export function createOAuthService(deps: AuthDeps): OAuthService {
  const { specs, problems } = providersFromConfig(oauthConfigBlock(deps));
  if (problems.length > 0) throw new ConfigError(problems);
  const pool = deps.db.pool;
  const secrets = deps.core.secrets;
  const providers = new ProviderStore(pool, secrets);
  const registry = new ProviderRegistry(specs, providers, deps.logger);
  const discovery = new DiscoveryCache(undefined, deps.metrics.caches);
  const states = new StateStore(pool, secrets);
  const identities = new IdentityStore(pool, secrets);
  const flows = new OAuthFlows({
    deps, registry, discovery, states, jwks: new JwksCache(deps.metrics.caches), linker: new IdentityLinker(deps, identities),
  });
  return { deps, flows, registry, providers, discovery, states, identities };
}
