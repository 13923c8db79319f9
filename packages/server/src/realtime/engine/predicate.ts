// Policy predicates as text (docs/realtime.md "Who receives a change"): rewriting the claim
// helpers of migrations/001_foundation.up.sql in what pg_get_expr printed, outside string
// literals and quoted names. Pure functions; engine/rls.ts decides when each form is used.

/** The claim helpers: constant within one statement (the claims settings do not change in it). */
const CLAIM_HELPERS = ['auth.uid()', 'auth.jwt()', 'auth.role()'];

/**
 * Replace each claim helper call by `replace(helper)`. `bare` is the predicate with literals,
 * quoted names and the replaced calls blanked, for checks on what else it contains.
 */
function rewriteHelpers(predicate: string, replace: (helper: string) => string): { out: string; bare: string } {
  let out = '';
  let bare = '';
  let i = 0;
  while (i < predicate.length) {
    const ch = predicate[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < predicate.length) {
        if (predicate[j] === ch) {
          if (predicate[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      out += predicate.slice(i, j + 1);
      bare += ch === '"' ? ' q ' : " '' ";
      i = j + 1;
      continue;
    }
    const helper = CLAIM_HELPERS.find((h) => predicate.startsWith(h, i) && !/[\w.$]/.test(predicate[i - 1] ?? ''));
    if (helper) {
      out += replace(helper);
      bare += ' c ';
      i += helper.length;
      continue;
    }
    out += ch;
    bare += ch;
    i++;
  }
  return { out, bare };
}

/**
 * `auth.uid()` → `(SELECT auth.uid())`. Within one statement the claims are fixed, so the
 * sub-select (an init plan, evaluated once) gives the same answer as a call per row, which
 * re-reads and re-parses the claims for every row (the form Supabase recommends writing
 * policies in, applied for you).
 */
export function hoistClaimHelpers(predicate: string): string {
  return rewriteHelpers(predicate, (helper) => `(SELECT ${helper})`).out;
}

const GROUPED_COLUMNS: Record<string, string> = {
  'auth.uid()': '__fb_c.__fb_uid',
  'auth.jwt()': '__fb_c.__fb_jwt',
  'auth.role()': '__fb_c.__fb_role',
};

/**
 * The predicate with auth.uid(), auth.jwt() and auth.role() replaced by the columns of a row
 * per claim set (realtime.visible_records_grouped), when that is exactly equivalent: the
 * predicate reads the claims only through those helpers, and calls nothing that could read
 * them another way (no sub-select, whose tables' own policies would read the settings; no
 * current_setting(); no function or operator outside pg_catalog). Undefined otherwise: such
 * predicates are decided one claim set at a time.
 */
export function groupedPredicate(predicate: string): string | undefined {
  const { out, bare } = rewriteHelpers(predicate, (helper) => GROUPED_COLUMNS[helper]!);
  if (/\bselect\b/i.test(bare) || /current_setting\s*\(/i.test(bare)) return undefined;
  for (const m of bare.matchAll(/([A-Za-z_][\w$]*)\s*\.\s*(?:[A-Za-z_][\w$]*|q)\s*\(/g)) {
    if (m[1]!.toLowerCase() !== 'pg_catalog') return undefined;
  }
  if (/\bq\s*\.\s*(?:[A-Za-z_][\w$]*|q)\s*\(/.test(bare)) return undefined; // "schema".fn(
  for (const m of bare.matchAll(/operator\s*\(\s*([A-Za-z_][\w$]*|q)\s*\./gi)) {
    if (m[1]!.toLowerCase() !== 'pg_catalog') return undefined;
  }
  return out;
}
