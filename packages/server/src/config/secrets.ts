// Secrets: `auth.jwt_secret` and `encryption_key` are required in production. In
// development (and test) they are generated once and kept in `<data_dir>/secrets.json`
// (mode 0600) so tokens and encrypted values survive restarts.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './load.ts';
import { envName, type ConfigValues } from './schema.ts';

export type Config = ConfigValues & {
  auth: ConfigValues['auth'] & { jwt_secret: string };
  encryption_key: string;
  /** The 32 bytes of `encryption_key`. */
  encryptionKeyBytes: Buffer;
};

export interface SecretsOutcome {
  config: Config;
  /** Names of the secrets generated in this call (a warning is logged for them). */
  generated: string[];
  file: string;
}

/** Accepts 64 hex characters, base64 of 32 bytes, or exactly 32 characters. */
export function decodeEncryptionKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (Buffer.byteLength(value, 'utf8') === 32) return Buffer.from(value, 'utf8');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) {
    const b = Buffer.from(value, 'base64');
    if (b.length === 32) return b;
  }
  return undefined;
}

/** Secrets were needed, absent, and not to be generated (`fluxbase keys` and the other tools). */
export class SecretsNotFoundError extends Error {
  override name = 'SecretsNotFoundError';
}

export interface ResolveSecretsOptions {
  /** Generate missing development secrets into the data dir (the server does; tools must not). Default true. */
  generate?: boolean;
  /** Where the configuration file was looked for, for the not-found message. */
  configFile?: string | undefined;
}

/**
 * auth.jwt_secret as the server would use it (configured, or the development one in the
 * data dir), for tools that need only it (`fluxbase keys`); never generates one.
 */
export function findJwtSecret(values: ConfigValues, configFile?: string): string {
  if (values.auth.jwt_secret) return values.auth.jwt_secret;
  const file = path.join(values.data_dir, 'secrets.json');
  let stored: { jwt_secret?: unknown } = {};
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
  } catch {
    // absent or unreadable: reported below
  }
  if (typeof stored.jwt_secret === 'string' && stored.jwt_secret !== '') return stored.jwt_secret;
  throw new SecretsNotFoundError(
    `no Fluxbase server configuration found: auth.jwt_secret is not set (looked in ${configFile ?? 'fluxbase.yaml in the working directory'} ` +
      `and ${envName('auth.jwt_secret')}) and ${file} (the secrets a development server generates in its data dir) ${existsSync(file) ? 'has none' : 'does not exist'}. ` +
      'Run this in the folder where you started the server (`npm start` / `fluxbase serve`), or point at that server with ' +
      '--data-dir <its data dir> or --config <its fluxbase.yaml>.',
  );
}

export function resolveSecrets(values: ConfigValues, options: ResolveSecretsOptions = {}): SecretsOutcome {
  const file = path.join(values.data_dir, 'secrets.json');
  const problems: string[] = [];
  const generated: string[] = [];
  let jwtSecret = values.auth.jwt_secret;
  let encryptionKey = values.encryption_key;

  if (values.env === 'production') {
    if (!jwtSecret) problems.push(`auth.jwt_secret is required in production: set ${envName('auth.jwt_secret')} (at least 32 characters)`);
    if (!encryptionKey) problems.push(`encryption_key is required in production: set ${envName('encryption_key')} (32 bytes: 64 hex characters or base64)`);
  } else if ((!jwtSecret || !encryptionKey) && options.generate === false && !existsSync(file)) {
    findJwtSecret(values, options.configFile); // throws the not-found message
    problems.push(`encryption_key is not set and ${file} does not exist; set ${envName('encryption_key')}`);
  } else if (!jwtSecret || !encryptionKey) {
    let stored: { jwt_secret?: string; encryption_key?: string } = {};
    if (existsSync(file)) {
      try {
        stored = JSON.parse(readFileSync(file, 'utf8')) as typeof stored;
      } catch {
        problems.push(`${file} is not valid JSON: delete it to generate new development secrets`);
      }
    }
    let changed = false;
    if (!jwtSecret) {
      if (!stored.jwt_secret) {
        stored.jwt_secret = randomBytes(32).toString('hex');
        generated.push('auth.jwt_secret');
        changed = true;
      }
      jwtSecret = stored.jwt_secret;
    }
    if (!encryptionKey) {
      if (!stored.encryption_key) {
        stored.encryption_key = randomBytes(32).toString('hex');
        generated.push('encryption_key');
        changed = true;
      }
      encryptionKey = stored.encryption_key;
    }
    if (changed && problems.length === 0) {
      mkdirSync(values.data_dir, { recursive: true });
      writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
      chmodSync(file, 0o600); // umask-independent
    }
  }

  if (jwtSecret && jwtSecret.length < 32) problems.push(`auth.jwt_secret must be at least 32 characters (${envName('auth.jwt_secret')})`);
  const keyBytes = encryptionKey ? decodeEncryptionKey(encryptionKey) : undefined;
  if (encryptionKey && !keyBytes) problems.push(`encryption_key must be 32 bytes: 64 hex characters, base64 of 32 bytes, or 32 characters (${envName('encryption_key')})`);
  if (problems.length > 0) throw new ConfigError(problems);

  const config = {
    ...values,
    auth: { ...values.auth, jwt_secret: jwtSecret! },
    encryption_key: encryptionKey!,
    encryptionKeyBytes: keyBytes!,
  } as Config;
  return { config, generated, file };
}
