// Redirect targets of OAuth flows and emailed links (docs/auth.md "2. Redirect allow-list",
// "How links work"), one rule for both: `redirect_uri` and `redirect_to` must equal
// `auth.site_url` (OAuth also: the provider's own Fluxbase callback URL) or an entry of
// `auth.redirect_allow_list` (exact; an entry ending in `/**` allows any path under it on
// the same origin). Both sides are parsed with WHATWG URL first, so case, default ports,
// dot segments and percent-encoded dots cannot smuggle a target past a prefix. Native-app
// schemes (`myapp://callback`, RFC 8252) match exact entries only; script-bearing schemes
// never match.
import { AppError } from '../../http/index.ts';

const MAX_LENGTH = 2048;

const NEVER = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

function parseUrl(value: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (NEVER.has(url.protocol)) return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url;
}

const isHttp = (url: URL) => url.protocol === 'http:' || url.protocol === 'https:';

function matchesEntry(target: URL, entry: string): boolean {
  if (entry.endsWith('/**')) {
    const base = parseUrl(entry.slice(0, -2));
    if (!base || !isHttp(base) || !isHttp(target)) return false;
    // The base path ends with '/', so `/app/**` admits `/app` and `/app/x`, never `/application`.
    return target.origin === base.origin && (target.pathname.startsWith(base.pathname) || `${target.pathname}/` === base.pathname);
  }
  const exact = parseUrl(entry);
  return exact !== undefined && exact.href === target.href;
}

/** Whether `value` is an allowed redirect target (see the header). */
export function isAllowedRedirect(value: string, allowed: readonly string[]): boolean {
  if (value.length > MAX_LENGTH) return false;
  const target = parseUrl(value);
  if (!target) return false;
  return allowed.some((entry) => matchesEntry(target, entry));
}

/** Throws 400 INVALID_REDIRECT_URL unless `value` is allowed; returns the value unchanged. */
export function checkRedirect(field: 'redirect_uri' | 'redirect_to', value: string, allowed: readonly string[]): string {
  if (!isAllowedRedirect(value, allowed)) {
    throw new AppError('INVALID_REDIRECT_URL', {
      message: `${field} is not an allowed redirect target`,
      details: { field },
      hint: 'Use auth.site_url or add the URL to auth.redirect_allow_list (a trailing /** allows a path prefix)',
    });
  }
  return value;
}
