// Requests that are bounded by a deadline of their own rather than server.handler_timeout
// (passed to the raw server by app.ts, http/raw-server.ts):
// - an invocation runs up to the function's timeout_seconds (at most functions.max_timeout);
// - a deploy (create, update, sync, reload) type-checks and bundles each module in a Deno
//   process bounded by the module check's own timeout (runtime/module-check.ts). Cut short by a
//   server deadline tuned for database routes, a deploy would answer 504 while its row may
//   still be written: CI saw it with handler_timeout 1s under load.
import { isInvokePath } from './invoke.ts';
import { FUNCTIONS_PATH } from './schema.ts';

const DEPLOY_PATHS = new Set(['/api/v1/admin/functions/sync', '/api/v1/admin/functions/reload']);
const FUNCTION_PATH = new RegExp(`^${FUNCTIONS_PATH}/[^/]+$`);

export function hasOwnDeadline(method: string, url: string): boolean {
  if (isInvokePath(url)) return true;
  const path = url.split('?', 1)[0] ?? url;
  if (method === 'POST') return path === FUNCTIONS_PATH || DEPLOY_PATHS.has(path);
  if (method === 'PUT' || method === 'PATCH') return FUNCTION_PATH.test(path);
  return false;
}
