// GET and POST /api/v1/admin/schema/typescript: generated TypeScript for the asked
// schemas (default: the exposed ones). GET answers text/plain (a file to save) unless the
// client accepts JSON; POST always answers `{typescript, schemas}`.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, optionalBody } from '../../http/index.ts';
import { parseAdminBody } from '../admin-body.ts';
import { booleanParam, checkSchemas, defaultSchemas, schemaListParam, typescriptRepresentation, type TypescriptRequest } from '../params.ts';
import { adminOnly } from '../require-admin.ts';
import type { AdminDeps } from '../deps.ts';
import { generateTypes } from '../typegen.ts';

type Query = Record<string, string | string[] | undefined>;

const SCHEMAS = 'must be a non-empty array of schema names';

/** POST body; absent means every default. `format` is accepted and ignored, as upstream. */
const Body = optionalBody(z.strictObject({
  schemas: z.array(z.string().min(1), { error: SCHEMAS }).min(1, SCHEMAS).optional(),
  include_functions: z.boolean().optional(),
  include_views: z.boolean().optional(),
  format: z.enum(['types', 'full'], { error: 'must be "types" or "full"' }).optional(),
}));

export function typescriptBody(body: unknown): TypescriptRequest {
  const b = parseAdminBody(Body, body);
  return { schemas: b.schemas, includeFunctions: b.include_functions ?? true, includeViews: b.include_views ?? true };
}

function generate(deps: AdminDeps, req: TypescriptRequest): { typescript: string; schemas: string[] } {
  const snapshot = deps.schema.current();
  const schemas = req.schemas ? checkSchemas(snapshot, req.schemas) : defaultSchemas(snapshot);
  const typescript = generateTypes(snapshot, { schemas, includeFunctions: req.includeFunctions, includeViews: req.includeViews });
  return { typescript, schemas };
}

export function registerSchemaTypescript(app: FastifyInstance, deps: AdminDeps): void {
  app.post('/api/v1/admin/schema/typescript', { preHandler: adminOnly }, async (request) => generate(deps, typescriptBody(request.body)));

  app.get('/api/v1/admin/schema/typescript', { preHandler: adminOnly }, async (request, reply) => {
    const representation = typescriptRepresentation(request.headers.accept);
    if (representation === null) {
      throw new AppError('NOT_ACCEPTABLE', { message: 'This route answers text/plain or application/json' });
    }
    const q = request.query as Query;
    const result = generate(deps, {
      schemas: schemaListParam(q.schemas, 'schemas'),
      includeFunctions: booleanParam(q.include_functions, 'include_functions', true),
      includeViews: booleanParam(q.include_views, 'include_views', true),
    });
    if (representation === 'json') return result;
    return reply
      .type('text/plain; charset=utf-8')
      .header('Content-Disposition', 'inline; filename="types.ts"')
      .send(result.typescript);
  });
}
