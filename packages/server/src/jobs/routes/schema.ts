// Shared by the job routes (API.md §11.2): their dependencies, the caller, the `:id` and
// `:namespace/:name` params and the scope check of service keys (read:jobs, write:jobs).
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, parseInput, requireScope } from '../../http/index.ts';
import type { Caller, JobsService } from '../service.ts';

export const JOBS_PATH = '/api/v1/jobs';
export const ADMIN_JOBS_PATH = '/api/v1/admin/jobs';

export interface JobsRouteDeps {
  service: JobsService;
  now: () => number;
}

const IdParams = z.object({ id: field.requiredParam(LIMITS.name) });
const FunctionParams = z.object({ namespace: field.requiredParam(128), name: field.requiredParam(128) });

export function jobId(request: FastifyRequest): string {
  return parseInput(IdParams, request.params, 'params').id;
}

export function functionParams(request: FastifyRequest): { namespace: string; name: string } {
  return parseInput(FunctionParams, request.params, 'params');
}

/**
 * The caller, after the scope check: users see their own jobs; the service role (service keys,
 * service-role tokens) and admin users see all of them.
 */
export async function callerOf(request: FastifyRequest, scope: 'read:jobs' | 'write:jobs'): Promise<Caller> {
  requireScope(request, scope);
  const p = request.principal;
  const isAdmin = p.role === 'service_role' || (p.kind === 'user' && p.userId !== null && (await request.server.isAdminUser(p.userId)));
  return { principal: p, isAdmin };
}

/** Admin routes: the route's preHandler already required an admin. */
export function adminCaller(request: FastifyRequest): Caller {
  return { principal: request.principal, isAdmin: true };
}
