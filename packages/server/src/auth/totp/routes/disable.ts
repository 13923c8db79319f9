// POST /api/v1/auth/2fa/disable {password} or {code} → {success: true, message}: turns
// TOTP off (factor and recovery codes removed). A code may be a recovery code, for users
// who lost their device. Both proofs count toward the attempt lock.
import type { FastifyInstance } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { bodyObject, missingField, optionalString, parseCode } from '../code-input.ts';
import { disableTotp, type DisableProof } from '../management.ts';

const MAX_PASSWORD_LENGTH = 1024;

export function registerDisableRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/disable', async (request) => {
    const caller = await deps.core.requireUser(request);
    const body = bodyObject(request.body);
    const password = optionalString(body.password, 'password', MAX_PASSWORD_LENGTH);
    let proof: DisableProof;
    if (password !== undefined && password !== '') proof = { kind: 'password', password };
    else if (body.code !== undefined && body.code !== null) proof = { kind: 'code', code: parseCode(body.code) };
    else throw missingField('password');
    await disableTotp(deps, caller.user, proof, deps.core.clientInfo(request));
    return { success: true, message: 'Two-factor authentication disabled' };
  });
}
