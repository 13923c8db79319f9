// Presence state maintenance: the server's whole-channel `currentPresences` replaces the
// state; frames without it are applied as diffs; join/leave payloads for the listeners.
import { describe, expect, it } from 'vitest';
import { applyPresence } from './presence.ts';

const ann = { user: 'ann' };
const bob = { user: 'bob' };
const bob2 = { user: 'bob', tab: 2 };

describe('applyPresence with the server state', () => {
  it('join: the state becomes currentPresences; the payload names the key', () => {
    const u = applyPresence({}, { event: 'join', key: 'a', newPresences: [ann], currentPresences: { a: [ann] } });
    expect(u.state).toEqual({ a: [ann] });
    expect(u.join).toEqual({ key: 'a', newPresences: [ann], currentPresences: [ann] });
    expect(u.leave).toBeUndefined();
  });

  it('a second member joins', () => {
    const u = applyPresence({ a: [ann] }, { event: 'join', key: 'b', newPresences: [bob], currentPresences: { a: [ann], b: [bob] } });
    expect(u.state).toEqual({ a: [ann], b: [bob] });
    expect(u.join).toEqual({ key: 'b', newPresences: [bob], currentPresences: [bob] });
  });

  it('leave: the key is gone from the state', () => {
    const u = applyPresence({ a: [ann], b: [bob] }, { event: 'leave', key: 'b', leftPresences: [bob], currentPresences: { a: [ann] } });
    expect(u.state).toEqual({ a: [ann] });
    expect(u.leave).toEqual({ key: 'b', leftPresences: [bob], currentPresences: [] });
  });

  it('sync (a re-track) replaces the state and reports no join or leave', () => {
    const u = applyPresence({ a: [ann], b: [bob] }, { event: 'sync', currentPresences: { a: [ann], b: [bob2] } });
    expect(u).toEqual({ state: { a: [ann], b: [bob2] } });
  });

  it('does not change the previous state object', () => {
    const before = { a: [ann] };
    applyPresence(before, { event: 'join', key: 'b', newPresences: [bob], currentPresences: { a: [ann], b: [bob] } });
    applyPresence(before, { event: 'join', key: 'a', newPresences: [ann] });
    expect(before).toEqual({ a: [ann] });
  });
});

describe('applyPresence from diffs (no currentPresences)', () => {
  it.each([
    ['join adds under the key', {}, { event: 'join', key: 'b', newPresences: [bob] }, { b: [bob] }],
    ['join appends to the key', { b: [bob] }, { event: 'join', key: 'b', newPresences: [bob2] }, { b: [bob, bob2] }],
    ['leave removes the listed states', { a: [ann], b: [bob, bob2] }, { event: 'leave', key: 'b', leftPresences: [bob] }, { a: [ann], b: [bob2] }],
    ['leave of the last state removes the key', { a: [ann], b: [bob] }, { event: 'leave', key: 'b', leftPresences: [{ user: 'bob' }] }, { a: [ann] }],
    ['leave without leftPresences removes the key', { a: [ann], b: [bob, bob2] }, { event: 'leave', key: 'b' }, { a: [ann] }],
    ['sync without a state changes nothing', { a: [ann] }, { event: 'sync' }, { a: [ann] }],
    ['join without a key changes nothing', { a: [ann] }, { event: 'join', newPresences: [bob] }, { a: [ann] }],
  ] as const)('%s', (_name, before, message, after) => {
    const u = applyPresence(structuredClone(before) as Record<string, unknown[]>, structuredClone(message) as Parameters<typeof applyPresence>[1]);
    expect(u.state).toEqual(after);
  });

  it('a leave without leftPresences reports the states the key had', () => {
    expect(applyPresence({ b: [bob, bob2] }, { event: 'leave', key: 'b' }).leave).toEqual({ key: 'b', leftPresences: [bob, bob2], currentPresences: [] });
  });
});
