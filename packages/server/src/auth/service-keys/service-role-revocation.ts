// Service-role JWT revocation (docs/auth.md "Revoking service-role JWTs"): every
// service-role JWT whose `iat` is before the latest
// auth.service_role_revocations.revoked_before is refused. The time is held in memory
// (checked on every request without a query), reloaded on NOTIFY and polled, and set at
// once on the instance that revoked.
import { AppError, type JwtClaims } from '../../http/index.ts';

export class ServiceRoleRevocation {
  /** Epoch seconds; tokens with `iat` below it are refused. */
  private revokedBefore: number | null = null;

  constructor(private readonly load: () => Promise<Date | null>) {}

  /** Raise the cut-off (never lowers it: a reload racing a newer local revocation is ignored). */
  set(before: Date | null): void {
    if (before === null) return;
    const seconds = Math.ceil(before.getTime() / 1000);
    if (this.revokedBefore === null || seconds > this.revokedBefore) this.revokedBefore = seconds;
  }

  async refresh(): Promise<void> {
    this.set(await this.load());
  }

  get cutoff(): number | null {
    return this.revokedBefore;
  }

  check(claims: JwtClaims): void {
    if (claims.role !== 'service_role' || this.revokedBefore === null) return;
    const iat = claims.iat;
    if (typeof iat === 'number' && iat >= this.revokedBefore) return;
    throw new AppError('TOKEN_REVOKED', {
      message: 'This service-role key was issued before the last service-role revocation; use a newly minted key',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
}
