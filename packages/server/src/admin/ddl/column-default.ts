// Column defaults for the DDL routes. A JSON number, boolean or null is written as that
// literal; a string is either one of a few well-known default expressions (now(),
// gen_random_uuid(), auth.uid(), …) or else a quoted string literal — never raw SQL.
import { AppError } from '../../http/index.ts';
import { quoteLiteral } from '../../query/index.ts';

const EXPRESSIONS = new Map<string, string>([
  ['now()', 'now()'], ['current_timestamp', 'current_timestamp'], ['current_date', 'current_date'], ['current_time', 'current_time'],
  ['localtimestamp', 'localtimestamp'], ['gen_random_uuid()', 'gen_random_uuid()'], ['auth.uid()', 'auth.uid()'], ['auth.role()', 'auth.role()'],
  ['true', 'true'], ['false', 'false'], ['null', 'null'], ["'{}'", "'{}'"], ["'[]'::jsonb", "'[]'::jsonb"], ["'{}'::jsonb", "'{}'::jsonb"],
]);

/** SQL text of a DEFAULT expression, or undefined when none is given. */
export function columnDefault(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AppError('INVALID_REQUEST_BODY', { message: `${field} must be a finite number`, details: { field } });
    return String(value);
  }
  if (typeof value === 'string') {
    const known = EXPRESSIONS.get(value.trim().toLowerCase());
    return known ?? quoteLiteral(value);
  }
  throw new AppError('INVALID_REQUEST_BODY', { message: `${field} must be a string, number, boolean or null`, details: { field } });
}
