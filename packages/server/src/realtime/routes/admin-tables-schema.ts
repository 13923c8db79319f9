// Input of the admin realtime table routes (docs/realtime.md "Enabling a table"): the zod
// schemas of their bodies, query and path, and the shape a registry entry is answered in.
// Unknown fields are refused so a typo (`excluded` for `exclude`) is not silently ignored.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { field, LIMITS, parseInput } from '../../http/index.ts';
import { CHANGE_EVENTS, type TableRef } from '../capture/index.ts';

export const TABLES_PATH = '/api/v1/admin/realtime/tables';

const nullToAbsent = (v: unknown) => (v === null ? undefined : v);

/** Event names are matched case-insensitively and answered in upper case. */
const eventName = z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(CHANGE_EVENTS));
/** Duplicates are allowed (and dropped); the bound only keeps a hostile body small. */
const events = z.preprocess(nullToAbsent, z.array(eventName).min(1).max(CHANGE_EVENTS.length * 4).optional());
/** PostgreSQL allows at most 1600 columns per table. */
const exclude = z.preprocess(nullToAbsent, z.array(z.string().min(1).max(LIMITS.name)).max(1600).optional());

/** POST /admin/realtime/tables. */
export const EnableBody = z.strictObject({
  schema: field.optionalText(LIMITS.name).refine((s) => s !== '', 'must not be empty'),
  table: field.text(LIMITS.name),
  events,
  exclude,
});

/** PATCH /admin/realtime/tables/:schema/:table (at least one field; the route checks). */
export const UpdateBody = z.strictObject({ events, exclude });

/** GET /admin/realtime/tables?enabled=false lists disabled entries too. */
export const ListQuery = z.object({
  enabled: z.enum(['true', '1', 'false', '0'], { error: 'must be true or false' }).optional(),
});

const TableParams = z.object({ schema: field.requiredParam(LIMITS.name), table: field.requiredParam(LIMITS.name) });

/** The `:schema/:table` of the path. */
export function tableParams(request: FastifyRequest): TableRef {
  return parseInput(TableParams, request.params, 'params');
}
