// `fluxbase keys`: the anon and service-role keys of the server whose configuration this
// folder (or --config / --data-dir) points at. Never generates secrets: with none to be
// found it says where it looked. Keys are derived from auth.jwt_secret and are the same
// as the server prints at start; when the database can be reached without starting it,
// they are moved past the last service-role revocation, as the server's are.
import type { Command } from 'commander';
import postgres from 'postgres';
import { currentApiKeys, mintApiKeys, type ApiKeys } from '../auth/index.ts';
import { findJwtSecret, type ConfigValues } from '../config/index.ts';
import { embeddedClusterInfo } from '../db/index.ts';
import { clientUrl, fail, globalOptions, loadCliValues } from './context.ts';

async function keysNow(config: ConfigValues, secret: string): Promise<ApiKeys> {
  const embedded = embeddedClusterInfo(config.data_dir);
  const url = config.database.url || (embedded.running ? embedded.url : undefined);
  if (!url) return mintApiKeys(secret);
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    return await currentApiKeys(sql, secret);
  } catch {
    return mintApiKeys(secret); // unreachable or not migrated yet: no revocation to honour
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

/** Shell-safe single-quoted value. */
const quote = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

export function registerKeysCommand(program: Command): void {
  program
    .command('keys')
    .description('print the anon and service_role API keys of the server configured here')
    .option('--json', 'print JSON: {"url", "anon", "service_role"}')
    .option('--env', 'print shell export lines (FLUXBASE_URL, FLUXBASE_ANON_KEY, FLUXBASE_SERVICE_ROLE_KEY): eval "$(npx fluxbase keys --env)"')
    .action(async (opts: { json?: boolean; env?: boolean }) => {
      try {
        const config = loadCliValues(program);
        const keys = await keysNow(config, findJwtSecret(config, globalOptions(program).config));
        const url = clientUrl(config);
        if (opts.json) console.log(JSON.stringify({ url, ...keys }));
        else if (opts.env) {
          console.log(`export FLUXBASE_URL=${quote(url)}\nexport FLUXBASE_ANON_KEY=${quote(keys.anon)}\nexport FLUXBASE_SERVICE_ROLE_KEY=${quote(keys.service_role)}`);
        } else console.log(`url:              ${url}\nanon key:         ${keys.anon}\nservice_role key: ${keys.service_role}`);
      } catch (err) {
        fail(err);
      }
    });
}
