// Calls to the provider: the code exchange at the token endpoint and the userinfo reads.
// Every call is bounded (timeout, response size); any failure, refusal or unreadable
// answer is 502 OAUTH_PROVIDER_ERROR naming the provider and its OAuth error code, never
// a 500 and never the provider's raw body.
import { AppError } from '../../http/index.ts';

const TIMEOUT_MS = 10_000;
const MAX_BODY_BYTES = 1024 * 1024;

export interface TokenSet {
  access_token: string;
  token_type: string | undefined;
  refresh_token: string | undefined;
  id_token: string | undefined;
  /** Seconds from now. */
  expires_in: number | undefined;
  scope: string | undefined;
}

export function providerError(provider: string, message: string, details: Record<string, unknown> = {}, cause?: unknown): AppError {
  return new AppError('OAUTH_PROVIDER_ERROR', { message, details: { provider, ...details }, cause });
}

/** The provider's OAuth error fields (RFC 6749 §5.2), trimmed so they are safe to echo. */
function oauthErrorFields(body: unknown): Record<string, string> {
  if (body === null || typeof body !== 'object') return {};
  const out: Record<string, string> = {};
  const { error, error_description: description } = body as Record<string, unknown>;
  if (typeof error === 'string') out.provider_error = error.slice(0, 100);
  if (typeof description === 'string') out.provider_error_description = description.slice(0, 300);
  return out;
}

export interface JsonCall {
  provider: string;
  /** What the call was for, in the error message ("token exchange", "userinfo"). */
  purpose: string;
  url: string;
  init: RequestInit;
}

/** Fetch and parse a JSON answer; non-2xx answers and network failures → 502. */
export async function fetchProviderJson(call: JsonCall): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(call.url, { ...call.init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw providerError(call.provider, `Could not reach ${call.provider} for ${call.purpose}`, { reason: 'unreachable' }, err);
  }
  const text = await readBounded(response).catch((err: unknown) => {
    throw providerError(call.provider, `${call.provider} sent an unreadable ${call.purpose} response`, { reason: 'unreadable' }, err);
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    throw providerError(call.provider, `${call.provider} refused the ${call.purpose} (HTTP ${response.status})`, { status: response.status, ...oauthErrorFields(body) });
  }
  if (body === undefined) {
    throw providerError(call.provider, `${call.provider} sent a ${call.purpose} response that is not JSON`, { reason: 'not_json' });
  }
  return body;
}

async function readBounded(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_BODY_BYTES) throw new Error('response too large');
  const buffer = Buffer.from(await response.arrayBuffer());
  if (buffer.length > MAX_BODY_BYTES) throw new Error('response too large');
  return buffer.toString('utf8');
}

export interface CodeExchange {
  provider: string;
  tokenUrl: string;
  code: string;
  redirectUri: string;
  codeVerifier: string;
  clientId: string;
  clientSecret: string | undefined;
  /** client_secret_basic when the provider supports only that; client_secret_post otherwise. */
  authMethod: 'client_secret_post' | 'client_secret_basic';
}

/** RFC 6749 §4.1.3 with the PKCE verifier (RFC 7636 §4.5). */
export async function exchangeCode(input: CodeExchange): Promise<TokenSet> {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (input.authMethod === 'client_secret_basic' && input.clientSecret !== undefined) {
    const enc = (s: string) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(input.clientId)}:${enc(input.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', input.clientId);
    if (input.clientSecret !== undefined) form.set('client_secret', input.clientSecret);
  }
  const body = await fetchProviderJson({
    provider: input.provider, purpose: 'token exchange', url: input.tokenUrl,
    init: { method: 'POST', headers, body: form.toString() },
  });
  return parseTokenSet(input.provider, body);
}

export function parseTokenSet(provider: string, body: unknown): TokenSet {
  const b = (body ?? {}) as Record<string, unknown>;
  // GitHub answers 200 with an `error` field for a bad or used code.
  if (typeof b.error === 'string' || typeof b.access_token !== 'string' || b.access_token === '') {
    throw providerError(provider, `${provider} did not issue an access token`, oauthErrorFields(b));
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const expires = typeof b.expires_in === 'number' ? b.expires_in : typeof b.expires_in === 'string' ? Number(b.expires_in) : undefined;
  return {
    access_token: b.access_token,
    token_type: str(b.token_type),
    refresh_token: str(b.refresh_token),
    id_token: str(b.id_token),
    expires_in: expires !== undefined && Number.isFinite(expires) && expires > 0 ? expires : undefined,
    scope: str(b.scope),
  };
}

/** GET a JSON document with the user's access token (userinfo, GitHub /user/emails). */
export function fetchWithToken(provider: string, purpose: string, url: string, accessToken: string): Promise<unknown> {
  return fetchProviderJson({
    provider, purpose, url,
    init: {
      headers: {
        authorization: `Bearer ${accessToken}`,
        accept: 'application/json',
        // GitHub's API refuses requests without a User-Agent.
        'user-agent': 'Fluxbase',
      },
    },
  });
}
