// TypeScript source fragments for the type generator: property keys, string literal
// types and indented blocks. Every name from the database reaches the output through
// these, so an odd table or enum name can never break (or inject into) the file.

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A string literal type (JSON escaping is valid TypeScript string syntax). */
export function lit(value: string): string {
  return JSON.stringify(value);
}

/** A property key: bare when it is a plain ASCII identifier, otherwise quoted. */
export function key(name: string): string {
  return PLAIN_KEY.test(name) ? name : lit(name);
}

/** Deterministic ordering independent of the machine's locale (code unit order). */
export function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `type[]`, parenthesised when `[]` would otherwise bind to only part of it. Safe without
 * parentheses: a plain name (`number`, `Json`, `string[]`), a `Database[…]` reference, a
 * generic like `Record<string, unknown>`, or one object literal.
 */
export function arrayOf(type: string): string {
  const single = /^[A-Za-z_$][\w$.]*(\[\])*$/.test(type)
    || (type.startsWith('Database[') && type.endsWith(']'))
    || /^Record<[\w, ]+>$/.test(type)
    || (type.startsWith('{') && type.endsWith('}'));
  return single ? `${type}[]` : `(${type})[]`;
}

/** Indent every non-empty line of `text` by `levels` × 2 spaces. */
export function indent(text: string, levels = 1): string {
  const pad = '  '.repeat(levels);
  return text.split('\n').map((line) => (line === '' ? line : pad + line)).join('\n');
}

/**
 * An object type literal from `[key, value]` members, one per line. `empty` is used when
 * there are none (`[_ in never]: never` for the Database sections, as supabase emits).
 */
export function objectType(members: string[], empty = ''): string {
  if (members.length === 0) return empty === '' ? '{}' : `{\n  ${empty}\n}`;
  return `{\n${members.map((m) => indent(m)).join('\n')}\n}`;
}

export const NEVER_MEMBERS = '[_ in never]: never';
