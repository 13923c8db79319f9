// The optional `redirect_to` of the email routes: a URL field; absent or null means
// auth.site_url, anything else must be an allowed target (400 INVALID_REDIRECT_URL).
import type { Config } from '../../../config/index.ts';
import { field, LIMITS } from '../../../http/index.ts';
import { checkRedirect } from '../redirects.ts';

export const redirectToField = () => field.optionalText(LIMITS.url);

export function optionalRedirect(config: Config, value: string | undefined): string | undefined {
  return value === undefined ? undefined : checkRedirect(config, value);
}
