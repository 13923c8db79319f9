// The one SQL vocabulary (CONVENTIONS 3): the only identifier quoter and the parameter
// list. Nothing outside query/sql builds SQL text, and user input only ever reaches SQL
// as a bound parameter or as an identifier that the planner checked against the schema
// cache and that quoteIdent then quotes.

/** Quote an identifier: always double-quoted, embedded quotes doubled, NUL refused. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('identifier contains NUL');
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"` */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quote a string as an SQL literal (only for catalog-derived text such as JSON keys of a path). */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('literal contains NUL');
  return `'${text.replaceAll("'", "''")}'`;
}

/** Positional parameters collected while compiling one statement. */
export class Params {
  readonly values: unknown[] = [];
  /** Add a value; returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  /** Add a value with an explicit cast (`$n::type`); `type` must come from the catalog, never from input. */
  typed(value: unknown, type: string): string {
    return `${this.add(value)}::${type}`;
  }
}

export interface Statement {
  text: string;
  values: unknown[];
}
