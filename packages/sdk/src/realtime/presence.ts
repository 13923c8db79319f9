// Presence state of one channel, maintained from the server's presence frames. Pure: a
// frame and the previous state give the next state and the join/leave to report.
import type { PresenceMessage } from './frames.ts';
import type { RealtimePresenceState } from './types.ts';

export interface PresenceUpdate {
  state: RealtimePresenceState<unknown>;
  join?: { key: string; newPresences: unknown[]; currentPresences: unknown[] };
  leave?: { key: string; leftPresences: unknown[]; currentPresences: unknown[] };
}

/**
 * The server's `currentPresences` (the whole channel) replaces the state when present;
 * otherwise the frame's diff is applied: `newPresences` are added under `key`,
 * `leftPresences` removed from it (all of it when the frame lists none).
 */
export function applyPresence(state: RealtimePresenceState<unknown>, message: PresenceMessage): PresenceUpdate {
  const { event, key } = message;
  const next = message.currentPresences !== undefined ? copy(message.currentPresences) : applyDiff(state, message);
  const update: PresenceUpdate = { state: next };
  if (key === undefined) return update;
  if (event === 'join') {
    update.join = { key, newPresences: message.newPresences ?? next[key] ?? [], currentPresences: next[key] ?? [] };
  } else if (event === 'leave') {
    update.leave = { key, leftPresences: message.leftPresences ?? state[key] ?? [], currentPresences: next[key] ?? [] };
  }
  return update;
}

function applyDiff(state: RealtimePresenceState<unknown>, message: PresenceMessage): RealtimePresenceState<unknown> {
  const next = copy(state);
  const { key } = message;
  if (key === undefined) return next;
  if (message.event === 'join') {
    next[key] = [...(next[key] ?? []), ...(message.newPresences ?? [])];
  } else if (message.event === 'leave') {
    const left = message.leftPresences;
    const remaining = left === undefined ? [] : without(next[key] ?? [], left);
    if (remaining.length === 0) delete next[key];
    else next[key] = remaining;
  }
  return next;
}

/** `from` minus one occurrence of each of `removed` (compared by JSON value). */
function without(from: unknown[], removed: unknown[]): unknown[] {
  const out = [...from];
  for (const r of removed) {
    const text = JSON.stringify(r);
    const i = out.findIndex((s) => JSON.stringify(s) === text);
    if (i >= 0) out.splice(i, 1);
  }
  return out;
}

function copy(state: RealtimePresenceState<unknown>): RealtimePresenceState<unknown> {
  const out: RealtimePresenceState<unknown> = {};
  for (const [k, v] of Object.entries(state)) out[k] = [...v];
  return out;
}
