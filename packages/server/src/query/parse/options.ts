// Parser options: which mount the request came through (the Fluxbase mount adds the SDK's
// aggregate forms, `group_by` and `truncate`), whether aggregates are on, and the bounds.
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from '../ast.ts';

export interface ParseOptions {
  mount: 'fluxbase' | 'postgrest';
  /** `api.aggregates_enabled`; when false any aggregate is INVALID_QUERY. */
  aggregatesEnabled: boolean;
  /** Defaults to DEFAULT_PARSE_LIMITS. */
  limits?: ParseLimits;
}

export function resolveLimits(options: { limits?: ParseLimits | undefined }): ParseLimits {
  return options.limits ?? DEFAULT_PARSE_LIMITS;
}
