// Regenerates docs/configuration.md from the configuration schema.
import { writeFileSync } from 'node:fs';
import { renderConfigDocs } from '../packages/server/src/config/index.ts';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigDocs());
console.log('wrote docs/configuration.md');
