// `fluxbase encryption-key rotate --old-key <old>`: re-encrypt every stored secret (TOTP
// secrets, OAuth client secrets and tokens) from the previous key to the configured
// encryption_key. Run it with the server stopped, after setting the new key.
import type { Command } from 'commander';
import postgres from 'postgres';
import { createSecretBox, rotateEncryptionKey } from '../auth/index.ts';
import { rekeySecrets } from '../functions/index.ts';
import { rekeyWebhookSecrets } from '../webhooks/index.ts';
import { decodeEncryptionKey } from '../config/index.ts';
import { startEmbeddedPostgres } from '../db/index.ts';
import { resolveConfig } from '../main.ts';
import { createLogger } from '../observability/index.ts';

export function registerEncryptionKeyCommand(program: Command): void {
  program.command('encryption-key').description('manage encryption_key')
    .command('rotate')
    .description('re-encrypt stored secrets from --old-key to the configured encryption_key (stop the server first)')
    .requiredOption('--old-key <key>', 'the previous encryption_key (64 hex characters, base64 of 32 bytes, or 32 characters)')
    .action(async (opts: { oldKey: string }) => {
      const { config } = resolveConfig({ file: program.opts<{ config?: string }>().config });
      const old = decodeEncryptionKey(opts.oldKey);
      if (!old) {
        console.error('fluxbase: --old-key must be 32 bytes (64 hex characters, base64, or 32 characters)');
        process.exit(1);
      }
      const logger = createLogger({ level: config.logging.level, format: config.logging.format ?? 'json' });
      const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ dataDir: config.data_dir, logger });
      const sql = postgres(config.database.url || embedded!.url, { max: 1, onnotice: () => {} });
      try {
        const auth = await rotateEncryptionKey(sql, old, config.encryptionKeyBytes);
        // Function secrets (functions.secrets) are sealed with the same key,
        const fns = await sql.begin((tx) => rekeySecrets(tx, createSecretBox(old), createSecretBox(config.encryptionKeyBytes)));
        // And webhook secrets (webhooks.webhooks).
        const hooks = await sql.begin((tx) => rekeyWebhookSecrets(tx, createSecretBox(old), createSecretBox(config.encryptionKeyBytes)));
        const r = { resealed: auth.resealed + fns.resealed + hooks.resealed, unchanged: auth.unchanged + fns.unchanged + hooks.unchanged };
        console.log(`re-encrypted ${r.resealed} secret(s); ${r.unchanged} already under the new key`);
      } catch (err) {
        console.error(`fluxbase: ${(err as Error).message}`);
        process.exitCode = 1;
      } finally {
        await sql.end();
        await embedded?.stop();
      }
    });
}
