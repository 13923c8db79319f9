// Renders docs/configuration.md from the schema, so the reference can never drift from
// the code (a test compares the committed file with this output).
import { CONFIG_KEYS, envName, type KeySpec } from './schema.ts';

function formatDefault(spec: KeySpec): string {
  if (spec.note) return spec.note;
  const d = spec.default;
  if (d === undefined) return 'unset';
  if (Array.isArray(d)) return d.length === 0 ? '`[]` (empty)' : `\`${d.join(',')}\``;
  if (d === '') return '`""` (empty)';
  return `\`${String(d)}\``;
}

export function renderConfigDocs(): string {
  const sections = new Map<string, KeySpec[]>();
  for (const spec of CONFIG_KEYS) {
    const section = spec.path.includes('.') ? spec.path.split('.')[0]! : '(top level)';
    const list = sections.get(section) ?? [];
    list.push(spec);
    sections.set(section, list);
  }
  const out: string[] = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/server/src/config/schema.ts by `node --import tsx scripts/gen-config-docs.ts`. Do not edit by hand: a test fails when this file and the schema disagree. -->',
    '',
    'Fluxbase reads its configuration from, in order (later wins):',
    '',
    '1. the defaults below;',
    '2. `fluxbase.yaml` in the working directory, or the file given with `fluxbase serve --config <file>`;',
    '3. environment variables: key `section.sub.key` is read from `FLUXBASE_SECTION_SUB_KEY` (`DATABASE_URL` is also accepted for `database.url`).',
    '',
    'Durations are `<n>ms|s|m|h|d` (a bare number is seconds), sizes are bytes or `<n>KB|MB|GB` (binary: 1 KB = 1024 bytes),',
    'lists are comma-separated in the environment (YAML lists also work), rates are `<count>/<window>` (`100/1m`).',
    'Every invalid or unknown key is reported at once when the server starts.',
    '',
    'Example `fluxbase.yaml`:',
    '',
    '```yaml',
    'server:',
    '  port: 8080',
    '  public_url: https://api.example.com',
    'database:',
    '  url: postgres://fluxbase:secret@db.internal:5432/app',
    '  max_connections: 50',
    'auth:',
    '  jwt_expiry: 15m',
    '```',
    '',
    'The same settings from the environment:',
    '',
    '```sh',
    'FLUXBASE_SERVER_PORT=8080 FLUXBASE_DATABASE_URL=postgres://fluxbase:secret@db.internal:5432/app npm start',
    '```',
    '',
    'OAuth providers are configured as `auth.oauth.<provider>.{enabled, client_id, client_secret, issuer_url, scopes}` in the YAML file,',
    'or from the environment as `FLUXBASE_AUTH_OAUTH_<PROVIDER>_<FIELD>` (e.g. `FLUXBASE_AUTH_OAUTH_GOOGLE_CLIENT_ID`; see docs/auth.md).',
    '',
  ];
  for (const [section, specs] of sections) {
    out.push(`## ${section}`, '', '| Key | Environment variable | Default | Description |', '|---|---|---|---|');
    for (const spec of specs) {
      out.push(`| \`${spec.path}\` | \`${envName(spec.path)}\` | ${formatDefault(spec)} | ${spec.description.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
