// The acting principal and client address of an admin request, as the audit records them.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../../http/index.ts';
import type { AuthDeps } from '../../deps.ts';
import type { AdminContext } from '../key-admin.ts';
import type { KeyCacheControl } from '../service-keys.ts';

export const BASE = '/api/v1/admin/service-keys';

/** 'service_role' for a service-role JWT, 'user:<uuid>' for an admin user. */
export function actorOf(p: Principal): string {
  if (p.kind === 'user' && p.userId !== null) return `user:${p.userId}`;
  if (p.kind === 'service_key' && p.keyId !== undefined) return `service_key:${p.keyId}`;
  return p.role === 'service_role' ? 'service_role' : p.kind;
}

export function adminContext(request: FastifyRequest, deps: AuthDeps, cache: KeyCacheControl | undefined): AdminContext {
  const ip = deps.core.clientInfo(request).ip;
  return { pool: deps.db.pool, actor: actorOf(request.principal), ip: isIP(ip) ? ip : null, cache };
}
