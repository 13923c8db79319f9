// HS256 JSON Web Tokens, nothing else (docs/getting-started.md "Keys"). The header is
// checked before the signature and the signature before the payload is trusted; the
// comparison is constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type JwtClaims = Record<string, unknown>;

export type JwtFailureReason =
  | 'malformed' | 'bad_signature' | 'unsupported_algorithm' | 'not_yet_valid' | 'invalid_audience' | 'invalid_claims';

export type JwtResult =
  | { ok: true; claims: JwtClaims }
  | { ok: false; code: 'EXPIRED_TOKEN' | 'INVALID_TOKEN'; reason: JwtFailureReason | 'expired'; message: string };

export interface VerifyOptions {
  secret: string;
  leewaySeconds: number;
  audience?: string | undefined;
  /** Current time in seconds (tests). */
  now?: number;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const FORBIDDEN_HEADER_KEYS = ['jku', 'x5u', 'jwk', 'crit', 'x5c'];

const b64json = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
const fail = (reason: JwtFailureReason, message: string): JwtResult => ({ ok: false, code: 'INVALID_TOKEN', reason, message });

export function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

export function verifyJwt(token: string, options: VerifyOptions): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p)) || parts[0] === '' || parts[1] === '') {
    return fail('malformed', 'The token is not a well-formed JWT');
  }
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  try {
    header = b64json(h);
  } catch {
    return fail('malformed', 'The token header is not valid JSON');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('malformed', 'The token header is not a JSON object');
  const hdr = header as Record<string, unknown>;
  if (hdr.alg !== 'HS256') return fail('unsupported_algorithm', `Only HS256 tokens are accepted (got ${typeof hdr.alg === 'string' ? hdr.alg : 'none'})`);
  const forbidden = FORBIDDEN_HEADER_KEYS.find((k) => k in hdr);
  if (forbidden) return fail('unsupported_algorithm', `Token headers carrying "${forbidden}" are refused`);

  const expected = createHmac('sha256', options.secret).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail('bad_signature', 'The token signature is invalid');
  }

  let payload: unknown;
  try {
    payload = b64json(p);
  } catch {
    return fail('malformed', 'The token payload is not valid JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return fail('malformed', 'The token payload is not a JSON object');
  const claims = payload as JwtClaims;

  for (const k of ['exp', 'nbf', 'iat'] as const) {
    if (k in claims && (typeof claims[k] !== 'number' || !Number.isFinite(claims[k]))) {
      return fail('invalid_claims', `The "${k}" claim must be a number`);
    }
  }
  if (claims.role !== undefined && typeof claims.role !== 'string') return fail('invalid_claims', 'The "role" claim must be a string');
  if (claims.sub !== undefined && typeof claims.sub !== 'string') return fail('invalid_claims', 'The "sub" claim must be a string');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const leeway = options.leewaySeconds;
  const exp = claims.exp as number | undefined;
  const nbf = claims.nbf as number | undefined;
  const iat = claims.iat as number | undefined;
  if (exp !== undefined && now - leeway > exp) {
    return { ok: false, code: 'EXPIRED_TOKEN', reason: 'expired', message: 'The token has expired' };
  }
  if (nbf !== undefined && nbf > now + leeway) return fail('not_yet_valid', 'The token is not valid yet (nbf)');
  if (iat !== undefined && iat > now + leeway) return fail('not_yet_valid', 'The token was issued in the future (iat)');
  if (options.audience) {
    const aud = claims.aud;
    const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) && aud.every((a) => typeof a === 'string') ? (aud as string[]) : [];
    if (!list.includes(options.audience)) return fail('invalid_audience', `The token audience must include "${options.audience}"`);
  }
  return { ok: true, claims };
}

export function signJwt(claims: JwtClaims, secret: string): string {
  const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const s = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  return `${h}.${p}.${s}`;
}
