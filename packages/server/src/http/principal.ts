// Principal resolution (docs/getting-started.md "Keys"): which credential a request
// carries, whether it is valid, and which PostgreSQL role and claims it runs with. Every
// credential presented must be valid; the identity is the first in the order Authorization
// → X-Service-Key → apikey. No credential at all means anon, as in PostgREST.
import type { DbRole } from '../db/index.ts';
import { AppError } from './errors/index.ts';
import { verifyJwt, type JwtClaims } from './jwt.ts';
import { BoundedCache, type CacheRegistry } from '../observability/index.ts';

export type PrincipalKind = 'anonymous' | 'anon_key' | 'user' | 'service_role' | 'service_key';

export interface Principal {
  kind: PrincipalKind;
  role: DbRole;
  claims: JwtClaims;
  /** `sub` of a user token, else null. */
  userId: string | null;
  /** Stored service key id and scopes (service_key principals only). */
  keyId?: string;
  scopes?: string[];
  /** The raw credential (forwarded to functions later); never logged. */
  token?: string;
  /** `claims` with `role` = the DB role, serialised once per verified token (the GUC value). */
  claimsJson?: string;
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', role: 'anon', claims: { role: 'anon' }, userId: null }) as Principal;

/** Stored `sk_` keys are verified by the auth subsystem; until one is plugged in, none exists. */
export interface ServiceKeyVerifier {
  verify(key: string): Promise<Principal>;
}

/**
 * Checks an access token's jti/session and service-role revocation (auth subsystem).
 * Answers at once (undefined, or a synchronous throw) when it needs no I/O, so a request
 * with a remembered token resolves its principal without a promise.
 */
export interface RevocationChecker {
  check(claims: JwtClaims, principal: Principal): Promise<void> | undefined;
}

export interface PrincipalOptions {
  jwtSecret: string;
  leewaySeconds: number;
  audience?: string | undefined;
  serviceKeys?: ServiceKeyVerifier | undefined;
  revocation?: RevocationChecker | undefined;
  /** Where the verified-token cache reports (cache="jwt_principals"). */
  caches?: CacheRegistry | undefined;
}

export type HeaderBag = Record<string, string | string[] | undefined>;

const header = (h: HeaderBag, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const invalidToken = (reason: string, message: string) =>
  new AppError('INVALID_TOKEN', {
    message, details: { reason }, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  });

export function dbRoleFor(claimRole: unknown): DbRole {
  if (claimRole === 'anon') return 'anon';
  if (claimRole === 'service_role') return 'service_role';
  return 'authenticated';
}

const unknownServiceKeys: ServiceKeyVerifier = {
  verify: () => Promise.reject(new AppError('INVALID_API_KEY', { message: 'Unknown service key', details: { reason: 'unknown' } })),
};

/**
 * Verified tokens are remembered (bounded) with the principal built from them, so a client
 * reusing its token skips the HMAC, the claim checks and the claims serialisation. The
 * revocation check still runs on every request.
 */
const VERIFIED_CACHE_SIZE = 10_000;

export class PrincipalResolver {
  private readonly verified: BoundedCache<string, Principal>;
  constructor(private readonly options: PrincipalOptions) {
    this.verified = new BoundedCache('jwt_principals', VERIFIED_CACHE_SIZE, options.caches);
  }

  /** Verify a JWT credential and turn it into a principal. */
  async fromJwt(token: string): Promise<Principal> {
    return this.fromJwtNow(token);
  }

  /** fromJwt, answering at once when the revocation check needs no I/O. */
  private fromJwtNow(token: string): Principal | Promise<Principal> {
    let principal = this.verified.get(token);
    if (principal !== undefined) {
      // Time claims are re-checked on every use; only the signature work is saved.
      const exp = principal.claims.exp as number | undefined;
      if (exp !== undefined && Math.floor(Date.now() / 1000) - this.options.leewaySeconds > exp) {
        this.verified.delete(token);
        principal = undefined;
      }
    }
    if (principal === undefined) {
      principal = this.principalOf(token);
      this.verified.set(token, principal);
    }
    const pending = this.options.revocation?.check(principal.claims, principal);
    if (pending === undefined) return principal;
    const p = principal;
    return pending.then(() => p);
  }

  private principalOf(token: string): Principal {
    const result = verifyJwt(token, { secret: this.options.jwtSecret, leewaySeconds: this.options.leewaySeconds, audience: this.options.audience });
    if (!result.ok) {
      if (result.code === 'EXPIRED_TOKEN') {
        throw new AppError('EXPIRED_TOKEN', { message: result.message, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
      }
      throw invalidToken(result.reason, result.message);
    }
    const claims = result.claims;
    if (typeof claims.role !== 'string' || claims.role === '') throw invalidToken('invalid_claims', 'The token has no "role" claim');
    const role = dbRoleFor(claims.role);
    if (role === 'authenticated' && claims.exp === undefined) throw invalidToken('invalid_claims', 'User tokens must carry an "exp" claim');
    const claimsJson = JSON.stringify({ ...claims, role });
    const kind: PrincipalKind = role === 'anon' ? 'anon_key' : role === 'service_role' ? 'service_role' : 'user';
    const userId = kind === 'user' && typeof claims.sub === 'string' ? claims.sub : null;
    return Object.freeze({ kind, role, claims, userId, token, claimsJson });
  }

  fromCredential(credential: string): Promise<Principal> {
    if (credential.startsWith('sk_')) return (this.options.serviceKeys ?? unknownServiceKeys).verify(credential);
    return this.fromJwt(credential);
  }

  /**
   * Resolve the principal of a request from its headers, at once (no promise) in the usual
   * case: one `Authorization: Bearer` JWT, already verified, whose revocation check needs
   * no I/O. Errors are thrown synchronously then; callers handle both forms.
   */
  resolveNow(headers: HeaderBag): Principal | Promise<Principal> {
    const authorization = headers.authorization;
    if (typeof authorization === 'string' && authorization.length > 7 && headers.apikey === undefined && headers['x-service-key'] === undefined
      && headers['x-client-key'] === undefined && /^bearer /i.test(authorization)) {
      const token = authorization.slice(7).trim();
      if (token !== '' && !token.startsWith('sk_') && !/\s/.test(token)) return this.fromJwtNow(token);
    }
    return this.resolve(headers);
  }

  /**
   * Resolve the principal of a request from its headers. `allowQueryToken` adds the
   * `?token=`/`?apikey=` forms used by WebSocket upgrades.
   */
  async resolve(headers: HeaderBag, query?: { token?: string | undefined; apikey?: string | undefined }): Promise<Principal> {
    if (header(headers, 'x-client-key') !== undefined) {
      throw new AppError('INVALID_API_KEY', { message: 'Client keys (X-Client-Key) are not supported', details: { reason: 'client_keys_not_supported' } });
    }
    const found: Promise<Principal>[] = [];
    const authorization = header(headers, 'authorization');
    if (authorization !== undefined) {
      const m = /^(\S+)\s+(\S+)\s*$/.exec(authorization);
      if (!m) throw invalidToken('malformed', 'The Authorization header must be "Bearer <token>"');
      const scheme = m[1]!.toLowerCase();
      if (scheme === 'bearer') found.push(this.fromCredential(m[2]!));
      else if (scheme === 'servicekey') found.push(this.fromServiceKeyHeader(m[2]!));
      else throw invalidToken('malformed', `Unsupported Authorization scheme "${m[1]}"; use Bearer`);
    }
    const serviceKey = header(headers, 'x-service-key');
    if (serviceKey !== undefined) found.push(this.fromServiceKeyHeader(serviceKey.trim()));
    const apikey = header(headers, 'apikey');
    if (apikey !== undefined) found.push(this.fromApiKey(apikey.trim()));
    if (found.length === 0 && query) {
      if (query.token) found.push(this.fromCredential(query.token));
      else if (query.apikey) found.push(this.fromApiKey(query.apikey));
    }
    if (found.length === 0) return ANONYMOUS;
    if (found.length === 1) return found[0]!; // the usual case: one credential
    // All presented credentials must be valid; the first one is the identity.
    const principals = await Promise.all(found);
    return principals[0]!;
  }

  private async fromServiceKeyHeader(value: string): Promise<Principal> {
    if (value === '') throw new AppError('INVALID_API_KEY', { message: 'Empty service key', details: { reason: 'malformed' } });
    const p = await this.fromCredential(value);
    if (p.role !== 'service_role') {
      throw new AppError('INVALID_API_KEY', { message: 'X-Service-Key must hold a service key', details: { reason: 'not_service_role' } });
    }
    return p;
  }

  private async fromApiKey(value: string): Promise<Principal> {
    if (value === '') throw new AppError('INVALID_API_KEY', { message: 'Empty apikey header', details: { reason: 'malformed' } });
    try {
      return await this.fromCredential(value);
    } catch (err) {
      // A bad apikey is a bad API key; keep the JWT reason for diagnosis.
      if (err instanceof AppError && err.code === 'INVALID_TOKEN') {
        throw new AppError('INVALID_API_KEY', { message: `Invalid apikey: ${err.message}`, details: err.details });
      }
      throw err;
    }
  }
}

/** Request context values for db/context from a principal. */
export function principalClaims(p: Principal): { role: DbRole; claims: JwtClaims; sub: string; claimsJson?: string | undefined } {
  return { role: p.role, claims: p.claims, sub: p.userId ?? '', claimsJson: p.claimsJson };
}
