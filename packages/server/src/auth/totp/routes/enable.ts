// POST /api/v1/auth/2fa/enable {code} → {success: true, backup_codes: [10], message}:
// the first code from the authenticator app confirms the pending setup.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { optionalBody, parseInput } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import { codeField } from '../code-input.ts';
import { enableTotp } from '../enrolment.ts';

const Body = optionalBody(z.object({ code: codeField({ allowRecovery: false }) }));

export function registerEnableRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.post('/api/v1/auth/2fa/enable', async (request) => {
    const caller = await deps.core.requireUser(request);
    const { code } = parseInput(Body, request.body);
    const { backup_codes } = await enableTotp(deps, caller.user, code.value);
    return {
      success: true,
      backup_codes,
      message: 'Two-factor authentication enabled. Store these recovery codes safely: each works once and they are not shown again.',
    };
  });
}
