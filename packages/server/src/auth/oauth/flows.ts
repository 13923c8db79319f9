// The OAuth/OIDC flows: start an authorization (state, PKCE, nonce stored in PostgreSQL),
// finish it at the callback (consume the state, exchange the code, verify the ID token or
// read userinfo, link, sign in), and sign in with an ID token the client already holds.
import type { JWTPayload } from 'jose';
import { AppError } from '../../http/index.ts';
import type { ClientInfo, Session, TwoFactorChallenge } from '../core/types.ts';
import type { AuthDeps } from '../deps.ts';
import type { DiscoveryCache, Endpoints } from './discovery.ts';
import { verifyIdToken, type JwksCache } from './id-token.ts';
import type { IdentityLinker } from './linking.ts';
import { newAttemptSecrets } from './pkce.ts';
import { presetOf } from './presets.ts';
import { parseGithubEmails, profileFromClaims, profileFromGithub, type Profile } from './profile.ts';
import { exchangeCode, fetchWithToken, providerError, type TokenSet } from './provider-http.ts';
import type { ProviderSpec } from './provider-spec.ts';
import { checkRedirect } from '../core/redirects.ts';
import type { ProviderRegistry } from './registry.ts';
import { invalidState, type Attempt, type StateStore } from './state-store.ts';

export interface AuthorizeInput {
  provider: string;
  redirectUri: string | undefined;
  redirectTo: string | undefined;
  /** Extra scopes, added to the provider's. */
  scopes: string[];
  linkUserId?: string | undefined;
  /** The client's own PKCE S256 challenge (the SDK binds the callback to the browser). */
  clientChallenge?: string | undefined;
}

export interface CallbackInput {
  provider: string;
  code: string;
  state: unknown;
  /** Answers the client challenge given at authorize time, if one was. */
  clientVerifier?: string | undefined;
  /** Resolves the caller's user id, for identity-linking attempts (401 when absent). */
  callerUserId: () => Promise<string>;
  client: ClientInfo;
  /** Apple's form_post `user` field (name, first authorization only). */
  appleUser?: { name?: string } | undefined;
}

export type SignInResult = (Session & { is_new_user: boolean; redirect_to?: string }) | TwoFactorChallenge;

export interface FlowParts {
  deps: AuthDeps;
  registry: ProviderRegistry;
  discovery: DiscoveryCache;
  jwks: JwksCache;
  states: StateStore;
  linker: IdentityLinker;
}

/** The preset's alternative `iss` spellings, while the provider still uses the preset's issuer. */
function issuerAliases(spec: ProviderSpec): string[] {
  const preset = spec.preset === undefined ? undefined : presetOf(spec.preset);
  return preset !== undefined && preset.issuer === spec.issuer ? preset.issuerAliases ?? [] : [];
}

export class OAuthFlows {
  constructor(private readonly p: FlowParts) {}

  /** Our own callback URL for `provider` (what operators register at the provider). */
  callbackUrl(provider: string): string {
    return `${this.p.deps.config.server.public_url.replace(/\/+$/, '')}/api/v1/auth/oauth/${provider}/callback`;
  }

  private allowList(): string[] {
    const a = this.p.deps.config.auth;
    return [...(a.site_url ? [a.site_url] : []), ...a.redirect_allow_list];
  }

