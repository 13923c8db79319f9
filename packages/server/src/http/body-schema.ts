// Route input checked by zod schemas and answered in the error envelope (docs/errors.md).
// Each route declares a schema for its body, query or params; `parseInput` runs it and
// turns the first problem into the same AppError everywhere: a body that is no JSON object
// is INVALID_REQUEST_BODY, an absent field MISSING_REQUIRED_FIELD, a field of the wrong
// type, size or form VALIDATION_FAILED naming it (`columns[0].name`). `field` builds the
// common fields with the one set of limits in `LIMITS`; a route that needs another bound
// says so.
import { z } from 'zod';
import { AppError } from './errors/index.ts';

/**
 * Default bounds of string and object fields (characters, unless stated). A route that
 * needs a tighter (or, for a provider's value, looser) bound passes it to the builder.
 */
export const LIMITS = {
  /** Ordinary strings: descriptions, labels, scope lists, form fields. */
  text: 4096,
  /** URLs: redirect targets. */
  url: 2048,
  /** Opaque tokens: refresh tokens, emailed link tokens, challenge tokens, nonces. */
  token: 2048,
  /** Short codes a person types: email OTP, TOTP and recovery codes, reauthentication nonces. */
  code: 64,
  /** Names that end up as identifiers: OAuth provider names, user roles (PostgreSQL's 63). */
  name: 63,
  /** Email addresses, after normalisation (RFC 5321 path limit). */
  email: 254,
  /** Metadata objects (`user_metadata`, `app_metadata`), serialised as JSON, in bytes. */
  metadataBytes: 16 * 1024,
} as const;

export type InputWhere = 'body' | 'query' | 'params';

/**
 * The code of a field of the wrong type: VALIDATION_FAILED (`details.fields`), or
 * INVALID_REQUEST_BODY (`details.field`) for routes whose wrong shapes have always been
 * that (the admin DDL and schema routes: docs/errors.md "Codes you will meet now").
 */
export type FieldErrorCode = 'VALIDATION_FAILED' | 'INVALID_REQUEST_BODY';

/** 400 VALIDATION_FAILED naming the field: `<field> <problem>`, `details.fields[field]`. */
export function invalidField(field: string, problem: string): AppError {
  return new AppError('VALIDATION_FAILED', { message: `${field} ${problem}`, details: { fields: { [field]: problem } } });
}

/** 400 MISSING_REQUIRED_FIELD: `<field> is required`, `details.field`. */
export function missingField(field: string): AppError {
  return new AppError('MISSING_REQUIRED_FIELD', { message: `${field} is required`, details: { field } });
}

/**
 * The parsed input, typed by the schema, or the AppError for its first problem (an
 * unknown field first: a typo explains what follows from it). A JSON `null` body reads
 * as no body.
 */
export function parseInput<S extends z.ZodType>(
  schema: S, value: unknown, where: InputWhere = 'body', fieldCode: FieldErrorCode = 'VALIDATION_FAILED',
): z.output<S> {
  const input = where === 'body' && value === null ? undefined : value;
  const result = schema.safeParse(input, { error: problemOf, reportInput: true });
  if (result.success) return result.data;
  throw toAppError(firstIssue(result.error.issues), where, fieldCode);
}

/** A body that may be left out: absent reads as `{}`, so its required fields report themselves. */
export function optionalBody<S extends z.ZodObject>(schema: S) {
  return schema.prefault({} as z.input<S>);
}

// ---- field builders ----

const nullToAbsent = (v: unknown) => (v === null ? undefined : v);
const blankToAbsent = (v: unknown) => (v === null || v === '' ? undefined : v);
/** A repeated query parameter arrives as an array. */
const givenOnce = (issue: { input?: unknown }) => (Array.isArray(issue.input) ? 'must be given once' : undefined);

const PLAIN_OBJECT = 'must be a JSON object';

