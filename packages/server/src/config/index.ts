// Configuration: the one zod-validated schema, the loader (defaults → YAML → env) and
// secret resolution. Owns no I/O beyond reading the config file and the development
// secrets file; never read at import time by other modules (values are passed down).
export { loadConfig, mergeOverrides, ConfigError, type LoadOptions } from './load.ts';
export { resolveSecrets, findJwtSecret, decodeEncryptionKey, SecretsNotFoundError, type Config, type SecretsOutcome, type ResolveSecretsOptions } from './secrets.ts';
export { CONFIG_KEYS, envName, type ConfigValues, type KeySpec } from './schema.ts';
export { renderConfigDocs } from './docs.ts';
export { formatSize, parseDuration, parseSize, type Rate } from './values.ts';
