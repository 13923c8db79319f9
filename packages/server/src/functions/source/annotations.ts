// `// @fluxbase:<key> <value>` annotations in a function's source (API.md §11.1): the same
// Deploy fields a client can send, written next to the code. Explicit fields of a request
// win over annotations; that merge is the caller's, this module only reads the source.
//
// Rules (upstream's loader reads them the same way: every line of the file, not only the
// leading comment, first token after `@fluxbase:` is the key):
// - a line counts when, trimmed, it starts with `//`, `/*` or `*` (inside a block comment)
//   followed by `@fluxbase:`; a trailing `*/` is dropped. `@fluxbase:` later in a line
//   (after code or other words) is not an annotation;
// - keys are case-insensitive and `-` equals `_`, so upstream's `allow-unauthenticated`,
//   `cors-origins` and API.md's `allow_unauthenticated` all work. Upstream's short names
//   are aliases: `timeout`, `memory`, `schedule`, and `rate-limit <n>/<min|hour|day>`;
// - booleans are `true`/`false`; the key alone means true (`// @fluxbase:allow_net`);
// - lists (allow_net_hosts, cors_origins, cors_methods, cors_headers) are comma-separated
//   and become string arrays; allow_env is a boolean or a list of variable names;
// - a field given twice is an error (upstream silently keeps the first);
// - `public`, `disable-execution-logs` and `disable-logs` (upstream listing and logging
//   switches with no field here) are ignored with a warning, so upstream files still load.
// Nothing throws: each problem is one entry in `errors`, naming the line and the fix.
import { closestName } from '../../query/index.ts';

/** The Deploy fields an annotation can set (API.md §11.1); absent when not annotated. */
export type AnnotationFields = {
  description?: string;
  enabled?: boolean;
  timeout_seconds?: number;
  memory_limit_mb?: number;
  allow_net?: boolean;
  allow_net_hosts?: string[];
  /** true/false, or the names of the environment variables the function may read. */
  allow_env?: boolean | string[];
  allow_read?: boolean;
  allow_write?: boolean;
  allow_unauthenticated?: boolean;
  cors_origins?: string[];
  cors_methods?: string[];
  cors_headers?: string[];
  cors_credentials?: boolean;
  cors_max_age?: number;
  rate_limit_per_minute?: number;
  rate_limit_per_hour?: number;
  rate_limit_per_day?: number;
  cron_schedule?: string;
  namespace?: string;
  /** Job functions only (docs/jobs.md "Annotations"): an edge function ignores them. */
  max_retries?: number;
  progress_timeout_seconds?: number;
  require_roles?: string[];
};

/** The annotations that only job functions use (the functions loader drops them). */
export const JOB_ONLY_FIELDS = ['max_retries', 'progress_timeout_seconds', 'require_roles'] as const;

export type AnnotationField = keyof AnnotationFields;

export interface ParsedAnnotations {
  fields: AnnotationFields;
  /** `line N: …` with the fix; a source with errors should not be deployed. */
  errors: string[];
  /** Recognised upstream annotations that have no effect here. */
  warnings: string[];
}

type Kind = 'text' | 'bool' | 'positive' | 'nonnegative' | 'list' | 'env' | 'cron' | 'namespace';

const FIELDS: Record<AnnotationField, Kind> = {
  description: 'text',
  enabled: 'bool',
  timeout_seconds: 'positive',
  memory_limit_mb: 'positive',
  allow_net: 'bool',
  allow_net_hosts: 'list',
  allow_env: 'env',
  allow_read: 'bool',
  allow_write: 'bool',
  allow_unauthenticated: 'bool',
  cors_origins: 'list',
  cors_methods: 'list',
  cors_headers: 'list',
  cors_credentials: 'bool',
  cors_max_age: 'nonnegative',
  rate_limit_per_minute: 'positive',
  rate_limit_per_hour: 'positive',
  rate_limit_per_day: 'positive',
  cron_schedule: 'cron',
  namespace: 'namespace',
  max_retries: 'nonnegative',
  progress_timeout_seconds: 'positive',
  require_roles: 'list',
};

