// Body limits per route pattern (docs/configuration.md "server", the body_limits keys) and
// the JSON body parser with its depth check. Limits are handed to Fastify per route, which
// counts the bytes it actually reads (chunked bodies included) and stops at the limit, so
// nothing is processed.
import { formatSize } from '../config/index.ts';
import { AppError, errors } from './errors/index.ts';

export type EndpointType = 'auth' | 'storage' | 'bulk' | 'admin' | 'REST' | 'default';

export interface BodyLimits {
  enabled: boolean;
  default_limit: number;
  auth_limit: number;
  rest_limit: number;
  admin_limit: number;
  bulk_limit: number;
  storage_limit: number;
  max_json_depth: number;
}

/** Patterns tried in order, the first match wins; `*` is one path segment, `**` any number. */
const RULES: [string[], EndpointType][] = [
  [['/api/v1/auth/**'], 'auth'],
  [['/api/v1/storage/**'], 'storage'],
  [['/api/v1/admin/*/sync', '/api/v1/rpc/**', '/rest/v1/rpc/**', '/api/v1/functions/*/invoke/**', '/functions/v1/**'], 'bulk'],
  [['/api/v1/admin/**'], 'admin'],
  [['/api/v1/tables/**', '/rest/v1/**', '/api/v1/graphql', '/api/**'], 'REST'],
];

const CONFIG_KEY: Record<EndpointType, keyof BodyLimits> = {
  auth: 'auth_limit', storage: 'storage_limit', bulk: 'bulk_limit', admin: 'admin_limit', REST: 'rest_limit', default: 'default_limit',
};

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('/')
    .map((seg) => (seg === '**' ? '@@' : seg === '*' ? '[^/]+' : seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
    .replace(/\/@@/g, '(?:/.*)?');
  return new RegExp(`^${body}/?$`);
}

const COMPILED: [RegExp[], EndpointType][] = RULES.map(([globs, type]) => [globs.map(globToRegExp), type]);

/** Endpoint type of a concrete path or a route pattern (`:param` and `*` count as one segment). */
export function endpointTypeFor(pathOrPattern: string): EndpointType {
  const path = pathOrPattern.split('?')[0]!.replace(/:[^/]+/g, 'p').replace(/\/\*$/, '/p');
  for (const [res, type] of COMPILED) if (res.some((re) => re.test(path))) return type;
  return 'default';
}

export function bodyLimitFor(pathOrPattern: string, limits: BodyLimits): { bytes: number; type: EndpointType; key: string } {
  const type = endpointTypeFor(pathOrPattern);
  const key = CONFIG_KEY[type];
  return { bytes: limits.enabled ? (limits[key] as number) : Number.MAX_SAFE_INTEGER, type, key: `server.body_limits.${key}` };
}

export function payloadTooLarge(limit: { bytes: number; type: EndpointType; key: string }): AppError {
  const label = limit.type === 'REST' ? 'REST' : limit.type;
  return new AppError('PAYLOAD_TOO_LARGE', {
    message: `Request body exceeds the ${formatSize(limit.bytes)} limit for ${label} endpoints`,
    hint: `Send a smaller body or raise ${limit.key}`,
    details: { max_bytes: limit.bytes, endpoint_type: limit.type },
  });
}

/**
 * Nesting depth of a JSON text, without parsing it (brackets inside strings ignored).
 * Stops counting as soon as `max` is exceeded.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

export function parseJsonBody(text: string, maxDepth: number): unknown {
  if (text.trim() === '') return undefined;
  if (jsonDepthExceeds(text, maxDepth)) throw errors.jsonTooDeep(maxDepth);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw errors.invalidJson((err as Error).message);
  }
}
