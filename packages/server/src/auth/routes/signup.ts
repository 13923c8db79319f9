// POST /api/v1/auth/signup {email, password, user_metadata?} (docs/auth.md "Users and
// passwords"): a new account and its first session; with email verification required, a
// generic 201 that reads the same whether or not the email was taken (the owner of an
// existing account is emailed instead). role, app_metadata and email_verified are refused
// (403).
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, parseInput } from '../../http/index.ts';
import { refuseAdminFields } from '../core/admin-fields.ts';
import { emailField } from '../core/email.ts';
import { userMetadataFields, userMetadataOf } from '../core/metadata-fields.ts';
import { newPasswordField } from '../core/password-fields.ts';
import type { User } from '../core/types.ts';
import type { AuthDeps } from '../deps.ts';

const Body = z.object({ email: emailField(), password: newPasswordField(), ...userMetadataFields });

const VERIFY_MESSAGE = 'Check your email to confirm your account';

export function registerSignup(app: FastifyInstance, deps: AuthDeps): void {
  const { core, config } = deps;
  app.post('/api/v1/auth/signup', { config: { allowWithoutKey: true } }, async (request, reply) => {
    const client = core.clientInfo(request);
    await deps.limits.hit(reply, 'signup', { ip: client.ip });
    if (!config.auth.signup_enabled) throw new AppError('SIGNUP_DISABLED', { message: 'New sign-ups are disabled' });
    refuseAdminFields(request.body);
    const body = parseInput(Body, request.body);
    const { email } = body;
    const password = core.passwords.validate(body.password);
    const userMetadata = userMetadataOf(body);

    if (!config.auth.require_email_verification) {
      const user = await core.users.create({ email, password, userMetadata });
      return reply.code(201).send(await core.completeSignIn(user, 'signup', client));
    }
    const existing = await core.users.findByEmail(email);
    if (existing) {
      await core.passwords.hash(password); // the same work as a new account
      if (existing.email_verified) await deps.emailFlows.notifyExistingSignup(existing);
      else await deps.emailFlows.sendVerification(existing);
      return reply.code(201).send({ user: placeholderUser(email, userMetadata), requires_email_verification: true, message: VERIFY_MESSAGE });
    }
    const user = await core.users.create({ email, password, userMetadata });
    await deps.emailFlows.sendVerification(user);
    return reply.code(201).send({ user: core.users.toUser(user), requires_email_verification: true, message: VERIFY_MESSAGE });
  });
}

/** The shape a new unverified account would have, for an email that is already taken. */
function placeholderUser(email: string, metadata: Record<string, unknown> | undefined): User {
  const now = new Date().toISOString();
  return {
    id: randomUUID(), email, email_verified: false, phone: null, role: 'authenticated', user_metadata: metadata ?? {},
    app_metadata: {}, is_anonymous: false, totp_enabled: false, created_at: now, updated_at: now, last_sign_in_at: null,
  };
}
