// Presence state of the channels this instance has members in (docs/realtime.md "Presence").
// A member is one connection's track on one channel, on any instance (`<instance>:<connection>`);
// `currentPresences` maps each key to the states of every member tracking under it. Changes
// come as join/leave diffs; a connection that goes away leaves. Members of an instance that
// stops answering (no `alive` for three intervals) are removed as if they left.
export interface PresenceChange {
  event: 'join' | 'leave' | 'sync';
  key: string;
  newPresences?: unknown[];
  leftPresences?: unknown[];
}

interface Member {
  key: string;
  state: unknown;
}

export class PresenceState {
  /** channel → member → entry */
  private readonly channels = new Map<string, Map<string, Member>>();

  current(channel: string): Record<string, unknown[]> {
    const out: Record<string, unknown[]> = {};
    for (const m of this.channels.get(channel)?.values() ?? []) (out[m.key] ??= []).push(m.state);
    return out;
  }

  /**
   * Track (state) or untrack (null) one member; the diff to announce, if anything changed.
   * `quiet`: a repeat of the same key and state announces nothing (state replayed between
   * instances), where a client's own re-track announces a sync.
   */
  set(channel: string, member: string, key: string, state: unknown | null, quiet = false): PresenceChange[] {
    let members = this.channels.get(channel);
    const before = members?.get(member);
    if (quiet && state !== null && before && before.key === key && JSON.stringify(before.state) === JSON.stringify(state)) return [];
    const out: PresenceChange[] = [];
    if (state === null) {
      if (!before) return [];
      members!.delete(member);
      if (members!.size === 0) this.channels.delete(channel);
      return [{ event: 'leave', key: before.key, leftPresences: [before.state] }];
    }
    if (!members) this.channels.set(channel, (members = new Map()));
    if (before && before.key !== key) out.push({ event: 'leave', key: before.key, leftPresences: [before.state] });
    members.set(member, { key, state });
    if (before && before.key === key) out.push({ event: 'sync', key });
    else out.push({ event: 'join', key, newPresences: [state] });
    return out;
  }

  /** Members whose id starts with `prefix` (one instance, or one connection on every channel). */
  membersOf(prefix: string): { channel: string; member: string; key: string; state: unknown }[] {
    const out: { channel: string; member: string; key: string; state: unknown }[] = [];
    for (const [channel, members] of this.channels) {
      for (const [member, m] of members) if (member.startsWith(prefix)) out.push({ channel, member, key: m.key, state: m.state });
    }
    return out;
  }

  hasChannel(channel: string): boolean {
    return this.channels.has(channel);
  }
}
