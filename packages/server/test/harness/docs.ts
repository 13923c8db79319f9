// Reading a doc's code blocks, for the tests that run docs/ examples as written.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The text of docs/<name> and its fenced `lang` blocks under a `## heading` (up to the next `## `). */
export function docBlocks(name: string): { text: string; blocksUnder(heading: string, lang: string): string[] } {
  const text = readFileSync(fileURLToPath(new URL(`../../../../docs/${name}`, import.meta.url)), 'utf8');
  return {
    text,
    blocksUnder(heading, lang) {
      const start = text.indexOf(`\n${heading}\n`);
      if (start < 0) throw new Error(`no "${heading}" heading in docs/${name}`);
      const next = text.indexOf('\n## ', start + heading.length + 2);
      const section = text.slice(start, next < 0 ? undefined : next);
      return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``, 'g'))].map((m) => m[1]!);
    },
  };
}
