// `Prefer` (docs/rest.md "Prefer"): parsed from every Prefer header, comma-separated. Unknown or
// malformed preferences are ignored unless `handling=strict`, which refuses them.
import { AppError } from '../http/index.ts';
import type { CountMode } from '../query/index.ts';

export interface Preferences {
  return?: 'representation' | 'minimal' | 'headers-only';
  count?: CountMode;
  resolution?: 'merge' | 'ignore';
  missingDefault: boolean;
  rollback: boolean;
  maxAffected?: number;
  strict: boolean;
  /** Preferences honoured, echoed in `Preference-Applied`. */
  applied: string[];
}

const RETURN = new Set(['representation', 'minimal', 'headers-only']);
const COUNT = new Set(['exact', 'planned', 'estimated']);

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const out: Preferences = { missingDefault: false, rollback: false, strict: false, applied: [] };
  if (header === undefined) return out;
  const tokens = (Array.isArray(header) ? header.join(',') : header).split(',').map((t) => t.trim()).filter(Boolean);
  const unknown: string[] = [];
  for (const token of tokens) {
    const eq = token.indexOf('=');
    const name = (eq < 0 ? token : token.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : token.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'return' && RETURN.has(value)) out.return = value as Preferences['return'];
    else if (name === 'count' && COUNT.has(value)) out.count = value as CountMode;
    else if (name === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates')) out.resolution = value === 'merge-duplicates' ? 'merge' : 'ignore';
    else if (name === 'missing' && value === 'default') out.missingDefault = true;
    else if (name === 'missing' && value === 'null') out.missingDefault = false;
    else if (name === 'tx' && (value === 'commit' || value === 'rollback')) out.rollback = value === 'rollback';
    else if (name === 'max-affected' && /^\d{1,9}$/.test(value)) out.maxAffected = Number(value);
    else if (name === 'handling' && (value === 'strict' || value === 'lenient')) out.strict = value === 'strict';
    else if (name === 'timezone' || name === 'params') continue; // accepted, no effect
    else unknown.push(token);
  }
  if (out.strict && unknown.length > 0) {
    throw new AppError('INVALID_PREFERENCE', {
      message: `Unknown or invalid preference${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ').slice(0, 200)}`,
      details: { preferences: unknown.slice(0, 20) },
    });
  }
  return out;
}

/** Mark a preference as honoured (for `Preference-Applied`). */
export function applied(prefs: Preferences, text: string): void {
  if (!prefs.applied.includes(text)) prefs.applied.push(text);
}
