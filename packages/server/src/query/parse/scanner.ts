// The cursor every grammar in parse/ reads with: a position in one text, small lookahead
// helpers, and errors that say what was being parsed and where (1-based position), so a
// 400 points at the offending character. Messages quote input, never SQL.
import { QueryError, quoteInput, type QueryErrorCode } from '../errors.ts';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from '../ast.ts';

export type ParseErrorCode = Extract<QueryErrorCode, 'INVALID_QUERY' | 'INVALID_FILTER'>;

export class Scanner {
  pos = 0;
  constructor(
    readonly text: string,
    readonly code: ParseErrorCode,
    /** What is being parsed, for messages: `select`, `order`, `filter "age"`. */
    readonly what: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text.charAt(this.pos + offset);
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  eat(s: string): boolean {
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string): void {
    if (!this.eat(s)) this.fail(`expected ${quoteInput(s)}${this.done ? ' before the end' : ` but found ${quoteInput(this.peek())}`}`);
  }

  /** Whitespace is insignificant around separators (PostgREST's `lexeme`). */
  skipWs(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  /** Characters up to (not including) the first of `stops`, or to the end. */
  readUntil(stops: string): string {
    const start = this.pos;
    while (this.pos < this.text.length && !stops.includes(this.text.charAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A run of characters matching `re` (a one-character test). */
  readWhile(re: RegExp): string {
    const start = this.pos;
    while (this.pos < this.text.length && re.test(this.text.charAt(this.pos))) this.pos++;
    return this.text.slice(start, this.pos);
  }

  rest(): string {
    const r = this.text.slice(this.pos);
    this.pos = this.text.length;
    return r;
  }

  expectEnd(): void {
    this.skipWs();
    if (!this.done) this.fail(`unexpected ${quoteInput(this.text.slice(this.pos), 20)}`);
  }

  fail(message: string, init: { hint?: string; details?: Record<string, unknown>; code?: ParseErrorCode } = {}): never {
    throw new QueryError(init.code ?? this.code, `Invalid ${this.what}: ${message} (at position ${this.pos + 1})`, {
      details: { position: this.pos + 1, input: truncate(this.text), ...init.details },
      hint: init.hint,
    });
  }
}

function truncate(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Counters shared by every parser working on one request, so limits hold across all
 * parameters (200 filter terms in total, not per parameter).
 */
export class Budget {
  filterTerms = 0;
  orderTerms = 0;
  constructor(readonly limits: ParseLimits = DEFAULT_PARSE_LIMITS) {}

  addFilterTerm(): void {
    if (++this.filterTerms > this.limits.maxFilterTerms) {
      throw new QueryError('INVALID_FILTER', `The query has more than ${this.limits.maxFilterTerms} filter terms`, {
        details: { limit: this.limits.maxFilterTerms },
      });
    }
  }

  addOrderTerm(): void {
    if (++this.orderTerms > this.limits.maxOrderTerms) {
      throw new QueryError('INVALID_QUERY', `The query has more than ${this.limits.maxOrderTerms} order terms`, {
        details: { limit: this.limits.maxOrderTerms },
      });
    }
  }
}
