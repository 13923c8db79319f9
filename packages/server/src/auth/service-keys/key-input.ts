// Validation of the service-key admin request bodies and path ids (docs/auth.md "Service
// keys"). Every field is checked by type and range; field problems are gathered into one
// 400 VALIDATION_FAILED with `details.fields`, an absent required field is
// MISSING_REQUIRED_FIELD. Unknown fields are ignored.
import { AppError } from '../../http/index.ts';

/** The only scopes a stored key may hold (docs/auth.md "Scopes"). */
export const SCOPES: readonly string[] = [
  'read:tables', 'write:tables', 'read:storage', 'write:storage', 'read:functions', 'execute:functions',
  'read:auth', 'write:auth', 'read:webhooks', 'write:webhooks', 'read:monitoring', 'realtime:connect',
  'realtime:broadcast', 'read:rpc', 'execute:rpc', 'read:jobs', 'write:jobs', 'read:secrets', 'write:secrets', '*',
];
const SCOPE_SET = new Set(SCOPES);

export const DEFAULT_GRACE_HOURS = 24;
export const MAX_GRACE_HOURS = 720;
const MAX_NAME = 200;
const MAX_TEXT = 1000;
const MAX_RATE = 1_000_000_000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export interface CreateInput {
  name: string;
  description: string | null;
  scopes: string[];
  rateLimitPerMinute: number | null;
  rateLimitPerHour: number | null;
  expiresAt: Date | null;
}

export interface PatchInput {
  name?: string;
  description?: string | null;
  scopes?: string[];
  enabled?: boolean;
  rateLimitPerMinute?: number | null;
  rateLimitPerHour?: number | null;
}

export interface DeprecateInput {
  reason: string;
  graceHours: number;
}

export interface RotateInput {
  graceHours: number;
  newName: string | undefined;
  newScopes: string[] | undefined;
}

type Body = Record<string, unknown>;

/** Collects field errors; `done()` throws them together. */
class Fields {
  readonly errors: Record<string, string> = {};
  constructor(readonly body: Body) {}

  has(name: string): boolean {
    return this.body[name] !== undefined;
  }

  required(name: string): void {
    if (this.body[name] === undefined || this.body[name] === null) {
      throw new AppError('MISSING_REQUIRED_FIELD', { message: `"${name}" is required`, details: { field: name } });
    }
  }

  text(name: string, max: number, allowNull: boolean): string | null | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (v === null && allowNull) return null;
    if (typeof v !== 'string') return this.fail(name, 'must be a string');
    const t = v.trim();
    if (t.length === 0) return this.fail(name, 'must not be empty');
    if (t.length > max) return this.fail(name, `must be at most ${max} characters`);
    return t;
  }

  scopes(name: string): string[] | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length === 0 || v.some((s) => typeof s !== 'string')) {
      return this.fail(name, 'must be a non-empty array of scope names');
    }
    const unknown = (v as string[]).filter((s) => !SCOPE_SET.has(s));
    if (unknown.length > 0) return this.fail(name, `unknown scope(s) ${unknown.map((s) => JSON.stringify(s)).join(', ')}; allowed: ${SCOPES.join(', ')}`);
    return [...new Set(v as string[])];
  }

  rate(name: string): number | null | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_RATE) return this.fail(name, `must be a positive integer (at most ${MAX_RATE}) or null`);
    return v;
  }

  graceHours(name: string): number {
    const v = this.body[name];
    if (v === undefined || v === null) return DEFAULT_GRACE_HOURS;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_GRACE_HOURS) {
      this.fail(name, `must be an integer from 0 to ${MAX_GRACE_HOURS}`);
      return DEFAULT_GRACE_HOURS;
    }
    return v;
  }

  futureTime(name: string): Date | null | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v !== 'string' || !RFC3339_RE.test(v) || !Number.isFinite(Date.parse(v))) return this.fail(name, 'must be an RFC 3339 time with an offset, e.g. 2030-01-01T00:00:00Z');
    const d = new Date(v);
    if (d.getTime() <= Date.now()) return this.fail(name, 'must be in the future');
    return d;
  }

  boolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return this.fail(name, 'must be true or false');
    return v;
  }

  fail(name: string, message: string): undefined {
    this.errors[name] = message;
    return undefined;
  }

  done(): void {
    if (Object.keys(this.errors).length > 0) {
      throw new AppError('VALIDATION_FAILED', { message: `Invalid ${Object.keys(this.errors).join(', ')}`, details: { fields: this.errors } });
    }
  }
}

