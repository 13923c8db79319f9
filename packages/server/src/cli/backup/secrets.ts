// The secrets a restore needs: auth.jwt_secret (tokens and API keys keep working) and
// encryption_key (TOTP secrets, provider tokens and webhook secrets stay readable; the
// database password of the request pool derives from it). A backup names them with a
// SHA-256 fingerprint; only --include-secrets writes their values, to secrets/secrets.json
// (mode 0600), so that a copy of the backup alone does not give them away.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { resolveSecrets, type ConfigValues } from '../../config/index.ts';
import { sha256Hex, type ManifestSecret } from './manifest.ts';

export const SECRETS_FILE = 'secrets/secrets.json';

export interface SecretValues {
  jwt_secret?: string;
  encryption_key?: string;
}

/** The secrets as the server would use them (configured, or the development ones of data_dir), without generating any. */
export function currentSecrets(values: ConfigValues): SecretValues {
  try {
    const { config } = resolveSecrets(values, { generate: false });
    return { jwt_secret: config.auth.jwt_secret, encryption_key: config.encryption_key };
  } catch {
    // Partly configured: take what is there.
    let stored: SecretValues = {};
    const file = path.join(values.data_dir, 'secrets.json');
    if (existsSync(file)) {
      try {
        stored = JSON.parse(readFileSync(file, 'utf8')) as SecretValues;
      } catch {
        stored = {};
      }
    }
    return { jwt_secret: values.auth.jwt_secret || stored.jwt_secret, encryption_key: values.encryption_key || stored.encryption_key };
  }
}

export const SECRET_NAMES = [['auth.jwt_secret', 'jwt_secret'], ['encryption_key', 'encryption_key']] as const;

export function secretEntries(values: SecretValues, included: boolean): ManifestSecret[] {
  return SECRET_NAMES.map(([name, key]) => ({ name, sha256: values[key] ? sha256Hex(values[key]) : null, included: included && values[key] !== undefined }));
}

/** Secrets of the backup that differ from (or are missing in) the target's, by name. */
export function secretMismatches(manifest: ManifestSecret[], target: SecretValues): { name: string; problem: 'missing' | 'different' }[] {
  const out: { name: string; problem: 'missing' | 'different' }[] = [];
  for (const [name, key] of SECRET_NAMES) {
    const entry = manifest.find((s) => s.name === name);
    if (!entry?.sha256) continue;
    const value = target[key];
    if (!value) out.push({ name, problem: 'missing' });
    else if (sha256Hex(value) !== entry.sha256) out.push({ name, problem: 'different' });
  }
  return out;
}
