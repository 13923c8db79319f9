// GraphQL names from database names (API.md §13): types PascalCase(table), fields
// camelCase(column), list queries camelCase(table), the single-row query the singular (or
// `<list>ByPk` when the singular equals the list name: upstream let one overwrite the other,
// ../shared/reference/fluxbase-surface-data.md §3 QUIRK). Names that GraphQL cannot hold
// (a leading digit, characters outside [_A-Za-z0-9]) are made valid, never dropped.

function words(name: string): string[] {
  return name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
}

function valid(name: string): string {
  const n = name === '' ? '_' : name;
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

const upperFirst = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
const lowerFirst = (w: string) => w.charAt(0).toLowerCase() + w.slice(1);

/** `user_profiles` → `UserProfiles`, `posts` → `Posts`. */
export function pascal(name: string): string {
  return valid(words(name).map(upperFirst).join(''));
}

/** `created_at` → `createdAt`, `ID` → `iD`… a column already in camelCase stays as it is. */
export function camel(name: string): string {
  const w = words(name);
  if (w.length === 0) return '_';
  return valid(lowerFirst(w[0]!) + w.slice(1).map(upperFirst).join(''));
}

/** `posts` → `post`, `categories` → `category`, `status` → `status` (unchanged: no plural). */
export function singular(name: string): string {
  if (/ies$/.test(name) && name.length > 3) return `${name.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(name)) return name;
  if (/s$/.test(name) && name.length > 1) return name.slice(0, -1);
  return name;
}

/** `author_id` → `author`, `authorId` → `author`; undefined when nothing is left to strip. */
export function stripIdSuffix(column: string): string | undefined {
  const m = /^(.+?)(_id|Id|_ID)$/.exec(column);
  return m ? m[1] : undefined;
}
