// The reconnect schedule: exponential backoff with jitter. Pure; the connection owns the
// timer and the attempt counter.
import type { RealtimeReconnectOptions } from './types.ts';

export interface BackoffSettings {
  initialDelayMs: number;
  maxDelayMs: number;
  jitter: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { initialDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.2, maxAttempts: Infinity };

export function backoffSettings(options: RealtimeReconnectOptions = {}): BackoffSettings {
  const s: BackoffSettings = {
    initialDelayMs: options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
    jitter: options.jitter ?? DEFAULT_BACKOFF.jitter,
    maxAttempts: options.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts,
  };
  if (!(s.initialDelayMs >= 0) || !Number.isFinite(s.initialDelayMs)) throw new RangeError('realtime.reconnect.initialDelayMs must be a non-negative number');
  if (!(s.maxDelayMs >= s.initialDelayMs) || !Number.isFinite(s.maxDelayMs)) throw new RangeError('realtime.reconnect.maxDelayMs must be a number not below initialDelayMs');
  if (!(s.jitter >= 0 && s.jitter <= 1)) throw new RangeError('realtime.reconnect.jitter must be between 0 and 1');
  if (!(s.maxAttempts >= 1)) throw new RangeError('realtime.reconnect.maxAttempts must be at least 1');
  return s;
}

/**
 * Milliseconds to wait before reconnect attempt `attempt` (0 for the first): the initial
 * delay doubled per earlier attempt, capped, then moved by up to ± jitter (never past the cap).
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number): number {
  const base = Math.min(settings.maxDelayMs, settings.initialDelayMs * 2 ** Math.min(attempt, 52));
  const factor = 1 + settings.jitter * (2 * random() - 1);
  return Math.round(Math.min(settings.maxDelayMs, Math.max(0, base * factor)));
}
