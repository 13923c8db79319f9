// Turning JavaScript values into the text of the PostgREST grammar (docs/rest.md
// "Filters"): scalar filter values, `in`/`(any)` lists with their quoting, and PostgreSQL
// array literals for `cs`/`cd`/`ov`. Quoting here is what keeps a comma inside a value from
// splitting a list.

/** A filter value as text: `null` → `null`, a Date → ISO 8601, objects and arrays → JSON. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// Characters that end or open a list element (or a logic-tree value) unless quoted.
const LIST_RESERVED = /[,(){}"\\]|^\s|\s$|^$/;

/** One element of a PostgREST list (`in.(…)`, `like(any).{…}`) or a logic-tree value. */
export function quoteGrammarValue(text: string): string {
  if (!LIST_RESERVED.test(text)) return text;
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `in.(a,"b,c")` list body and its elements (kept for the JSON `/query` body). */
export function formatList(values: readonly unknown[], open = '(', close = ')'): { text: string; items: string[] } {
  const items = values.map(formatValue);
  return { text: `${open}${items.map(quoteGrammarValue).join(',')}${close}`, items };
}

// PostgreSQL array-literal rules: quote empty strings, NULL look-alikes and anything with
// delimiters or whitespace; escape quotes and backslashes.
const ARRAY_RESERVED = /[{},"\\\s]|^$|^null$/i;

function arrayElement(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Array.isArray(value)) return pgArrayLiteral(value);
  const text = formatValue(value);
  return ARRAY_RESERVED.test(text) ? `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"` : text;
}

/** `{a,"b c",NULL}`: the value `cs`/`cd`/`ov` compare an array column with. */
export function pgArrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

/**
 * The value of `contains`/`containedBy`/`overlaps`: a string is passed as written (a range
 * like `[1,5)` or a literal), an array becomes an array literal, an object JSON (jsonb).
 */
export function formatContainment(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return pgArrayLiteral(value);
  return formatValue(value);
}

/**
 * The value of the generic `filter()`/`not()` escape hatches: strings are raw grammar as
 * in postgrest-js, but an array becomes the list the operator expects instead of `a,b`.
 */
export function formatOperand(operator: string, value: unknown): { text: string; items?: string[] } {
  if (!Array.isArray(value)) return { text: formatValue(value) };
  const base = operator.replace(/^not\./, '');
  if (base === 'in') return formatList(value);
  if (/\((any|all)\)$/.test(base)) return formatList(value, '{', '}');
  return { text: pgArrayLiteral(value) };
}