  async authorize(input: AuthorizeInput): Promise<{ url: string; provider: string; state: string }> {
    const spec = await this.p.registry.get(input.provider);
    const callback = this.callbackUrl(spec.name);
    const redirectUri = input.redirectUri === undefined ? callback : checkRedirect('redirect_uri', input.redirectUri, [callback, ...this.allowList()]);
    const redirectTo = input.redirectTo === undefined ? undefined : checkRedirect('redirect_to', input.redirectTo, this.allowList());
    const endpoints = await this.p.discovery.endpoints(spec);
    const oidc = spec.profile === 'id_token';
    const s = newAttemptSecrets();
    await this.p.states.save({
      stateHash: s.stateHash, provider: spec.name, codeVerifier: s.codeVerifier, nonce: oidc ? s.nonce : undefined,
      redirectUri, redirectTo, linkUserId: input.linkUserId, clientChallenge: input.clientChallenge, ttlMs: this.p.deps.config.auth.oauth_state_ttl,
    });
    const url = new URL(endpoints.authorize);
    const params: Record<string, string> = {
      ...spec.authorizeParams,
      response_type: 'code',
      client_id: spec.clientId,
      redirect_uri: redirectUri,
      scope: [...new Set([...spec.scopes, ...input.scopes])].join(' '),
      state: s.state,
      code_challenge: s.codeChallenge,
      code_challenge_method: 'S256',
      ...(oidc ? { nonce: s.nonce } : {}),
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return { url: url.toString(), provider: spec.name, state: s.state };
  }

  async callback(input: CallbackInput): Promise<SignInResult> {
    const spec = await this.p.registry.get(input.provider);
    const attempt = await this.p.states.consume(input.state, spec.name, input.clientVerifier);
    if (attempt.linkUserId !== undefined && (await input.callerUserId()) !== attempt.linkUserId) {
      throw invalidState('link_user_mismatch', 'This linking attempt was started by another user');
    }
    const endpoints = await this.p.discovery.endpoints(spec);
    const tokens = await exchangeCode({
      provider: spec.name, tokenUrl: endpoints.token, code: input.code, redirectUri: attempt.redirectUri,
      codeVerifier: attempt.codeVerifier, clientId: spec.clientId, clientSecret: spec.clientSecret, authMethod: endpoints.tokenAuthMethod,
    });
    const profile = await this.profileAfterExchange(spec, endpoints, tokens, attempt);
    if (input.appleUser?.name && profile.name === undefined) profile.name = input.appleUser.name;
    const outcome = await this.p.linker.resolve({ provider: spec.name, profile, tokens, linkUserId: attempt.linkUserId });
    const result = await this.p.deps.core.completeSignIn(outcome.user, 'oauth', input.client);
    if ('requires_2fa' in result) return result;
    return { ...result, is_new_user: outcome.isNewUser, ...(attempt.redirectTo !== undefined ? { redirect_to: attempt.redirectTo } : {}) };
  }

  /**
   * The provider redirected back with `error` (the user declined, or the request was
   * refused): burn the attempt and answer 502 OAUTH_PROVIDER_ERROR with the provider's code.
   */
  async providerRefused(provider: string, state: unknown, error: string, description: string | undefined): Promise<never> {
    const spec = await this.p.registry.get(provider);
    await this.p.states.consume(state, spec.name).catch(() => undefined);
    const details: Record<string, unknown> = { provider_error: error.slice(0, 100) };
    if (description !== undefined) details.provider_error_description = description.slice(0, 300);
    throw providerError(spec.name, error === 'access_denied'
      ? `Sign-in with ${spec.name} was cancelled or refused`
      : `${spec.name} refused the authorization request (${error.slice(0, 100)})`, details);
  }

  /** POST /signin/idtoken: an ID token obtained by the client (mobile SDKs, One Tap). */
  async signInWithIdToken(providerName: string, token: string, nonce: string | undefined, client: ClientInfo): Promise<Session | TwoFactorChallenge> {
    const spec = await this.p.registry.get(providerName);
    if (spec.profile !== 'id_token') {
      throw new AppError('VALIDATION_FAILED', {
        message: `${spec.name} does not issue OpenID Connect ID tokens`,
        details: { fields: { provider: 'must be an OpenID Connect provider' } },
      });
    }
    const endpoints = await this.p.discovery.endpoints(spec);
    const claims = await this.verify(spec, endpoints, token, { expected: nonce, allowHashed: true });
    const profile = profileFromClaims(claims as Record<string, unknown>)!;
    const outcome = await this.p.linker.resolve({ provider: spec.name, profile, tokens: undefined, linkUserId: undefined });
    return this.p.deps.core.completeSignIn(outcome.user, 'idtoken', client);
  }

  private verify(spec: ProviderSpec, endpoints: Endpoints, token: string, nonce: { expected: string | undefined; allowHashed: boolean }): Promise<JWTPayload> {
    if (endpoints.jwks === undefined || endpoints.issuer === undefined) {
      throw providerError(spec.name, `${spec.name} has no JWKS or issuer to verify ID tokens with`, { reason: 'misconfigured' });
    }
    return verifyIdToken(token, {
      provider: spec.name, keys: this.p.jwks.keys(endpoints.jwks), issuer: endpoints.issuer, clientId: spec.clientId,
      issuerAliases: issuerAliases(spec),
      nonce, leewaySeconds: Math.round(this.p.deps.config.auth.jwt_leeway / 1000),
    });
  }

  private async profileAfterExchange(spec: ProviderSpec, endpoints: Endpoints, tokens: TokenSet, attempt: Attempt): Promise<Profile> {
    let profile: Profile | undefined;
    if (spec.profile === 'id_token') {
      if (tokens.id_token === undefined) throw providerError(spec.name, `${spec.name} did not return an ID token`, { reason: 'no_id_token' });
      // The nonce we issued must come back exactly (the provider echoes it).
      const claims = await this.verify(spec, endpoints, tokens.id_token, { expected: attempt.nonce, allowHashed: false }) as Record<string, unknown>;
      if (typeof claims.email !== 'string' && endpoints.userinfo !== undefined) {
        const info = await fetchWithToken(spec.name, 'userinfo', endpoints.userinfo, tokens.access_token) as Record<string, unknown>;
        // OIDC Core §5.3.2: userinfo is only about the ID token's subject.
        if (info && info.sub === claims.sub) {
          for (const k of ['email', 'email_verified', 'name', 'picture', 'given_name', 'family_name', 'preferred_username']) {
            if (claims[k] === undefined && info[k] !== undefined) claims[k] = info[k];
          }
        }
      }
      profile = profileFromClaims(claims);
    } else if (spec.profile === 'github') {
      const userinfo = endpoints.userinfo!;
      const user = await fetchWithToken(spec.name, 'user profile', userinfo, tokens.access_token);
      // Needs the user:email scope; without it the public email (unverified) is all we get.
      const emails = await fetchWithToken(spec.name, 'user emails', `${userinfo.replace(/\/+$/, '')}/emails`, tokens.access_token).catch(() => []);
      profile = profileFromGithub((user ?? {}) as Record<string, unknown>, parseGithubEmails(emails));
    } else {
      const info = await fetchWithToken(spec.name, 'userinfo', endpoints.userinfo!, tokens.access_token);
      profile = profileFromClaims((info ?? {}) as Record<string, unknown>);
    }
    if (!profile) throw providerError(spec.name, `${spec.name} did not identify the user`, { reason: 'no_subject' });
    return profile;
  }
}
