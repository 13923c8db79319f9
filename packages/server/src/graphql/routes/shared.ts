// Shared by the GraphQL routes: the caller's transaction context (RLS decides every row, as
// on REST) and the reply of an operation's outcome.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestContext } from '../../db/index.ts';
import type { OperationOutput } from '../execute.ts';

export const GRAPHQL_PATH = '/api/v1/graphql';

export function callerOf(request: FastifyRequest): RequestContext {
  const p = request.principal;
  return { role: p.role, claims: p.claims, sub: p.userId ?? '', claimsJson: p.claimsJson, method: request.method, path: request.url, requestId: request.id };
}

/** Sends an operation's outcome; every error carries the request id (API.md's error rule). */
export function sendOutput(request: FastifyRequest, reply: FastifyReply, out: OperationOutput): FastifyReply {
  if (out.allow) void reply.header('Allow', out.allow);
  const body = out.body.errors
    ? { ...out.body, errors: out.body.errors.map((e) => ({ ...e, extensions: { ...e.extensions, request_id: request.id } })) }
    : out.body;
  return reply.code(out.status).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}
