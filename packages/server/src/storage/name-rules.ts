// Bucket and object name rules (API.md §10). A bad name is refused with a reason and the fix,
// never cleaned: upstream stripped `..`, control characters and leading slashes and stored
// the result, so two different requests could land on one key and a refusal looked like a
// success. The rules hold for every decoding of the name (a proxy, a backend or a client
// may decode percent escapes once more), so `%2e%2e` and `%252e%252e` are `..` here too.

export type NameCheck = { ok: true } | { ok: false; code: NameErrorCode; message: string };

export type NameErrorCode =
  | 'empty'
  | 'too_long'
  | 'segment_too_long'
  | 'invalid_characters'
  | 'invalid_encoding'
  | 'control_character'
  | 'backslash'
  | 'absolute_path'
  | 'empty_segment'
  | 'dot_segment'
  | 'reserved_name';

/** Longest object name in UTF-8 bytes (S3's key limit). */
export const MAX_OBJECT_NAME_BYTES = 1024;
/** Longest path segment in UTF-8 bytes (the usual file-name limit of local file systems). */
export const MAX_SEGMENT_BYTES = 255;
/** Final segments the share routes use (`…/<path>/share`, `…/<path>/shares`). */
export const RESERVED_FINAL_SEGMENTS: readonly string[] = ['share', 'shares'];
/** Bucket names the storage routes use as their first path segment (`/buckets`, `/object?token=`, `/config/transforms`). */
export const RESERVED_BUCKET_NAMES: readonly string[] = ['buckets', 'object', 'config'];

const BUCKET_NAME = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
// C0 controls (NUL included), DEL and C1 controls.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Percent decoding stops when nothing changes; more rounds than this is an attack, not a name.
const MAX_DECODE_ROUNDS = 4;

const fail = (code: NameErrorCode, message: string): NameCheck => ({ ok: false, code, message });
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

export function checkBucketName(name: unknown): NameCheck {
  if (typeof name !== 'string' || name === '') return fail('empty', 'The bucket name is empty; give 1 to 63 characters');
  if (name.length > 63) return fail('too_long', `The bucket name has ${name.length} characters; use at most 63`);
  if (!BUCKET_NAME.test(name)) {
    return fail('invalid_characters',
      'Bucket names use lowercase letters, digits, dots, hyphens and underscores, and start and end with a letter or digit');
  }
  if (name.includes('..')) return fail('dot_segment', 'The bucket name contains ".."; use single dots');
  if (RESERVED_BUCKET_NAMES.includes(name)) {
    return fail('reserved_name', `"${name}" is reserved by the storage routes; choose another bucket name`);
  }
  return { ok: true };
}

/**
 * An object name (key) as stored: `folder/sub/file.ext`, no leading slash, no empty, `.` or
 * `..` segments, no control characters or backslashes, at most 1,024 bytes and 255 bytes a
 * segment, not ending in a reserved segment. Checked as given and after each percent-decoding.
 */
export function checkObjectName(name: unknown): NameCheck {
  if (typeof name !== 'string' || name === '') return fail('empty', 'The object name is empty; give a path such as "folder/file.png"');
  if (LONE_SURROGATE.test(name)) return fail('invalid_encoding', 'The object name is not valid Unicode (a lone surrogate); send UTF-8 text');
  const size = bytes(name);
  if (size > MAX_OBJECT_NAME_BYTES) {
    return fail('too_long', `The object name is ${size} bytes; use at most ${MAX_OBJECT_NAME_BYTES} bytes (UTF-8)`);
  }
  let form = name;
  for (let round = 0; round <= MAX_DECODE_ROUNDS; round++) {
    const check = checkForm(form, round > 0);
    if (!check.ok) return check;
    const next = decodeOnce(form);
    if (next === form) break;
    if (round === MAX_DECODE_ROUNDS) {
      return fail('invalid_encoding', 'The object name is percent-encoded too many times over; send it encoded once in the URL');
    }
    form = next;
  }
  const segments = name.split('/');
  const last = segments[segments.length - 1]!;
  if (RESERVED_FINAL_SEGMENTS.includes(last)) {
    return fail('reserved_name', `The final segment "${last}" is reserved for the share routes; rename the file (e.g. "${last}.txt")`);
  }
  // DELETE …/share/<user id> revokes a share: such a name could never be deleted.
  if (segments.length >= 2 && segments[segments.length - 2] === 'share' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(last)) {
    return fail('reserved_name', 'A name ending in "share/<uuid>" is reserved for the share routes; rename the folder "share"');
  }
  return { ok: true };
}

/** The rules every form (as given or decoded) must pass. */
function checkForm(form: string, decoded: boolean): NameCheck {
  const via = decoded ? ' once percent-decoded' : '';
  if (form.includes('\u0000')) return fail('control_character', `The object name contains a NUL character${via}; remove it`);
  if (CONTROL.test(form)) return fail('control_character', `The object name contains a control character${via}; remove it`);
  if (form.includes('\\')) return fail('backslash', `The object name contains a backslash${via}; separate folders with "/"`);
  if (form.startsWith('/')) return fail('absolute_path', `The object name starts with "/"${via}; give a path relative to the bucket`);
  if (/^[A-Za-z]:/.test(form)) return fail('absolute_path', `The object name starts with a drive letter${via}; give a path relative to the bucket`);
  const segments = form.split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '') {
      return fail('empty_segment',
        i === segments.length - 1
          ? `The object name ends with "/"${via}; name the file after the last "/"`
          : `The object name has an empty segment ("//")${via}; use single slashes`);
    }
    if (s === '.' || s === '..') return fail('dot_segment', `The object name has a "${s}" segment${via}; give the path without "." and ".."`);
    const n = bytes(s);
    if (n > MAX_SEGMENT_BYTES) {
      return fail('segment_too_long', `A segment of the object name is ${n} bytes; keep each segment to ${MAX_SEGMENT_BYTES} bytes`);
    }
  }
  return { ok: true };
}

/** One round of percent-decoding; a string that is not valid percent-encoding is its own decoding. */
function decodeOnce(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    // A literal '%' ("100%.txt") or a malformed escape: decode the valid escapes only.
    return s.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}
