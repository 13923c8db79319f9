// Input of the secrets routes (API.md §11.1 `/api/v1/secrets`; docs/functions.md "Secrets").
// A secret is global, or scoped to one namespace (`?namespace=` on the by-name routes).
// Values are write-only: no route answers them.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { errors, field, LIMITS, parseInput, type AppError } from '../../http/index.ts';
import { NAME_PATTERN, NAME_RULE } from '../deploy.ts';
import type { SecretRef, SecretRow } from '../secret-store.ts';
import type { SecretsService } from '../secrets-service.ts';

export const SECRETS_PATH = '/api/v1/secrets';

export interface SecretsRouteDeps {
  secrets: SecretsService;
}
/** The largest secret value (a private key or a service account JSON fits). */
export const MAX_SECRET_BYTES = 64 * 1024;

/** Becomes FLUXBASE_SECRET_<NAME>: an environment variable name. */
const secretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be letters, digits and _ (not starting with a digit), at most 128: it becomes FLUXBASE_SECRET_<NAME>');
const nullToAbsent = (v: unknown) => (v === null ? undefined : v);
const expiresAt = z.preprocess(nullToAbsent, z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp, e.g. 2027-01-31T00:00:00Z' }).optional());
const value = z.string().min(1, 'must not be empty').max(MAX_SECRET_BYTES);

export const CreateSecretBody = z.strictObject({
  name: secretName,
  value,
  scope: z.preprocess(nullToAbsent, z.enum(['global', 'namespace']).optional()),
  namespace: z.preprocess(nullToAbsent, z.string().regex(NAME_PATTERN, NAME_RULE).optional()),
  description: field.optionalText(LIMITS.text),
  expires_at: expiresAt,
});

export const UpdateSecretBody = z.strictObject({
  value: value.optional(),
  description: field.optionalText(LIMITS.text),
  expires_at: expiresAt,
});

const ByNameParams = z.object({ name: field.requiredParam(256).pipe(secretName) });
const ByNameQuery = z.object({ namespace: field.param(LIMITS.name).pipe(z.string().regex(NAME_PATTERN, NAME_RULE).optional()) });

/** `:name` and `?namespace=`: the namespace secret of that name, or the global one. */
export function secretRef(request: FastifyRequest): SecretRef {
  const { name } = parseInput(ByNameParams, request.params, 'params');
  const { namespace } = parseInput(ByNameQuery, request.query, 'query');
  return namespace === undefined ? { name, scope: 'global', namespace: null } : { name, scope: 'namespace', namespace };
}

/** A secret as answered: never its value. */
export function secretView(row: SecretRow): Record<string, unknown> {
  return {
    id: row.id, name: row.name, scope: row.scope, ...(row.namespace !== null ? { namespace: row.namespace } : {}),
    description: row.description, expires_at: row.expires_at, created_by: row.created_by, created_at: row.created_at, updated_at: row.updated_at,
  };
}

export function secretNotFound(ref: SecretRef): AppError {
  return errors.notFound(`secret "${ref.name}"${ref.namespace ? ` in namespace "${ref.namespace}"` : ''}`);
}
