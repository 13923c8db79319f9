// The one SQL vocabulary (docs/architecture.md "Code conventions"): the identifier quoter
// (query/ident.ts, shared with the planner, re-exported here) and the parameter list.
// Nothing outside query/sql builds SQL text, and user input only ever reaches SQL as a
// bound parameter or as an identifier that the planner checked against the schema cache and
// that quoteIdent then quotes.
export { qualified, quoteIdent, quoteLiteral } from '../ident.ts';

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
