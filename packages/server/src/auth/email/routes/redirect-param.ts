// The optional `redirect_to` of the email routes: absent or null means auth.site_url.
import type { Config } from '../../../config/index.ts';
import { checkRedirect } from '../redirects.ts';

export function optionalRedirect(config: Config, value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : checkRedirect(config, value);
}
