// GET /api/v1/admin/mail/outbox?to=&limit=50 (admin) → {messages: [{id, to, subject, text,
// html, created_at}]}, newest first: what the development mailer stored.
import type { FastifyInstance } from 'fastify';
import { AppError, adminOnly } from '../../../http/index.ts';
import { normalizeEmail } from '../../core/email.ts';
import type { AuthDeps } from '../../deps.ts';
import { listOutbox } from '../outbox-mailer.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

export function registerMailOutboxRoute(app: FastifyInstance, deps: AuthDeps): void {
  app.get('/api/v1/admin/mail/outbox', { preHandler: adminOnly }, async (request) => {
    const query = request.query as Record<string, unknown>;
    const to = query.to === undefined || query.to === '' ? undefined : normalizeEmail(query.to, 'to');
    return { messages: await listOutbox(deps.db.pool, to, parseLimit(query.limit)) };
  });
}

function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) {
    throw new AppError('INVALID_FORMAT', { message: `limit must be an integer from 1 to ${MAX_LIMIT}`, details: { parameter: 'limit' } });
  }
  return n;
}
