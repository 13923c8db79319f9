// Writing a stage's RestResponse to the Fastify reply: the one place REST answers HTTP.
import type { FastifyReply } from 'fastify';
import type { RestResponse } from '../request.ts';

export function send(reply: FastifyReply, res: RestResponse): FastifyReply {
  reply.headers(res.headers);
  reply.code(res.status);
  return res.body === null ? reply.send() : reply.send(res.body);
}
