// What the job routes accept (API.md §11.2): zod schemas of a submit, a job function deploy
// (and its update and sync) and the list query. Unknown fields are refused so a typo is not
// silently ignored; every bound names itself in the error.
import { z } from 'zod';
import { field, LIMITS } from '../http/index.ts';
import { Cron } from 'croner';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const NAME_RULE = 'must be 1-128 letters, digits, "_", "-" or ".", starting with a letter or digit';
export const jobName = z.string().regex(NAME, NAME_RULE);
/** A submitted payload's serialised size limit (the request body limit applies first). */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** A job function's source (bundled), as for edge functions. */
const MAX_CODE_CHARS = 10 * 1024 * 1024;
/** The most a job may wait to start, and its longest timeout. */
const MAX_DELAY_DAYS = 366;
const MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** Clocks differ: a scheduled_at this far in the past still means "now". */
export const PAST_TOLERANCE_MS = 60_000;

const timestamp = z.string().max(64).refine((v) => /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v) && Number.isFinite(Date.parse(v)),
  'must be an RFC 3339 timestamp such as 2026-12-07T10:00:00Z');

export const SubmitBody = z.strictObject({
  job_name: jobName,
  namespace: jobName.optional(),
  payload: z.preprocess((v) => (v === null ? undefined : v), z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }).optional())
    .refine((v) => v === undefined || Buffer.byteLength(JSON.stringify(v)) <= MAX_PAYLOAD_BYTES, `must be at most ${MAX_PAYLOAD_BYTES / 1024} KB serialised`),
  priority: z.number().int().min(0).max(1000).optional(),
  scheduled_at: timestamp.optional(),
  /** The upstream SDK's spelling of scheduled_at. */
  scheduled: timestamp.optional(),
  max_retries: z.number().int().min(0).max(100).optional(),
  timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).optional(),
  on_behalf_of: z.object({ user_id: z.uuid({ error: 'must be a user id (UUID)' }), user_email: z.string().optional(), user_role: z.string().optional() }).optional(),
}).refine((b) => !(b.scheduled_at !== undefined && b.scheduled !== undefined), { message: 'give scheduled_at or scheduled, not both', path: ['scheduled'] });
export type SubmitInput = z.output<typeof SubmitBody>;

export const MAX_SCHEDULE_DELAY_MS = MAX_DELAY_DAYS * 24 * 3600_000;

const cron = z.string().min(1).max(256).refine((v) => {
  try {
    new Cron(v, { paused: true });
    return true;
  } catch {
    return false;
  }
}, 'must be a cron expression of 5 or 6 fields (e.g. "*/5 * * * *") or a nickname such as @daily');

export const FunctionFields = {
  code: z.string().min(1, "must not be empty").max(MAX_CODE_CHARS),
  description: field.optionalText(LIMITS.text),
  enabled: z.boolean().optional(),
  schedule: z.preprocess((v) => (v === '' ? null : v), cron.nullable().optional()),
  max_retries: z.number().int().min(0).max(100).optional(),
  timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).optional(),
  progress_timeout_seconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).nullable().optional(),
  memory_limit_mb: z.number().int().min(16).max(16_384).optional(),
  allow_net: z.boolean().optional(),
  allow_env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be environment variable names')).max(100).optional(),
  allow_read: z.boolean().optional(),
  allow_write: z.boolean().optional(),
  require_roles: z.array(z.string().min(1).max(64)).max(20).nullable().optional(),
};

export const DeployBody = z.strictObject({ name: jobName, namespace: jobName.optional(), ...FunctionFields });
export type DeployInput = z.output<typeof DeployBody>;

export const UpdateBody = z.strictObject({ ...FunctionFields, code: FunctionFields.code.optional() });
export type UpdateInput = z.output<typeof UpdateBody>;

export const SyncBody = z.strictObject({
  namespace: jobName.optional(),
  jobs: z.array(z.strictObject({ name: jobName, ...FunctionFields, original_code: z.string().optional(), is_bundled: z.boolean().optional() })).max(1000),
  options: z.strictObject({ delete_missing: z.boolean().optional(), dry_run: z.boolean().optional() }).optional(),
});
export type SyncInput = z.output<typeof SyncBody>;

export const STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;

export const ListQuery = z.object({
  status: z.preprocess((v) => (v === '' ? undefined : v), z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }).optional()),
  job_name: field.param(128),
  namespace: field.param(128),
  include_result: field.queryFlag(),
  limit: field.intParam(1, 1000, 50),
  offset: field.intParam(0, 1_000_000, 0),
});

export const LogsQuery = z.object({
  after_line: field.intParam(0, 1_000_000_000, 0),
  after: field.intParam(0, 1_000_000_000, 0),
  limit: field.intParam(1, 10_000, 1_000),
});
