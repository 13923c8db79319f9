// Redirect targets of emailed links (docs/auth.md "How links work"): a `redirect_to` must equal
// auth.site_url or an entry of auth.redirect_allow_list, by the rule shared with OAuth
// (auth/core/redirects.ts), so a link from our mail never sends a user to another site.
import type { Config } from '../../config/index.ts';
import { AppError } from '../../http/index.ts';
import { isAllowedRedirect } from '../core/redirects.ts';

/** The application's base URL for links (auth.site_url, else server.public_url). */
export function siteUrl(config: Config): string {
  return config.auth.site_url || config.server.public_url;
}

/** Returns `url` when it is an allowed redirect target; else 400 INVALID_REDIRECT_URL. */
export function checkRedirect(config: Config, url: unknown, field = 'redirect_to'): string {
  if (typeof url !== 'string') {
    throw new AppError('VALIDATION_FAILED', { message: `${field} must be a string`, details: { fields: { [field]: 'must be a string' } } });
  }
  if (!isAllowedRedirect(url, [siteUrl(config), ...config.auth.redirect_allow_list])) {
    throw new AppError('INVALID_REDIRECT_URL', {
      message: `${field} is not an allowed redirect target`,
      details: { field },
      hint: 'Use auth.site_url or add the URL to auth.redirect_allow_list (a trailing /** allows a path prefix)',
    });
  }
  return url;
}
