// Database failure classes that callers above need to tell apart without knowing the
// driver: "the database cannot be reached right now" versus everything else.

/** The database cannot serve this request now (down, restarting, pool exhausted). */
export class DatabaseUnavailableError extends Error {
  constructor(
    message: string,
    /** `held_too_long`: the connection was destroyed because the request held it past server.handler_timeout. */
    public readonly reason: 'unreachable' | 'pool_wait_timeout' | 'shutting_down' | 'held_too_long',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
]);

/** SQLSTATEs of an unavailable server: class 08 (connection), 53 (resources), 57P01–03 (shutdown, cannot connect now). */
export function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || code.startsWith('53') || code === '57P01' || code === '57P02' || code === '57P03';
}

export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  if (err === null || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code));
}

/** `postgres://user:secret@host/db` → `postgres://user@host/db`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid database URL>';
  }
}