function objectBody(body: unknown, optional: boolean): Body {
  if (body === undefined || body === null) {
    if (optional) return {};
    throw new AppError('INVALID_REQUEST_BODY', { message: 'Send a JSON object body' });
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('INVALID_REQUEST_BODY', { message: 'The request body must be a JSON object' });
  return body as Body;
}

export function parseKeyId(value: unknown): string {
  if (typeof value !== 'string' || !UUID_RE.test(value)) {
    throw new AppError('INVALID_ID', { message: 'The service key id must be a UUID', details: { id: String(value).slice(0, 64) } });
  }
  return value.toLowerCase();
}

export function parseCreate(body: unknown): CreateInput {
  const f = new Fields(objectBody(body, false));
  f.required('name');
  const input = {
    name: f.text('name', MAX_NAME, false),
    description: f.text('description', MAX_TEXT, true) ?? null,
    scopes: f.scopes('scopes') ?? ['*'],
    rateLimitPerMinute: f.rate('rate_limit_per_minute') ?? null,
    rateLimitPerHour: f.rate('rate_limit_per_hour') ?? null,
    expiresAt: f.futureTime('expires_at') ?? null,
  };
  f.done();
  return { ...input, name: input.name! };
}

export function parsePatch(body: unknown): PatchInput {
  const f = new Fields(objectBody(body, false));
  const input: PatchInput = {};
  const name = f.text('name', MAX_NAME, false);
  if (name) input.name = name;
  const description = f.text('description', MAX_TEXT, true);
  if (description !== undefined) input.description = description;
  const scopes = f.scopes('scopes');
  if (scopes) input.scopes = scopes;
  const enabled = f.boolean('enabled');
  if (enabled !== undefined) input.enabled = enabled;
  const perMinute = f.rate('rate_limit_per_minute');
  if (perMinute !== undefined) input.rateLimitPerMinute = perMinute;
  const perHour = f.rate('rate_limit_per_hour');
  if (perHour !== undefined) input.rateLimitPerHour = perHour;
  f.done();
  if (Object.keys(input).length === 0) {
    throw new AppError('VALIDATION_FAILED', {
      message: 'Nothing to update: send at least one of name, description, scopes, enabled, rate_limit_per_minute, rate_limit_per_hour',
      details: { fields: {} },
    });
  }
  return input;
}

/** `{reason*}` of key revocation and service-role JWT revocation. */
export function parseReason(body: unknown): string {
  const f = new Fields(objectBody(body, false));
  f.required('reason');
  const reason = f.text('reason', MAX_TEXT, false);
  f.done();
  return reason!;
}

export function parseDeprecate(body: unknown): DeprecateInput {
  const f = new Fields(objectBody(body, true));
  const reason = f.text('reason', MAX_TEXT, false) ?? 'Key rotation';
  const graceHours = f.graceHours('grace_period_hours');
  f.done();
  return { reason, graceHours };
}

export function parseRotate(body: unknown): RotateInput {
  const f = new Fields(objectBody(body, true));
  const newName = f.text('new_key_name', MAX_NAME, false) ?? undefined;
  const newScopes = f.scopes('new_scopes');
  const graceHours = f.graceHours('grace_period_hours');
  f.done();
  return { graceHours, newName, newScopes };
}
