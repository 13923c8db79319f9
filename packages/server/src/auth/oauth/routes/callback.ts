// GET /api/v1/auth/oauth/:provider/callback?code&state[&code_verifier] (or error,
// error_description), and the same as POST with a form body for providers that use
// response_mode=form_post (Apple). Answers Session + is_new_user, or a TwoFactorChallenge.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthDeps } from '../../deps.ts';
import { optionalClientVerifier, optionalString, requiredString, type Fields } from '../inputs.ts';
import type { OAuthService } from '../service.ts';

type CallbackRequest = FastifyRequest<{ Params: { provider: string } }>;

/** Apple sends `user` = {"name":{"firstName","lastName"},"email"} on the first authorization only. */
function appleUserName(fields: Fields): { name?: string } | undefined {
  const raw = optionalString(fields, 'user', 4096);
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw) as { name?: { firstName?: unknown; lastName?: unknown } };
    const parts = [parsed.name?.firstName, parsed.name?.lastName].filter((p): p is string => typeof p === 'string' && p !== '');
    return parts.length > 0 ? { name: parts.join(' ').slice(0, 200) } : {};
  } catch {
    return undefined;
  }
}

async function handle(oauth: OAuthService, deps: AuthDeps, request: CallbackRequest, reply: FastifyReply, fields: Fields) {
  const provider = request.params.provider;
  const error = optionalString(fields, 'error', 200);
  if (error !== undefined) {
    return oauth.flows.providerRefused(provider, fields.state, error, optionalString(fields, 'error_description', 1000));
  }
  await deps.limits.hit(reply, 'login', { ip: deps.core.clientInfo(request).ip });
  const result = await oauth.flows.callback({
    provider,
    code: requiredString(fields, 'code', 4096),
    state: fields.state,
    clientVerifier: optionalClientVerifier(fields),
    callerUserId: async () => (await deps.core.requireUser(request)).user.id,
    client: deps.core.clientInfo(request),
    appleUser: appleUserName(fields),
  });
  reply.header('cache-control', 'no-store');
  return result;
}

export function registerCallbackRoutes(app: FastifyInstance, oauth: OAuthService): void {
  const deps = oauth.deps;
  const path = '/api/v1/auth/oauth/:provider/callback';
  app.get<{ Params: { provider: string } }>(path, { config: { allowWithoutKey: true } }, (request, reply) =>
    handle(oauth, deps, request, reply, request.query as Fields));
  // The form body parser applies to this route only (the rest of the API is JSON-only).
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post<{ Params: { provider: string } }>(path, { config: { allowWithoutKey: true } }, (request, reply) =>
      handle(oauth, deps, request, reply, (request.body ?? {}) as Fields));
  });
}
