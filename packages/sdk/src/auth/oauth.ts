// The browser side of OAuth sign-in and identity linking (docs/auth.md "OAuth and OpenID
// Connect sign-in"). The server does PKCE and nonce checks against the provider itself; the
// SDK records each flow it starts (provider, the server's `state`, a PKCE verifier) in
// storage so that `exchangeCodeForSession` accepts only a callback for a flow this browser
// began, which stops login CSRF (an attacker's code and state planted in the victim's
// browser).
import { FluxbaseError } from '../errors.ts';
import type { FluxbaseResponse, FluxbaseResult } from '../transport.ts';
import { type AuthHttp, objectResult } from './http.ts';
import { codeChallengeS256, generateCodeVerifier } from './pkce.ts';
import type { AuthResponse, OAuthSignInOptions, SupportedStorage } from './types.ts';

/** What is kept between the redirect to the provider and the return. */
export interface OAuthFlowRecord {
  kind: 'signin' | 'link';
  provider: string;
  /** The `state` the server put in the authorization URL; null if the URL had none. */
  state: string | null;
  codeVerifier: string;
  redirectTo: string | null;
  createdAt: number;
}

type SignedIn = (res: FluxbaseResponse<unknown>) => Promise<AuthResponse>;

const FLOW_TTL_MS = 10 * 60 * 1000;

function stateError(message: string): FluxbaseError {
  return new FluxbaseError({ status: 0, code: 'INVALID_OAUTH_STATE', error: 'Invalid OAuth state', message });
}

export class OAuthFlow {
  private readonly http: AuthHttp;
  private readonly storage: SupportedStorage;
  private readonly key: string;
  private readonly signedIn: SignedIn;

  constructor(http: AuthHttp, storage: SupportedStorage, key: string, signedIn: SignedIn) {
    this.http = http;
    this.storage = storage;
    this.key = key;
    this.signedIn = signedIn;
  }

  /** Ask the server for the provider's authorization URL and remember the flow. */
  async start(provider: string, options: OAuthSignInOptions): Promise<FluxbaseResult<{ provider: string; url: string }>> {
    const verifier = generateCodeVerifier();
    const res = await this.http.public('GET', `/oauth/${encodeURIComponent(provider)}/authorize`, {
      query: {
        redirect_uri: options.redirectTo,
        scopes: Array.isArray(options.scopes) ? options.scopes.join(' ') : options.scopes,
        code_challenge: await codeChallengeS256(verifier),
        code_challenge_method: 'S256',
      },
    });
    return this.begin('signin', provider, verifier, options, res);
  }

  /** Start linking a provider to the signed-in user (`POST /user/identities`). */
  async link(provider: string, options: OAuthSignInOptions): Promise<FluxbaseResult<{ provider: string; url: string }>> {
    const verifier = generateCodeVerifier();
    const body: Record<string, unknown> = { provider, code_challenge: await codeChallengeS256(verifier), code_challenge_method: 'S256' };
    if (options.redirectTo !== undefined) body.redirect_uri = options.redirectTo;
    if (options.scopes !== undefined) body.scopes = Array.isArray(options.scopes) ? options.scopes.join(' ') : options.scopes;
    return this.begin('link', provider, verifier, options, await this.http.user('POST', '/user/identities', { body }));
  }

  /** The return leg: check the flow is ours, then trade the code for a session. */
  async exchange(code: string, state: string): Promise<AuthResponse> {
    const flow = await this.read();
    if (flow === null) return { data: null, error: stateError('No OAuth sign-in was started in this browser, or it expired') };
    if (flow.state !== null && flow.state !== state) return { data: null, error: stateError('The callback does not belong to the OAuth sign-in this browser started') };
    await this.remove();
    const path = `/oauth/${encodeURIComponent(flow.provider)}/callback`;
    const query = { code, state, code_verifier: flow.codeVerifier };
    const res = flow.kind === 'link' ? await this.http.user('GET', path, { query }) : await this.http.public('GET', path, { query });
    return this.signedIn(res);
  }

  private async begin(kind: OAuthFlowRecord['kind'], provider: string, verifier: string, options: OAuthSignInOptions, res: FluxbaseResponse<unknown>): Promise<FluxbaseResult<{ provider: string; url: string }>> {
    const out = objectResult(res, 'an authorization URL', (b) => (typeof b.url === 'string' ? b.url : undefined));
    if (out.error) return out;
    const url = out.data;
    const record: OAuthFlowRecord = {
      kind, provider, state: stateOf(url, res.data), codeVerifier: verifier, redirectTo: options.redirectTo ?? null, createdAt: Date.now(),
    };
    try {
      await this.storage.setItem(this.key, JSON.stringify(record));
    } catch (cause) {
      return { data: null, error: new FluxbaseError({ status: 0, code: 'STORAGE_ERROR', error: 'Storage error', message: 'Could not store the OAuth flow', cause }) };
    }
    const location = (globalThis as { location?: { assign(url: string): void } }).location;
    if (options.skipBrowserRedirect !== true && location !== undefined && typeof location.assign === 'function') location.assign(url);
    return { data: { provider, url }, error: null };
  }

  private async read(): Promise<OAuthFlowRecord | null> {
    let raw: string | null;
    try {
      raw = await this.storage.getItem(this.key);
    } catch {
      return null;
    }
    if (raw === null) return null;
    try {
      const r = JSON.parse(raw) as Partial<OAuthFlowRecord>;
      const fresh = typeof r.createdAt === 'number' && Date.now() - r.createdAt < FLOW_TTL_MS;
      if (fresh && typeof r.provider === 'string' && typeof r.codeVerifier === 'string' && (r.kind === 'signin' || r.kind === 'link')) {
        return { kind: r.kind, provider: r.provider, state: typeof r.state === 'string' ? r.state : null, codeVerifier: r.codeVerifier, redirectTo: r.redirectTo ?? null, createdAt: r.createdAt as number };
      }
    } catch {
      // Unreadable: treated as no flow.
    }
    await this.remove();
    return null;
  }

  private async remove(): Promise<void> {
    try {
      await this.storage.removeItem(this.key);
    } catch {
      // Nothing to undo; the record expires anyway.
    }
  }
}

/** The `state` of a flow: the server's answer field when present, else the authorization URL's parameter. */
function stateOf(url: string, body: unknown): string | null {
  const field = body !== null && typeof body === 'object' ? (body as Record<string, unknown>).state : undefined;
  if (typeof field === 'string' && field !== '') return field;
  try {
    return new URL(url).searchParams.get('state');
  } catch {
    return null;
  }
}
