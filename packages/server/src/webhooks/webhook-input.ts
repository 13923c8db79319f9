// What a webhook registration says (API.md §12): the zod schemas of create and update, and
// the normalisation of `events` (a bare "table" means public.table: upstream resolved it into
// the auth schema, fluxbase-surface-services.md §6.2) and of custom headers, which may not
// set what the server owns (hop-by-hop headers, Host, Content-Length, the signature and
// delivery headers). Unknown fields are refused so a typo is not silently ignored.
import { z } from 'zod';
import { field, LIMITS } from '../http/index.ts';
import { OPERATIONS, type EventSpec, type Operation } from './store.ts';

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const TABLE_RULE = 'must be "schema.table" or "table" (= public.table), each part a plain identifier';

/** Headers the server sets or that make no sense per request; a custom header may not name them. */
const RESERVED_HEADERS = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'host', 'content-length', 'content-type', 'user-agent',
  'x-fluxbase-signature', 'x-webhook-signature', 'x-fluxbase-event', 'x-fluxbase-delivery',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

const eventSpec = z.strictObject({
  table: z.string().min(1).max(130).refine((t) => {
    const parts = t.split('.');
    return parts.length <= 2 && parts.every((p) => IDENT.test(p));
  }, TABLE_RULE),
  operations: z.array(z.enum(OPERATIONS, { error: 'must be INSERT, UPDATE, DELETE or *' })).min(1, 'must name at least one operation').max(4),
});

const headers = z.record(z.string(), z.string().max(LIMITS.text)).superRefine((h, ctx) => {
  const names = Object.keys(h);
  if (names.length > 32) ctx.addIssue({ code: 'custom', message: 'at most 32 custom headers' });
  for (const name of names) {
    if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: `"${name}" is not a valid header name` });
    else if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', message: `"${name}" is set by Fluxbase and may not be overridden` });
    if (/[\r\n]/.test(h[name]!)) ctx.addIssue({ code: 'custom', message: `the value of "${name}" may not contain line breaks` });
  }
});

const Fields = {
  name: z.string().trim().min(1).max(LIMITS.name * 4),
  url: z.string().min(1).max(LIMITS.url),
  events: z.array(eventSpec).min(1, 'must name at least one table').max(100),
  description: field.optionalText(LIMITS.text),
  enabled: z.boolean().optional(),
  headers: headers.optional(),
  timeout_seconds: z.number().int().min(1).max(60).optional(),
  max_retries: z.number().int().min(0).max(20).optional(),
  scope: z.enum(['user', 'global'], { error: 'must be "user" or "global"' }).optional(),
};

export const CreateBody = z.strictObject({ ...Fields, secret: z.string().min(16, 'must be at least 16 characters').max(256).optional() });
export type CreateInput = z.output<typeof CreateBody>;

export const UpdateBody = z.strictObject({
  name: Fields.name.optional(),
  url: Fields.url.optional(),
  events: Fields.events.optional(),
  description: z.string().max(LIMITS.text).nullable().optional(),
  enabled: Fields.enabled,
  headers: Fields.headers,
  timeout_seconds: Fields.timeout_seconds,
  max_retries: Fields.max_retries,
  scope: Fields.scope,
});
export type UpdateInput = z.output<typeof UpdateBody>;

export const RotateBody = z.strictObject({ grace_period_hours: z.number().min(0).max(24 * 30).optional() });

/** Schema-qualified tables, one entry per table (operations merged), "*" absorbing the rest. */
export function normalizeEvents(events: { table: string; operations: Operation[] }[]): EventSpec[] {
  const byTable = new Map<string, Set<Operation>>();
  for (const e of events) {
    const table = e.table.includes('.') ? e.table : `public.${e.table}`;
    const set = byTable.get(table) ?? new Set<Operation>();
    for (const op of e.operations) set.add(op);
    byTable.set(table, set);
  }
  return [...byTable].map(([table, ops]) => ({ table, operations: ops.has('*') ? ['*'] : OPERATIONS.filter((o) => ops.has(o)) }));
}
