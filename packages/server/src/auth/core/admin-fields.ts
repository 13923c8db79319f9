// Fields only an administrator may set (docs/auth.md "Users and passwords"): a user's own
// sign-up or profile update that names one is refused with 403, before the body is
// otherwise read.
import { AppError } from '../../http/index.ts';

export const ADMIN_ONLY_FIELDS = ['role', 'app_metadata', 'email_verified'] as const;

/** 403 INSUFFICIENT_PERMISSIONS naming the admin-only fields present; a body that is no object is left to the route's schema. */
export function refuseAdminFields(body: unknown, fields: readonly string[] = ADMIN_ONLY_FIELDS): void {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
  const present = fields.filter((f) => Object.hasOwn(body, f) && (body as Record<string, unknown>)[f] !== undefined);
  if (present.length > 0) {
    throw new AppError('INSUFFICIENT_PERMISSIONS', {
      message: `Only an administrator can set ${present.join(', ')}`,
      details: { fields: Object.fromEntries(present.map((f) => [f, 'admin only'])) },
    });
  }
}
