// Links put in emails: the redirect target (or auth.site_url) with the one-time token and
// its type in the query string, which the application reads and posts back to the API.
import type { Config } from '../../config/index.ts';
import { siteUrl } from './redirects.ts';

export type LinkType = 'magiclink' | 'recovery' | 'email_verification' | 'email_change';

export function buildLink(config: Config, redirectTo: string | null | undefined, token: string, type: LinkType): string {
  const url = new URL(redirectTo ?? siteUrl(config));
  url.searchParams.set('token', token);
  url.searchParams.set('type', type);
  return url.href;
}
