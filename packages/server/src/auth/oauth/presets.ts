// Built-in provider presets (docs/auth.md "3. Configuring providers in fluxbase.yaml"). A
// provider named after a preset inherits its issuer or endpoints, scopes and quirks; any
// field set in fluxbase.yaml or through the admin API overrides the preset. Every other
// name is a generic OIDC (issuer_url) or OAuth 2.0 (authorize_url + token_url +
// userinfo_url) provider.

/** How the user's profile is read after the code exchange. */
export type ProfileSource =
  /** Claims of the verified ID token (completed by the userinfo endpoint when it lacks an email). */
  | 'id_token'
  /** GitHub: /user, plus /user/emails for the primary verified address. */
  | 'github'
  /** Plain OAuth 2.0: the userinfo endpoint (`sub` or `id`, `email`, `email_verified`). */
  | 'userinfo';

export interface Preset {
  displayName: string;
  issuer?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  userinfoUrl?: string;
  scopes: string[];
  /** Extra authorization request parameters. */
  authorizeParams: Record<string, string>;
  profile: ProfileSource;
  /** Other `iss` spellings the provider uses in ID tokens. */
  issuerAliases?: string[];
}

export const OIDC_DEFAULT_SCOPES = ['openid', 'email', 'profile'];

export const PRESETS: Readonly<Record<string, Preset>> = {
  google: {
    displayName: 'Google',
    issuer: 'https://accounts.google.com',
    scopes: OIDC_DEFAULT_SCOPES,
    // A refresh token for GET /oauth/google/token (Google issues it on first consent).
    authorizeParams: { access_type: 'offline' },
    profile: 'id_token',
    // Google documents both forms of `iss`.
    issuerAliases: ['accounts.google.com'],
  },
  github: {
    displayName: 'GitHub',
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    userinfoUrl: 'https://api.github.com/user',
    scopes: ['read:user', 'user:email'],
    authorizeParams: {},
    profile: 'github',
  },
  microsoft: {
    displayName: 'Microsoft',
    // Multi-tenant: discovery answers the issuer template
    // https://login.microsoftonline.com/{tenantid}/v2.0, filled from the token's `tid`.
    issuer: 'https://login.microsoftonline.com/common/v2.0',
    scopes: [...OIDC_DEFAULT_SCOPES, 'offline_access'],
    authorizeParams: {},
    profile: 'id_token',
  },
  apple: {
    displayName: 'Apple',
    issuer: 'https://appleid.apple.com',
    scopes: ['openid', 'name', 'email'],
    // Apple requires form_post when name or email is asked: it POSTs code and state to
    // the redirect URI (POST /oauth/apple/callback accepts that form).
    authorizeParams: { response_mode: 'form_post' },
    profile: 'id_token',
  },
};

export function presetOf(name: string): Preset | undefined {
  return Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
}
