// POST /api/v1/realtime/broadcast (docs/realtime.md "Broadcast from your server"): the service
// role, or a stored key with scope realtime:broadcast, sends {channel, event?, payload?} (or
// {channel, message}) to the channel's members on every instance.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError, field, parseInput } from '../../http/index.ts';
import { validChannelName, type RealtimeEngine } from '../engine/engine.ts';

const Body = z.strictObject({
  channel: field.text(255),
  event: field.optionalText(255),
  payload: z.unknown().optional(),
  message: z.unknown().optional(),
});

export function registerBroadcastRoute(app: FastifyInstance, engine: RealtimeEngine): void {
  app.post('/api/v1/realtime/broadcast', async (request) => {
    const p = request.principal;
    if (p.role !== 'service_role') {
      throw new AppError(p.kind === 'anonymous' || p.kind === 'anon_key' ? 'MISSING_AUTHENTICATION' : 'INSUFFICIENT_PERMISSIONS', {
        message: 'Broadcasting from the REST API needs the service role or a key with the realtime:broadcast scope',
        ...(p.kind === 'user' ? { details: { required_scope: 'realtime:broadcast' } } : {}),
      });
    }
    if (p.kind === 'service_key' && !(p.scopes ?? []).some((s) => s === '*' || s === 'realtime:broadcast')) {
      throw new AppError('INSUFFICIENT_PERMISSIONS', { message: 'This service key lacks the realtime:broadcast scope', details: { required_scope: 'realtime:broadcast' } });
    }
    const body = parseInput(Body, request.body);
    if (!validChannelName(body.channel)) {
      throw new AppError('VALIDATION_FAILED', { message: 'channel: 1 to 255 printable ASCII characters, not starting with a space', details: { fields: { channel: 'invalid channel name' } } });
    }
    const payload = body.payload !== undefined ? body.payload : (body.message ?? null);
    const { recipients, published } = await engine.broadcast(null, body.channel, body.event ?? 'broadcast', payload);
    if (!published) throw new AppError('SERVICE_UNAVAILABLE', { message: 'The broadcast reached this instance but not the others; try again' });
    return { success: true, channel: body.channel, recipients };
  });
}
