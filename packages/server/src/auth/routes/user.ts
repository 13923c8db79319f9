// GET and PATCH /api/v1/auth/user (docs/auth.md "The current user"). A user may change
// their email (confirmed by a link to the new address), their password (with the current
// password or a /reauthenticate nonce; other sessions are revoked) and user_metadata
// (merged). role, app_metadata and email_verified are admin-only (403, docs/auth.md "Users
// and passwords"); other unknown fields are refused.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, field, LIMITS, parseInput } from '../../http/index.ts';
import { refuseAdminFields } from '../core/admin-fields.ts';
import { emailField } from '../core/email.ts';
import { newPasswordField, optionalPasswordField } from '../core/password-fields.ts';
import type { UserRow } from '../core/types.ts';
import { updateOwnProfile } from '../core/users.ts';
import type { AuthDeps } from '../deps.ts';

const patchBody = (passwordMaxLength: number) => z.strictObject({
  user_metadata: field.metadata(),
  data: field.metadata(),
  email: emailField().optional(),
  password: newPasswordField().optional(),
  current_password: optionalPasswordField(passwordMaxLength),
  nonce: field.optionalText(LIMITS.code),
});

export function registerUserRoutes(app: FastifyInstance, deps: AuthDeps): void {
  const { core } = deps;
  const pool = deps.db.pool;
  const PatchBody = patchBody(deps.config.auth.password_max_length);

  app.get('/api/v1/auth/user', async (request) => core.users.toUser((await core.requireUser(request)).user));

  app.patch('/api/v1/auth/user', async (request) => {
    const caller = await core.requireUser(request);
    refuseAdminFields(request.body);
    const body = parseInput(PatchBody, request.body);
    const metadata = body.user_metadata ?? body.data;
    let passwordHash: string | undefined;
    if (body.password !== undefined) {
      const password = core.passwords.validate(body.password);
      await checkPasswordChange(deps, caller.user, body.current_password, body.nonce);
      passwordHash = await core.passwords.hash(password);
    }

    let user: UserRow = caller.user;
    if (metadata !== undefined || passwordHash !== undefined) user = (await updateOwnProfile(pool, user.id, { metadata, passwordHash })) ?? user;
    if (passwordHash !== undefined) await core.sessions.revokeUserSessions(user.id, 'password_changed', caller.sessionId);
    if (body.email !== undefined && body.email !== user.email) {
      // A taken address is answered like a free one (startEmailChange tells its owner instead).
      await deps.emailFlows.startEmailChange(user, body.email);
      user = (await core.users.findById(user.id)) ?? user;
    }
    return core.users.toUser(user);
  });
}

/** A password change needs the current password or a nonce from POST /reauthenticate. */
async function checkPasswordChange(deps: AuthDeps, user: UserRow, current: string | undefined, nonce: string | undefined): Promise<void> {
  if (current !== undefined) {
    const { ok } = await deps.core.passwords.verify(user.encrypted_password, current);
    if (!ok) throw new AppError('INVALID_CREDENTIALS', { message: 'current_password is wrong' });
  } else if (nonce !== undefined) {
    await deps.emailFlows.consumeReauthNonce(user, nonce);
  } else {
    throw new AppError('MISSING_REQUIRED_FIELD', {
      message: 'Changing the password needs current_password, or a nonce from POST /api/v1/auth/reauthenticate',
      details: { field: 'current_password' },
    });
  }
}