export const field = {
  /** A required string: absent, null and '' are all "is required". */
  text: (max: number = LIMITS.text) => z.preprocess(blankToAbsent, z.string().max(max)),
  /** An optional string: absent or null is undefined; '' is kept (the route decides what it means). */
  optionalText: (max: number = LIMITS.text) => z.preprocess(nullToAbsent, z.string().max(max).optional()),
  /** An optional parameter (query or form): absent, null and '' are undefined; repeated is refused. */
  param: (max: number = LIMITS.text) => z.preprocess(blankToAbsent, z.string({ error: givenOnce }).max(max).optional()),
  /** A required parameter: absent, null and '' are "is required"; repeated is refused. */
  requiredParam: (max: number = LIMITS.text) => z.preprocess(blankToAbsent, z.string({ error: givenOnce }).max(max)),
  /** An optional boolean (null is absent). */
  flag: () => z.preprocess(nullToAbsent, z.boolean().optional()),
  /** A query flag: `true`/`1` or `false`/`0`; absent or '' is false. */
  queryFlag: () =>
    z.preprocess(blankToAbsent, z.enum(['true', '1', 'false', '0'], { error: (i) => givenOnce(i) ?? 'must be true or false' }).optional())
      .transform((v) => v === 'true' || v === '1'),
  /** An optional nested object of the given shape (null is absent; unknown keys dropped). */
  object: <T extends z.core.$ZodLooseShape>(shape: T) => z.preprocess(nullToAbsent, z.object(shape, { error: PLAIN_OBJECT }).optional()),
  /** An optional metadata object: any JSON object of at most LIMITS.metadataBytes serialised (null is absent). */
  metadata: () => z.preprocess(nullToAbsent, z.record(z.string(), z.unknown())
    .refine((v) => Buffer.byteLength(JSON.stringify(v)) <= LIMITS.metadataBytes, `must be at most ${LIMITS.metadataBytes / 1024} KB`)
    .optional()),
  /** An optional integer query parameter in [min, max] (absent or '' gives `fallback`); malformed is INVALID_FORMAT. */
  intParam: (min: number, max: number, fallback: number) => z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === '') return fallback;
    const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
    if (n >= min && n <= max) return n;
    ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}`, params: { code: 'INVALID_FORMAT' }, input: v });
    return z.NEVER;
  }),
};

// ---- issues to errors ----

const TYPE_PROBLEMS: Record<string, string> = {
  string: 'must be a string', boolean: 'must be true or false', object: PLAIN_OBJECT, record: PLAIN_OBJECT,
  array: 'must be an array', number: 'must be a number', int: 'must be an integer', bigint: 'must be an integer',
};

function sizeProblem(bound: 'at most' | 'at least', origin: string, size: number | bigint): string {
  if (origin === 'string') return `must be ${bound} ${size} characters`;
  if (origin === 'array' || origin === 'set') return `must have ${bound} ${size} items`;
  return `must be ${bound} ${size}`;
}

/** The problem text of an issue (`<field> <problem>`), unless the schema gave its own. */
function problemOf(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type': return TYPE_PROBLEMS[issue.expected] ?? `must be of type ${issue.expected}`;
    case 'too_big': return sizeProblem('at most', issue.origin, issue.maximum);
    case 'too_small':
      return Number(issue.minimum) === 1 && (issue.origin === 'string' || issue.origin === 'array')
        ? 'must not be empty' : sizeProblem('at least', issue.origin, issue.minimum);
    case 'invalid_value': return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'invalid_format': return issue.format === 'regex' ? 'is not in the expected format' : `must be a valid ${issue.format}`;
    case 'unrecognized_keys': return expectedKeys(issue.inst);
    default: return 'is not valid';
  }
}

/** The fields an object schema declares, for "Unknown field … expected a, b". */
function expectedKeys(inst: unknown): string {
  return inst instanceof z.ZodObject ? Object.keys(inst.shape).join(', ') : 'none';
}

function firstIssue(issues: z.core.$ZodIssue[]): z.core.$ZodIssue {
  const unknown = issues.filter((i) => i.code === 'unrecognized_keys').sort((a, b) => a.path.length - b.path.length);
  return unknown[0] ?? issues[0]!;
}

/** `['columns', 0, 'name']` → `columns[0].name`. */
export function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}

function toAppError(issue: z.core.$ZodIssue, where: InputWhere, fieldCode: FieldErrorCode): AppError {
  const path = pathText(issue.path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => `"${k}"`).join(', ');
    const message = `Unknown field${issue.keys.length > 1 ? 's' : ''} ${names} in ${path || where}; expected ${issue.message}`;
    if (fieldCode === 'INVALID_REQUEST_BODY') return new AppError('INVALID_REQUEST_BODY', { message, details: { field: issue.keys[0] } });
    const prefix = path === '' ? '' : `${path}.`;
    return new AppError('VALIDATION_FAILED', { message, details: { fields: Object.fromEntries(issue.keys.map((k) => [`${prefix}${k}`, 'unknown field'])) } });
  }
  if (path === '' && issue.code === 'invalid_type') {
    const absent = input === undefined;
    return new AppError('INVALID_REQUEST_BODY', { message: absent && where === 'body' ? 'Send a JSON object body' : `The ${where} must be a JSON object` });
  }
  const name = path || where;
  if (input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
    return missingField(name);
  }
  if (issue.code === 'custom' && issue.params?.code === 'INVALID_FORMAT') {
    return new AppError('INVALID_FORMAT', { message: `${name} ${issue.message}`, details: { parameter: name } });
  }
  if (fieldCode === 'INVALID_REQUEST_BODY') return new AppError('INVALID_REQUEST_BODY', { message: `${name} ${issue.message}`, details: { field: name } });
  return invalidField(name, issue.message);
}
