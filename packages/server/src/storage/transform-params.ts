// Image transform parameters (API.md §10 "Transforms"): the query string of a download
// (`width|w`, `height|h`, `format|fmt`, `quality|q`, `fit`) or the `transform` object of a
// sign request, parsed into one canonical TransformSpec. Canonical means equal outputs have
// equal specs: sizes rounded up to 50 px, quality filled in, `fit` kept only when both sizes
// are given (with one size sharp keeps the aspect ratio whatever the fit). The spec is both
// the transformer's cache key and the transform a signed URL carries.

export const OUTPUT_FORMATS = ['webp', 'jpeg', 'png', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export type Fit = (typeof FITS)[number];

/** Requested sizes round up to a multiple of this many pixels (API.md: "sizes round to 50 px"). */
export const SIZE_STEP = 50;

/** Sanity ceiling for a size inside a signed grant, whatever the configuration says. */
const SIZE_CEILING = 65_535;

export interface TransformSpec {
  width?: number;
  height?: number;
  /** Absent: keep the input's format (gif and tiff inputs become png). */
  format?: OutputFormat;
  quality: number;
  /** Present exactly when width and height both are. */
  fit?: Fit;
}

/** The configured bounds, from `storage.transforms.*`. */
export interface TransformLimits {
  /** `storage.transforms.max_width` (default 4096). A larger requested width is a 400. */
  maxWidth: number;
  /** `storage.transforms.max_height` (default 4096). A larger requested height is a 400. */
  maxHeight: number;
  /** `storage.transforms.default_quality` (default 80), used when `quality` is absent. */
  defaultQuality: number;
}

export type TransformParse =
  | { ok: true; spec: TransformSpec | undefined }
  | { ok: false; field: string; message: string };

type FieldName = 'width' | 'height' | 'format' | 'quality' | 'fit';

/** Query names, long name first. */
const QUERY_NAMES: Record<FieldName, readonly string[]> = {
  width: ['width', 'w'],
  height: ['height', 'h'],
  format: ['format', 'fmt'],
  quality: ['quality', 'q'],
  fit: ['fit'],
};

class ParamError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Download query parameters. Names other than the transform ones are ignored (`download`,
 * `inline`, `token`, …); a transform name given twice, or under both its names, is a 400.
 */
export function parseTransformQuery(query: Record<string, unknown>, limits: TransformLimits): TransformParse {
  return parseWith(() => pickFields(query, QUERY_NAMES), limits);
}

/**
 * The `transform` object of a sign request: `{width, height, format, quality, fit}` (the
 * short names are accepted too). Unknown keys are a 400, so a typo is not silently dropped.
 * `undefined` and `null` mean no transform.
 */
export function parseTransformObject(value: unknown, limits: TransformLimits): TransformParse {
  if (value === undefined || value === null) return { ok: true, spec: undefined };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, field: 'transform', message: 'transform must be an object' };
  }
  const known = new Set(Object.values(QUERY_NAMES).flat());
  for (const key of Object.keys(value)) {
    if (!known.has(key)) return { ok: false, field: `transform.${key}`, message: `unknown transform field '${key}'` };
  }
  const parsed = parseTransformQuery(value as Record<string, unknown>, limits);
  return parsed.ok ? parsed : { ...parsed, field: `transform.${parsed.field}` };
}

function parseWith(pick: () => Partial<Record<FieldName, Picked>>, limits: TransformLimits): TransformParse {
  try {
    const raw = pick();
    const width = raw.width && parseSize(raw.width, limits.maxWidth);
    const height = raw.height && parseSize(raw.height, limits.maxHeight);
    const format = raw.format && parseFormat(raw.format);
    const quality = raw.quality && parseQuality(raw.quality);
    const fit = raw.fit && parseFit(raw.fit);
    if (width === undefined && height === undefined && format === undefined && quality === undefined) {
      return { ok: true, spec: undefined };
    }
    return { ok: true, spec: canonicalSpec({ width, height, format, quality: quality ?? limits.defaultQuality, fit }) };
  } catch (error) {
    if (error instanceof ParamError) return { ok: false, field: error.field, message: error.message };
    throw error;
  }
}

