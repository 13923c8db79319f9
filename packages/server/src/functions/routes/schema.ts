// Input of the functions routes (API.md §11.1; docs/functions.md): path, query and body
// schemas, and the shape a function is answered in. Deploy fields live in ../deploy.ts.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, parseInput } from '../../http/index.ts';
import { DEFAULT_NAMESPACE, DeployBody, NAME_PATTERN, NAME_RULE } from '../deploy.ts';
import type { FunctionRecord } from '../function-store.ts';
import type { FunctionsService } from '../service.ts';

export const FUNCTIONS_PATH = '/api/v1/functions';

export interface FunctionsRouteDeps {
  service: FunctionsService;
}

const NameParams = z.object({ name: field.requiredParam(LIMITS.name).pipe(z.string().regex(NAME_PATTERN, NAME_RULE)) });
const NamespaceQuery = z.object({ namespace: field.param(LIMITS.name).pipe(z.string().regex(NAME_PATTERN, NAME_RULE).optional()) });

/** `:name` of the path and `?namespace=` (default "default"). */
export function functionRef(request: FastifyRequest): { name: string; namespace: string } {
  const { name } = parseInput(NameParams, request.params, 'params');
  const { namespace } = parseInput(NamespaceQuery, request.query, 'query');
  return { name, namespace: namespace ?? DEFAULT_NAMESPACE };
}

/** `?namespace=` alone (list routes); undefined lists every namespace. */
export function namespaceFilter(request: FastifyRequest): string | undefined {
  return parseInput(NamespaceQuery, request.query, 'query').namespace;
}

export const ExecutionsQuery = z.object({ limit: field.intParam(1, 1000, 50), namespace: z.unknown().optional() });

export const SyncBody = z.strictObject({
  namespace: z.preprocess((v) => (v === null ? undefined : v), z.string().regex(NAME_PATTERN, NAME_RULE).optional()),
  functions: z.array(DeployBody.omit({ namespace: true })).max(1000),
  options: field.object({ delete_missing: field.flag(), dry_run: field.flag() }),
});

/** A function as the API answers it: its fields without the code (single reads add `code`). */
export function functionView(f: FunctionRecord, withCode = false): Record<string, unknown> {
  const { code, ...rest } = f;
  return withCode ? { ...rest, code } : rest;
}
