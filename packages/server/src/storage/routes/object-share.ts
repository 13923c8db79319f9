// POST /api/v1/storage/:bucket/<path>/share {user_id, permission: read|write} → 201 {message,
// user_id, permission}; DELETE …/<path>/share/:user_id → 204; GET …/<path>/shares → {shares}
// (API.md §10). find-my-way cannot match a static suffix after the object wildcard, so these
// are not routes of their own: `shareRequest` recognises them on `/:bucket/*` requests (the
// final segments `share` and `shares` are reserved by name-rules.ts, so no object ends with
// them) and `registerObjectShare` answers them in a preHandler of those routes, before the
// upload, download or delete handler would run.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseInput } from '../../http/index.ts';
import type { ShareActor, ShareService } from '../share-service.ts';
import type { ShareRow } from '../share-store.ts';
import { adminOf, bucketParam, callerOf, jsonBody, objectPath, STORAGE_PATH, type StorageRouteDeps } from './schema.ts';

export interface ShareRouteDeps extends StorageRouteDeps {
  shares: ShareService;
}

export type ShareRequest =
  | { action: 'share' | 'list'; bucket: string; path: string }
  | { action: 'revoke'; bucket: string; path: string; userId: string };

const OBJECT_ROUTE = `${STORAGE_PATH}/:bucket/*`;
const REVOKE = /^(.+)\/share\/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/;

const Body = z.strictObject({ user_id: z.string().min(1).max(64), permission: z.enum(['read', 'write']) });

/**
 * The share operation a `/:bucket/<path>` request names, or undefined for an object request:
 * POST `<path>/share`, DELETE `<path>/share/<user uuid>`, GET `<path>/shares`.
 */
export function shareRequest(request: FastifyRequest): ShareRequest | undefined {
  const method = request.method;
  if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') return undefined;
  const full = objectPath(request);
  const bucket = bucketParam(request);
  if (method === 'POST' && full.endsWith('/share') && full.length > 6) return { action: 'share', bucket, path: full.slice(0, -6) };
  if (method === 'GET' && full.endsWith('/shares') && full.length > 7) return { action: 'list', bucket, path: full.slice(0, -7) };
  if (method === 'DELETE') {
    const m = REVOKE.exec(full);
    if (m) return { action: 'revoke', bucket, path: m[1]!, userId: m[2]!.toLowerCase() };
  }
  return undefined;
}

function actorOf(request: FastifyRequest): ShareActor {
  return {
    caller: callerOf(request),
    asAdmin: async () => {
      const p = request.principal;
      if (p.role === 'service_role') return callerOf(request);
      if (p.kind === 'user' && p.userId !== null && (await request.server.isAdminUser(p.userId))) return adminOf(request);
      return undefined;
    },
  };
}

function shareView(s: ShareRow) {
  return { user_id: s.user_id, permission: s.permission, granted_by: s.granted_by, created_at: s.created_at };
}

export async function handleShare(shares: ShareService, request: FastifyRequest, reply: FastifyReply, r: ShareRequest): Promise<FastifyReply> {
  const b = parseInput(Body, await jsonBody(request));
  const row = await shares.share(actorOf(request), r.bucket, r.path, b.user_id, b.permission);
  return reply.code(201).send({ message: `"${r.path}" shared with ${row.user_id} (${row.permission})`, user_id: row.user_id, permission: row.permission });
}

export async function handleShareRevoke(shares: ShareService, request: FastifyRequest, reply: FastifyReply, r: ShareRequest & { action: 'revoke' }): Promise<FastifyReply> {
  await shares.revoke(actorOf(request), r.bucket, r.path, r.userId);
  return reply.code(204).send();
}

export async function handleSharesList(shares: ShareService, request: FastifyRequest, reply: FastifyReply, r: ShareRequest): Promise<FastifyReply> {
  const rows = await shares.list(actorOf(request), r.bucket, r.path);
  return reply.send({ shares: rows.map(shareView) });
}

/** Answers a recognised share request (for a handler that prefers an `if` to the hook). */
export function handleShareRequest(shares: ShareService, request: FastifyRequest, reply: FastifyReply, r: ShareRequest): Promise<FastifyReply> {
  switch (r.action) {
    case 'share': return handleShare(shares, request, reply, r);
    case 'list': return handleSharesList(shares, request, reply, r);
    case 'revoke': return handleShareRevoke(shares, request, reply, r);
  }
}

/**
 * Installs the dispatch on the `/:bucket/*` routes as their last preHandler (after the
 * principal is resolved): call it in the raw-body scope before the object routes are registered.
 */
export function registerObjectShare(app: FastifyInstance, deps: ShareRouteDeps): void {
  const dispatch = async (request: FastifyRequest, reply: FastifyReply) => {
    const r = shareRequest(request);
    if (!r) return;
    await handleShareRequest(deps.shares, request, reply, r);
    return reply;
  };
  app.addHook('onRoute', (route) => {
    if (route.url !== OBJECT_ROUTE) return;
    const existing = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [...existing, dispatch] as typeof route.preHandler;
  });
}
