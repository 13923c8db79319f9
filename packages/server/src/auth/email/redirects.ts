// Redirect targets of emailed links (API.md §8.5): a `redirect_to` must equal
// auth.site_url or an entry of auth.redirect_allow_list (exact, or a path prefix for
// entries ending in `/**`), so a link from our mail never sends a user to another site.
import type { Config } from '../../config/index.ts';
import { AppError } from '../../http/index.ts';

const MAX_URL_LENGTH = 2048;
// Schemes a link must never carry, even when an operator allow-listed them by mistake.
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

/** The application's base URL for links (auth.site_url, else server.public_url). */
export function siteUrl(config: Config): string {
  return config.auth.site_url || config.server.public_url;
}

/** Returns `url` when it is an allowed redirect target; else 400 INVALID_REDIRECT_URL. */
export function checkRedirect(config: Config, url: unknown, field = 'redirect_to'): string {
  if (typeof url !== 'string') {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be a string`, details: { fields: { [field]: 'must be a string' } } });
  }
  const target = parse(url);
  if (url.length > MAX_URL_LENGTH || !target || FORBIDDEN_SCHEMES.has(target.protocol) || target.username || target.password) {
    throw refused(field);
  }
  const entries = [siteUrl(config), ...config.auth.redirect_allow_list];
  if (entries.some((entry) => matches(entry, target))) return url;
  throw refused(field);
}

function matches(entry: string, target: URL): boolean {
  if (!entry.endsWith('/**')) return parse(entry)?.href === target.href;
  const base = parse(entry.slice(0, -3) || '/');
  if (!base || base.origin === 'null' || base.origin !== target.origin) return false;
  // Compare parsed paths on a segment boundary: `/app/**` covers `/app` and `/app/x`, not `/apple`.
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return target.pathname === base.pathname || target.pathname.startsWith(prefix);
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

function refused(field: string): AppError {
  return new AppError('INVALID_REDIRECT_URL', {
    message: `${field} is not an allowed redirect target`,
    details: { field },
    hint: 'Use auth.site_url or add the URL to auth.redirect_allow_list',
  });
}
