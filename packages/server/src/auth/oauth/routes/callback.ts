// GET /api/v1/auth/oauth/:provider/callback?code&state[&code_verifier] (or error,
// error_description), and the same as POST with a form body for providers that use
// response_mode=form_post (Apple). Answers Session + is_new_user, or a TwoFactorChallenge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, parseInput, type InputWhere } from '../../../http/index.ts';
import { countedAttempt } from '../../core/attempts.ts';
import type { AuthDeps } from '../../deps.ts';
import type { OAuthService } from '../service.ts';

type CallbackRequest = FastifyRequest<{ Params: { provider: string } }>;

/** The provider refused: its error code and description (echoed, cut, in the 502). */
const Refusal = z.object({ error: field.param(200), error_description: field.param(1000) });

const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

const Callback = z.object({
  // Authorization codes are the provider's; some exceed the default token bound.
  code: field.requiredParam(4096),
  // Checked (and consumed) by the state store: 400 INVALID_OAUTH_STATE.
  state: z.unknown().optional(),
  // The client's verifier of the challenge it gave at authorize time (RFC 7636 syntax).
  code_verifier: field.param(128).refine((v) => v === undefined || PKCE_VERIFIER.test(v), 'must be 43 to 128 unreserved characters'),
  // Apple's form_post `user` (JSON), on the first authorization only.
  user: field.param(LIMITS.text),
});

/** Apple sends `user` = {"name":{"firstName","lastName"},"email"}; anything unreadable is ignored. */
function appleUserName(raw: string | undefined): { name?: string } | undefined {
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as { name?: { firstName?: unknown; lastName?: unknown } };
    const parts = [parsed.name?.firstName, parsed.name?.lastName].filter((p): p is string => typeof p === 'string' && p !== '');
    return parts.length > 0 ? { name: parts.join(' ').slice(0, 200) } : {};
  } catch {
    return undefined;
  }
}

async function handle(oauth: OAuthService, deps: AuthDeps, request: CallbackRequest, reply: FastifyReply, fields: unknown, where: InputWhere) {
  const provider = request.params.provider;
  const refusal = parseInput(Refusal, fields, where);
  if (refusal.error !== undefined) {
    return oauth.flows.providerRefused(provider, (fields as { state?: unknown }).state, refusal.error, refusal.error_description);
  }
  await deps.limits.hit(reply, 'login', { ip: deps.core.clientInfo(request).ip });
  const input = parseInput(Callback, fields, where);
  const result = await oauth.flows.callback({
    provider,
    code: input.code,
    state: input.state,
    clientVerifier: input.code_verifier,
    callerUserId: async () => (await deps.core.requireUser(request)).user.id,
    client: deps.core.clientInfo(request),
    appleUser: appleUserName(input.user),
  });
  reply.header('cache-control', 'no-store');
  return result;
}

export function registerCallbackRoutes(app: FastifyInstance, oauth: OAuthService): void {
  const deps = oauth.deps;
  const path = '/api/v1/auth/oauth/:provider/callback';
  app.get<{ Params: { provider: string } }>(path, { config: { allowWithoutKey: true } }, (request, reply) =>
    countedAttempt(deps.metrics, 'oauth', () => handle(oauth, deps, request, reply, request.query, 'query')));
  // The form body parser applies to this route only (the rest of the API is JSON-only).
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post<{ Params: { provider: string } }>(path, { config: { allowWithoutKey: true } }, (request, reply) =>
      countedAttempt(deps.metrics, 'oauth', () => handle(oauth, deps, request, reply, request.body ?? {}, 'body')));
  });
}

