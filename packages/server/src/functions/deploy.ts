// What a deploy says (API.md §11.1 "Deploy"; docs/functions.md "Settings"): the zod schema
// of a function's fields, shared by the API routes, sync, the functions folder and the CLI,
// and the merge of `// @fluxbase:` annotations under explicit fields. Unknown fields are
// refused so a typo (`timeout` for `timeout_seconds`) is not silently ignored.
import { z } from 'zod';
import { field, LIMITS } from '../http/index.ts';

/** Function and namespace names: a URL path segment, lower case so two names never differ only by case. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const NAME_RULE = 'must be 1-63 lower-case letters, digits, "-" or "_", starting with a letter or digit';
/** Largest accepted source, bundled or not (the admin body limit is 5 MB). */
export const MAX_CODE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_NAMESPACE = 'default';

const nullToAbsent = (v: unknown) => (v === null ? undefined : v);
const name = z.string().regex(NAME_PATTERN, NAME_RULE);
const positiveInt = (max: number) => z.preprocess(nullToAbsent, z.number().int().min(1).max(max).optional());
const list = (max: number, itemMax: number = LIMITS.text) => z.preprocess(nullToAbsent, z.array(z.string().min(1).max(itemMax)).max(max).optional());
/** A host, host:port or *.domain, as Deno's --allow-net takes them. */
const host = z.string().min(1).max(LIMITS.url).regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/, 'must be a host name or address, optionally with :port (e.g. api.stripe.com, *.example.com, 10.0.0.5:8080)');
/** Environment variable names passed through from the server's environment. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name (letters, digits, _)');

/** The settings of a function (everything but its name, namespace and code). */
export const SettingsShape = {
  description: field.optionalText(LIMITS.text),
  enabled: field.flag(),
  is_bundled: field.flag(),
  timeout_seconds: positiveInt(24 * 3600),
  memory_limit_mb: positiveInt(65_536),
  allow_net: field.flag(),
  allow_net_hosts: z.preprocess(nullToAbsent, z.array(host).max(256).optional()),
  allow_env: z.preprocess(nullToAbsent, z.union([z.boolean(), z.array(envName).max(256)], { error: 'must be true, false or a list of variable names' }).optional()),
  allow_read: field.flag(),
  allow_write: field.flag(),
  allow_unauthenticated: field.flag(),
  cors_origins: list(256, LIMITS.url),
  cors_methods: z.preprocess(nullToAbsent, z.array(z.string().regex(/^[A-Za-z]{1,16}$/, 'must be an HTTP method')).max(16).optional()),
  cors_headers: list(256, 256),
  cors_credentials: field.flag(),
  cors_max_age: z.preprocess(nullToAbsent, z.number().int().min(0).max(86_400 * 7).optional()),
  rate_limit_per_minute: positiveInt(1_000_000_000),
  rate_limit_per_hour: positiveInt(1_000_000_000),
  rate_limit_per_day: positiveInt(1_000_000_000),
  cron_schedule: field.optionalText(256),
};

const code = z.string().max(MAX_CODE_BYTES, `must be at most ${MAX_CODE_BYTES / 1024 / 1024} MB (bundle fewer dependencies or load them by URL)`);

/** POST /api/v1/functions and each entry of a sync. */
export const DeployBody = z.strictObject({
  name,
  code,
  namespace: z.preprocess(nullToAbsent, name.optional()),
  ...SettingsShape,
});
export type Deploy = z.output<typeof DeployBody>;

/** PUT/PATCH /api/v1/functions/:name: any field; a new `code` makes a new version, as does any setting. */
export const UpdateBody = z.strictObject({
  code: code.optional(),
  ...SettingsShape,
});
export type Update = z.output<typeof UpdateBody>;

export type Settings = Omit<Deploy, 'name' | 'code' | 'namespace'>;
export const SETTING_KEYS = Object.keys(SettingsShape) as (keyof Settings)[];

/** Explicit fields win over annotations (API.md §11.1); absent explicit fields leave the annotation. */
export function withAnnotations<T extends Record<string, unknown>>(explicit: T, annotations: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(annotations)) if ((SETTING_KEYS as string[]).includes(k) || k === 'namespace') out[k] = v;
  for (const [k, v] of Object.entries(explicit)) if (v !== undefined) out[k] = v;
  return out as T;
}
