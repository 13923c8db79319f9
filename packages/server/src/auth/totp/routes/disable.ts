// POST /api/v1/auth/2fa/disable {password} or {code} → {success: true, message}: turns
// TOTP off (factor and recovery codes removed). A code may be a recovery code, for users
// who lost their device. Both proofs count toward the attempt lock.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { missingField, optionalBody, parseInput } from '../../../http/index.ts';
import { optionalPasswordField } from '../../core/password-fields.ts';
import type { AuthDeps } from '../../deps.ts';
import { codeField } from '../code-input.ts';
import { disableTotp, type DisableProof } from '../management.ts';

const disableBody = (passwordMaxLength: number) => optionalBody(z.object({
  password: optionalPasswordField(passwordMaxLength),
  code: z.preprocess((v) => (v === null ? undefined : v), codeField().optional()),
}));

export function registerDisableRoute(app: FastifyInstance, deps: AuthDeps): void {
  const Body = disableBody(deps.config.auth.password_max_length);
  app.post('/api/v1/auth/2fa/disable', async (request) => {
    const caller = await deps.core.requireUser(request);
    const { password, code } = parseInput(Body, request.body);
    let proof: DisableProof;
    if (password !== undefined && password !== '') proof = { kind: 'password', password };
    else if (code !== undefined) proof = { kind: 'code', code };
    else throw missingField('password');
    await disableTotp(deps, caller.user, proof, deps.core.clientInfo(request));
    return { success: true, message: 'Two-factor authentication disabled' };
  });
}
