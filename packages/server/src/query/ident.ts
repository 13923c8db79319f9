// Identifier and literal quoting, the one place SQL names are quoted (docs/architecture.md
// "Code conventions"). It sits above plan/ and sql/ because both need it: the planner names
// types by their catalog names (a parameter's type, an enum cast) and the compiler emits
// identifiers. The functions only quote: whatever they receive was checked against the
// schema cache.

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
