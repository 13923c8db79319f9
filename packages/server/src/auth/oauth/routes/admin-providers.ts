// Admin CRUD of database-managed providers (/api/v1/admin/oauth/providers). Configured
// providers (fluxbase.yaml) are listed read-only; a row of the same name overrides one.
// The client secret is write-only: answers carry `has_client_secret` instead.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, adminOnly, errors, field, LIMITS, optionalBody, parseInput } from '../../../http/index.ts';
import { buildProviderSpec, parseScopes, type ProviderInput, type ProviderSpec, type Problems } from '../provider-spec.ts';
import type { ProviderRow, ProviderWrite } from '../provider-store.ts';
import type { OAuthService } from '../service.ts';

// The provider fields are checked by buildProviderSpec, the rule fluxbase.yaml providers
// follow too (its problems are answered together); the schema fixes which fields exist.
const settings = {
  display_name: z.unknown().optional(), client_id: z.unknown().optional(), client_secret: z.unknown().optional(),
  issuer_url: z.unknown().optional(), authorize_url: z.unknown().optional(), token_url: z.unknown().optional(),
  userinfo_url: z.unknown().optional(), jwks_url: z.unknown().optional(), scopes: z.unknown().optional(), enabled: z.unknown().optional(),
};
const CreateBody = optionalBody(z.strictObject({ name: field.text(LIMITS.name), ...settings }));
const UpdateBody = optionalBody(z.strictObject({ name: z.unknown().optional(), ...settings }));

const BASE = '/api/v1/admin/oauth/providers';

function validationError(problems: Problems): AppError {
  return new AppError('VALIDATION_FAILED', {
    message: `Invalid OAuth provider: ${Object.entries(problems).map(([f, m]) => `${f} ${m}`).join('; ')}`,
    details: { fields: problems },
  });
}

/** Validates `input` for `name` and returns what to store (the spec only validates). */
function toWrite(name: string, input: ProviderInput, secretGiven: boolean): ProviderWrite {
  const problems: Problems = {};
  const spec = buildProviderSpec(name, input, 'database', problems);
  if (!spec) throw validationError(problems);
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
  return {
    display_name: text(input.display_name),
    client_id: spec.clientId,
    client_secret: secretGiven ? (spec.clientSecret ?? null) : undefined,
    issuer_url: text(input.issuer_url),
    authorize_url: text(input.authorize_url),
    token_url: text(input.token_url),
    userinfo_url: text(input.userinfo_url),
    jwks_url: text(input.jwks_url),
    // Empty keeps following the preset's defaults instead of freezing them into the row.
    scopes: input.scopes === undefined || input.scopes === null ? [] : (parseScopes(input.scopes) as string[]),
    enabled: spec.enabled,
  };
}

export function registerAdminProviderRoutes(app: FastifyInstance, oauth: OAuthService): void {
  const wire = (spec: ProviderSpec, row?: ProviderRow) => ({
    name: spec.name,
    display_name: spec.displayName,
    source: spec.source,
    preset: spec.preset ?? null,
    client_id: spec.clientId,
    has_client_secret: spec.clientSecret !== undefined,
    issuer_url: spec.issuer ?? null,
    authorize_url: spec.authorizeUrl ?? null,
    token_url: spec.tokenUrl ?? null,
    userinfo_url: spec.userinfoUrl ?? null,
    jwks_url: spec.jwksUrl ?? null,
    scopes: spec.scopes,
    enabled: spec.enabled,
    callback_url: oauth.flows.callbackUrl(spec.name),
    created_at: row?.created_at.toISOString() ?? null,
    updated_at: row?.updated_at.toISOString() ?? null,
  });
  const rowWire = (row: ProviderRow) => {
    const spec = oauth.providers.toSpec(row);
    if (!spec) throw errors.internal(new Error(`stored provider ${row.name} does not validate`));
    return wire(spec, row);
  };

  app.get(BASE, { preHandler: adminOnly }, async () => {
    const rows = new Map((await oauth.providers.all()).map((r) => [r.name, r]));
    const specs = await oauth.registry.all();
    return { providers: [...specs.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => wire(s, rows.get(s.name))) };
  });

  app.get<{ Params: { name: string } }>(`${BASE}/:name`, { preHandler: adminOnly }, async (request) => {
    const row = await oauth.providers.find(request.params.name);
    if (row) return rowWire(row);
    const spec = oauth.registry.configuredSpec(request.params.name);
    if (!spec) throw errors.notFound('oauth_provider');
    return wire(spec);
  });

  app.post(BASE, { preHandler: adminOnly }, async (request, reply) => {
    const body = parseInput(CreateBody, request.body);
    const write = toWrite(body.name, body, body.client_secret !== undefined);
    const row = await oauth.providers.insert(body.name, write);
    if (!row) throw new AppError('ALREADY_EXISTS', { message: `OAuth provider '${body.name}' already exists`, details: { resource: 'oauth_provider' } });
    return reply.code(201).send(rowWire(row));
  });

  app.patch<{ Params: { name: string } }>(`${BASE}/:name`, { preHandler: adminOnly }, async (request) => {
    const name = request.params.name;
    const body = parseInput(UpdateBody, request.body);
    if (body.name !== undefined && body.name !== name) throw validationError({ name: 'cannot be changed' });
    const row = await oauth.providers.find(name);
    if (!row) {
      if (oauth.registry.configuredSpec(name)) {
        throw new AppError('CONFLICT', {
          message: `OAuth provider '${name}' is defined in the configuration file`,
          hint: 'Change it in fluxbase.yaml, or POST a database provider of the same name to override it',
        });
      }
      throw errors.notFound('oauth_provider');
    }
    const merged: ProviderInput = { ...oauth.providers.toInput(row), ...body };
    const updated = await oauth.providers.update(name, toWrite(name, merged, body.client_secret !== undefined));
    if (!updated) throw errors.notFound('oauth_provider');
    // The issuer may have changed: rediscover on next use.
    if (row.issuer_url) oauth.discovery.forget(row.issuer_url);
    return rowWire(updated);
  });

  app.delete<{ Params: { name: string } }>(`${BASE}/:name`, { preHandler: adminOnly }, async (request, reply) => {
    const name = request.params.name;
    if (!(await oauth.providers.delete(name))) {
      if (oauth.registry.configuredSpec(name)) {
        throw new AppError('CONFLICT', { message: `OAuth provider '${name}' is defined in the configuration file; remove it there` });
      }
      throw errors.notFound('oauth_provider');
    }
    return reply.code(204).send();
  });
}
