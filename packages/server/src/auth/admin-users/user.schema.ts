// Body fields of the admin user routes (docs/auth.md "Admin user management"), shared by
// create and update: an admin may set what a user may not (role, app_metadata,
// email_verified). Unknown fields are refused so a typo is not silently ignored.
import { z } from 'zod';
import { field, LIMITS } from '../../http/index.ts';
import { parseDuration } from '../../config/index.ts';
import { emailField } from '../core/email.ts';
import { newPasswordField } from '../core/password-fields.ts';

const ROLE = /^[a-z_][a-z0-9_]{0,62}$/;
const RESERVED_ROLES = new Set(['anon', 'service_role']);

const role = field.optionalText(LIMITS.name)
  .refine((r) => r === undefined || ROLE.test(r), 'must be lower-case letters, digits and _')
  .refine((r) => r === undefined || !RESERVED_ROLES.has(r), 'anon and service_role are database roles, not user roles');

const common = {
  email_verified: z.boolean().optional(),
  role,
  user_metadata: field.metadata(),
  app_metadata: field.metadata(),
};

/** POST /admin/users. */
export const CreateUserBody = z.strictObject({ email: emailField(), password: newPasswordField().optional(), ...common });

/** `ban_duration`: "none" lifts a ban; a positive duration ("24h") bans until now + duration. */
const banDuration = field.optionalText(32)
  .refine((v) => v === undefined || v === 'none' || (parseDuration(v) ?? 0) > 0, 'must be a duration like "24h" or "none"');

/** PATCH /admin/users/:id. */
export const UpdateUserBody = z.strictObject({
  email: emailField().optional(), password: newPasswordField().optional(), ...common, ban_duration: banDuration,
});

/** GET /admin/users?search=&limit=50&offset=0 (`search` beyond 200 characters is cut, not refused). */
export const ListUsersQuery = z.object({
  search: z.unknown().optional().transform((v) => (typeof v === 'string' ? v.slice(0, 200) : '')),
  limit: field.intParam(0, 1000, 50).transform((n) => Math.max(1, n)),
  offset: field.intParam(0, 10_000_000, 0),
});