/** Upstream's short names. */
const ALIASES: Record<string, AnnotationField> = {
  timeout: 'timeout_seconds', memory: 'memory_limit_mb', schedule: 'cron_schedule',
  progress_timeout: 'progress_timeout_seconds', require_role: 'require_roles',
};

/** Upstream switches without a Deploy field here: accepted and ignored. */
const IGNORED: Record<string, string> = {
  public: 'function listing visibility is not configurable here; for invocation without a credential use @fluxbase:allow_unauthenticated',
  disable_execution_logs: 'executions are always recorded here',
  disable_logs: 'executions are always recorded here',
};

/** Deploy fields that describe the request, not the function. */
const NOT_ANNOTATIONS: Record<string, string> = {
  name: 'the name comes from the file or folder name',
  code: 'the code is the file itself',
  is_bundled: 'the deploy tool sets it when it bundles the code',
};

const RATE_UNITS: Record<string, AnnotationField> = {
  min: 'rate_limit_per_minute', minute: 'rate_limit_per_minute',
  hour: 'rate_limit_per_hour', hr: 'rate_limit_per_hour',
  day: 'rate_limit_per_day',
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NAMESPACE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** The annotation text of a comment line (after `@fluxbase:`), or undefined for any other line. */
function annotationText(line: string): string | undefined {
  const m = /^(?:\/\/+|\/\*+|\*)\s*@fluxbase:(.*)$/.exec(line.trim());
  if (!m) return undefined;
  return m[1]!.replace(/\*\/\s*$/, '').trimEnd();
}

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return m ? m[2]! : value;
}

function splitList(value: string): string[] | undefined {
  const items = unquote(value).split(',').map((s) => s.trim());
  return items.some((s) => s === '') ? undefined : items;
}

function parseBool(value: string): boolean | undefined {
  if (value === '') return true;
  const v = value.toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : undefined;
}

function parseValue(field: AnnotationField, kind: Kind, value: string): Parsed {
  const example = (v: string) => `e.g. // @fluxbase:${field} ${v}`;
  switch (kind) {
    case 'bool': {
      const b = parseBool(value);
      if (b !== undefined) return { ok: true, value: b };
      const hint = field === 'allow_net' && /[.:]/.test(value) ? '; to allow only some hosts use // @fluxbase:allow_net_hosts <host,host>' : '';
      return { ok: false, error: `takes true or false, or nothing for true (got "${value}")${hint}` };
    }
    case 'positive':
    case 'nonnegative': {
      const n = Number(value);
      const min = kind === 'positive' ? 1 : 0;
      if (/^\d+$/.test(value) && Number.isSafeInteger(n) && n >= min) return { ok: true, value: n };
      const what = kind === 'positive' ? 'a whole number above 0' : 'a whole number (0 or more)';
      return { ok: false, error: `takes ${what} (got "${value}"), ${example(field === 'memory_limit_mb' ? '256' : '30')}` };
    }
    case 'list': {
      const items = value === '' ? undefined : splitList(value);
      return items ? { ok: true, value: items } : { ok: false, error: `takes a comma-separated list without empty entries (got "${value}"), ${example('a,b')}` };
    }
    case 'env': {
      const b = parseBool(value);
      if (b !== undefined) return { ok: true, value: b };
      const names = splitList(value);
      const bad = names?.find((n) => !ENV_NAME.test(n));
      if (names && bad === undefined) return { ok: true, value: names };
      return { ok: false, error: `takes true, false or a comma-separated list of variable names (got "${value}"${bad ? `; "${bad}" is not a variable name` : ''}), ${example('API_TOKEN,REGION')}` };
    }
    case 'cron': {
      const v = unquote(value).trim();
      const fields = v.split(/\s+/).length;
      if (v.startsWith('@') ? /^@\w+/.test(v) : fields === 5 || fields === 6) return { ok: true, value: v };
      return { ok: false, error: `takes a cron expression of 5 or 6 fields (got "${value}"), ${example('*/5 * * * *')}` };
    }
    case 'namespace': {
      const v = unquote(value);
      if (NAMESPACE.test(v)) return { ok: true, value: v };
      return { ok: false, error: `takes a namespace of lowercase letters, digits, - and _ (got "${value}"), ${example('billing')}` };
    }
    case 'text': {
      const v = unquote(value);
      return v === '' ? { ok: false, error: `needs a value, ${example('Sends the weekly digest')}` } : { ok: true, value: v };
    }
  }
}

