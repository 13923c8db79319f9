import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigDocs } from './docs.ts';
import { CONFIG_KEYS, envName } from './schema.ts';

describe('docs/configuration.md', () => {
  it('matches the schema (regenerate with: node --import tsx scripts/gen-config-docs.ts)', () => {
    const committed = readFileSync(new URL('../../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConfigDocs());
  });

  it('lists every key with its environment variable', () => {
    const text = renderConfigDocs();
    for (const k of CONFIG_KEYS) expect(text).toContain(`| \`${k.path}\` | \`${envName(k.path)}\` |`);
  });
});