interface Picked {
  name: string;
  value: unknown;
}

function pickFields(source: Record<string, unknown>, names: Record<FieldName, readonly string[]>) {
  const picked: Partial<Record<FieldName, Picked>> = {};
  for (const [field, aliases] of Object.entries(names) as [FieldName, readonly string[]][]) {
    const given = aliases.filter((name) => Object.hasOwn(source, name) && source[name] !== undefined);
    if (given.length > 1) throw new ParamError(given[0]!, `give ${given.join(' or ')}, not both`);
    const name = given[0];
    if (name === undefined) continue;
    const value = source[name];
    if (Array.isArray(value)) throw new ParamError(name, `${name} is given more than once`);
    picked[field] = { name, value };
  }
  return picked;
}

/** A positive integer given as a JSON number or a string of digits. */
function positiveInteger({ name, value }: Picked, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new ParamError(name, `${name} must be ${what}`);
  return n;
}

/** Refuses a request above the maximum (400) rather than quietly serving a smaller image; rounding up may then land above it, so the rounded size is capped. */
function parseSize(picked: Picked, max: number): number {
  const n = positiveInteger(picked, `an integer from 1 to ${max}`);
  if (n > max) throw new ParamError(picked.name, `${picked.name} must be an integer from 1 to ${max}`);
  return Math.min(Math.ceil(n / SIZE_STEP) * SIZE_STEP, max);
}

function parseQuality(picked: Picked): number {
  const n = positiveInteger(picked, 'an integer from 1 to 100');
  if (n > 100) throw new ParamError(picked.name, `${picked.name} must be an integer from 1 to 100`);
  return n;
}

function parseFormat({ name, value }: Picked): OutputFormat {
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  const format = lower === 'jpg' ? 'jpeg' : lower;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new ParamError(name, `${name} must be one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return format as OutputFormat;
}

function parseFit({ name, value }: Picked): Fit {
  if (typeof value !== 'string' || !(FITS as readonly string[]).includes(value)) {
    throw new ParamError(name, `${name} must be one of ${FITS.join(', ')}`);
  }
  return value as Fit;
}

/** The canonical form: fixed key order, no undefined keys, `fit` only (and always) with both sizes. */
function canonicalSpec(input: { width?: number | undefined; height?: number | undefined; format?: OutputFormat | undefined; quality: number; fit?: Fit | undefined }): TransformSpec {
  const ordered: Partial<TransformSpec> = {};
  if (input.width !== undefined) ordered.width = input.width;
  if (input.height !== undefined) ordered.height = input.height;
  if (input.format !== undefined) ordered.format = input.format;
  ordered.quality = input.quality;
  if (input.width !== undefined && input.height !== undefined) ordered.fit = input.fit ?? 'cover';
  return ordered as TransformSpec;
}

/** A stable string for a spec, for cache keys: `w=…;h=…;f=…;q=…;fit=…` (empty for absent fields). */
export function transformKey(spec: TransformSpec): string {
  return `w=${spec.width ?? ''};h=${spec.height ?? ''};f=${spec.format ?? ''};q=${spec.quality};fit=${spec.fit ?? ''}`;
}

/**
 * Whether a decoded value (the transform inside a signed grant) is a spec this module could
 * have produced: the right types and ranges, canonical key order and fit rule. Configuration
 * limits are not applied here; they were applied when the grant was signed.
 */
export function isCanonicalTransformSpec(value: unknown): value is TransformSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const size = (x: unknown) => x === undefined || (Number.isSafeInteger(x) && (x as number) >= 1 && (x as number) <= SIZE_CEILING);
  if (!size(v.width) || !size(v.height)) return false;
  if (v.format !== undefined && !(OUTPUT_FORMATS as readonly unknown[]).includes(v.format)) return false;
  if (!Number.isSafeInteger(v.quality) || (v.quality as number) < 1 || (v.quality as number) > 100) return false;
  if (v.fit !== undefined && !(FITS as readonly unknown[]).includes(v.fit)) return false;
  const rebuilt = canonicalSpec(v as unknown as TransformSpec);
  return JSON.stringify(rebuilt) === JSON.stringify(v);
}