/** `rate-limit 100/min` → rate_limit_per_minute = 100. */
function parseRateLimit(value: string): { field: AnnotationField; value: number } | string {
  const m = /^(\d+)\s*\/\s*([a-z]+)$/i.exec(value);
  const field = m ? RATE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m ? Number(m[1]) : 0;
  if (!field || !Number.isSafeInteger(n) || n < 1) {
    return `takes <count>/<min|hour|day> (got "${value}"), e.g. // @fluxbase:rate-limit 100/min, or use @fluxbase:rate_limit_per_minute 100`;
  }
  return { field, value: n };
}

function unknownKey(key: string): string {
  const known = [...Object.keys(FIELDS), ...Object.keys(ALIASES), 'rate_limit'];
  const near = closestName(key, known);
  return near ? `unknown annotation @fluxbase:${key}; did you mean @fluxbase:${near}?` : `unknown annotation @fluxbase:${key}; known keys: ${Object.keys(FIELDS).join(', ')}`;
}

/** Reads every `@fluxbase:` comment line of `code` into Deploy fields; never throws. */
export function parseAnnotations(code: string): ParsedAnnotations {
  const fields: Record<string, unknown> = {};
  const seenOn = new Map<AnnotationField, number>();
  const errors: string[] = [];
  const warnings: string[] = [];
  const lines = code.split(/\r?\n/);

  for (let i = 0; i < lines.length; i++) {
    const text = annotationText(lines[i]!);
    if (text === undefined) continue;
    const lineNo = i + 1;
    const at = (msg: string) => `line ${lineNo}: ${msg}`;
    // `@fluxbase: timeout 3` (a space after the colon) has no key: do not guess one.
    const space = text.search(/\s/);
    const rawKey = space < 0 ? text : text.slice(0, space);
    const value = space < 0 ? '' : text.slice(space).trim();
    const key = rawKey.toLowerCase().replace(/-/g, '_');
    if (key === '') {
      errors.push(at('@fluxbase: without a key; write // @fluxbase:<key> <value>, e.g. // @fluxbase:timeout_seconds 30'));
      continue;
    }
    if (IGNORED[key] !== undefined) {
      warnings.push(at(`@fluxbase:${rawKey} is ignored: ${IGNORED[key]}`));
      continue;
    }
    if (NOT_ANNOTATIONS[key] !== undefined) {
      errors.push(at(`@fluxbase:${rawKey} cannot be an annotation (${NOT_ANNOTATIONS[key]}); remove the line`));
      continue;
    }

    let field: AnnotationField;
    let parsed: Parsed;
    if (key === 'rate_limit') {
      const r = parseRateLimit(value);
      if (typeof r === 'string') {
        errors.push(at(`@fluxbase:${rawKey} ${r}`));
        continue;
      }
      field = r.field;
      parsed = { ok: true, value: r.value };
    } else {
      const f = (key in FIELDS ? key : ALIASES[key]) as AnnotationField | undefined;
      if (f === undefined) {
        errors.push(at(unknownKey(key)));
        continue;
      }
      field = f;
      parsed = parseValue(field, FIELDS[field], value);
    }

    const first = seenOn.get(field);
    if (first !== undefined) {
      errors.push(at(`@fluxbase:${rawKey} sets ${field} again (first set on line ${first}); keep one of the two lines`));
      continue;
    }
    seenOn.set(field, lineNo);
    if (!parsed.ok) {
      errors.push(at(`@fluxbase:${rawKey} ${parsed.error}`));
      continue;
    }
    fields[field] = parsed.value;
  }
  return { fields: fields as AnnotationFields, errors, warnings };
}
