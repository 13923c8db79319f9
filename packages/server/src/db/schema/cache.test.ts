// Which notifications reload the schema cache (PostgREST's channel carries other commands too).
import { describe, expect, it } from 'vitest';
import { PGRST_CHANNEL, SCHEMA_CHANNEL, wantsReload } from './cache.ts';

describe('wantsReload', () => {
  it.each([
    [SCHEMA_CHANNEL, 'reload', true],
    [SCHEMA_CHANNEL, '', true],
    [PGRST_CHANNEL, 'reload schema', true],
    [PGRST_CHANNEL, '  reload schema\n', true],
    [PGRST_CHANNEL, '', true],
    [PGRST_CHANNEL, 'reload config', false],
    [PGRST_CHANNEL, 'something else', false],
    ['other', 'reload schema', false],
  ])('%s %j → %s', (channel, payload, expected) => {
    expect(wantsReload(channel, payload)).toBe(expected);
  });
});
