// GET /api/v1/admin/mail/outbox?to=&limit=50 (admin) → {messages: [{id, to, subject, text,
// html, created_at}]}, newest first: what the development mailer stored.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { adminOnly, field, parseInput } from '../../../http/index.ts';
import { emailField } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { listOutbox } from '../outbox-mailer.ts';

const Query = z.object({
  to: z.preprocess((v) => (v === '' ? undefined : v), emailField().optional()),
  limit: field.intParam(1, 1000, 50),
});

export function registerMailOutboxRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.get('/api/v1/admin/mail/outbox', { preHandler: adminOnly }, async (request) => {
    const { to, limit } = parseInput(Query, request.query, 'query');
    return { messages: await listOutbox(deps.db.pool, to, limit) };
  });
}
