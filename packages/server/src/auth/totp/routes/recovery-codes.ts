// POST /api/v1/auth/2fa/recovery-codes {code} (current TOTP code) → {backup_codes: [10]}:
// new codes; every earlier code stops working.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { optionalBody, parseInput } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { codeField } from '../code-input.ts';
import { regenerateRecoveryCodes } from '../management.ts';

const Body = optionalBody(z.object({ code: codeField({ allowRecovery: false }) }));

export function registerRecoveryCodesRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/recovery-codes', async (request) => {
    const caller = await deps.core.requireUser(request);
    const { code } = parseInput(Body, request.body);
    return regenerateRecoveryCodes(deps, caller.user, code.value, deps.core.clientInfo(request));
  });
}
