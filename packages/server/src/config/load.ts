// Loads configuration: defaults → fluxbase.yaml (or --config) → FLUXBASE_* environment →
// programmatic overrides. Every key is validated and every problem is reported at once.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CONFIG_KEYS, envName, type ConfigValues, type KeySpec } from './schema.ts';

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Path of a YAML file; when absent `./fluxbase.yaml` is read if it exists. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Nested values applied last (tests, CLI flags). */
  overrides?: Record<string, unknown>;
  cwd?: string;
}

type Tree = Record<string, unknown>;

/** Deep-merges two nested override trees (`b` wins); arrays and scalars are replaced. */
export function mergeOverrides(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? mergeOverrides(prev as Tree, v as Tree)
      : v;
  }
  return out;
}

function getPath(tree: Tree, dotted: string): unknown {
  let node: unknown = tree;
  for (const part of dotted.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Tree)[part];
  }
  return node;
}

function setPath(tree: Tree, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Dotted paths of all leaves of a YAML tree, to find keys the schema does not know. */
function leafPaths(tree: unknown, prefix = ''): string[] {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return [prefix];
  return Object.entries(tree as Tree).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

const KNOWN = new Map<string, KeySpec>(CONFIG_KEYS.map((k) => [k.path, k]));
// Provider blocks are open-ended (`auth.oauth.<provider>.<field>`) and validated by the auth subsystem.
const OPEN_PREFIXES = ['auth.oauth.'];

export function loadConfig(options: LoadOptions = {}): ConfigValues {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const problems: string[] = [];
  const raw: Tree = {};
  const origin = new Map<string, string>();

  // 1. YAML file.
  const file = options.file ?? (existsSync(path.join(cwd, 'fluxbase.yaml')) ? path.join(cwd, 'fluxbase.yaml') : undefined);
  let fileTree: Tree = {};
  if (file) {
    try {
      const parsed: unknown = parseYaml(readFileSync(path.resolve(cwd, file), 'utf8'));
      if (parsed !== null && parsed !== undefined) {
        if (typeof parsed !== 'object' || Array.isArray(parsed)) problems.push(`${file}: expected a mapping of sections`);
        else fileTree = parsed as Tree;
      }
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const leaf of leafPaths(fileTree)) {
      if (leaf === '') continue;
      if (!KNOWN.has(leaf) && !OPEN_PREFIXES.some((p) => leaf.startsWith(p))) {
        problems.push(`${leaf} (${file}): unknown key`);
      }
    }
  }

  for (const spec of CONFIG_KEYS) {
    let value: unknown = spec.default;
    let from = 'default';
    const fromFile = getPath(fileTree, spec.path);
    if (fromFile !== undefined && fromFile !== null) {
      value = fromFile;
      from = file ?? 'file';
    }
    const envKey = envName(spec.path);
    const envValue = env[envKey] ?? (spec.path === 'database.url' ? env.DATABASE_URL : undefined);
    if (envValue !== undefined && envValue !== '') {
      value = envValue;
      from = env[envKey] !== undefined ? envKey : 'DATABASE_URL';
    }
    const override = options.overrides ? getPath(options.overrides, spec.path) : undefined;
    if (override !== undefined) {
      value = override;
      from = 'override';
    }
    if (value === undefined) continue;
    setPath(raw, spec.path, value);
    origin.set(spec.path, from);
  }
  const oauth = oauthBlock(getPath(fileTree, 'auth.oauth'), env, options.overrides ? getPath(options.overrides, 'auth.oauth') : undefined);
  if (oauth !== undefined) setPath(raw, 'auth.oauth', oauth);

  // 2. Validate every key; collect all problems.
  const values: Tree = {};
  for (const spec of CONFIG_KEYS) {
    const value = getPath(raw, spec.path);
    if (value === undefined) continue;
    const result = spec.schema.safeParse(value);
    if (result.success) setPath(values, spec.path, result.data);
    else {
      const from = origin.get(spec.path) ?? 'default';
      const msg = result.error.issues.map((i) => i.message).join('; ');
      problems.push(`${spec.path} (${from === 'default' ? 'default' : `from ${from}`}): ${msg}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (oauth !== undefined) setPath(values, 'auth.oauth', oauth);

  // 3. Rules between keys.
  const cfg = values as unknown as ConfigValues;
  const { server } = cfg;
  if (server.request_timeout > 0 && server.headers_timeout > server.request_timeout) {
    problems.push(`server.headers_timeout (${server.headers_timeout} ms) must not exceed server.request_timeout (${server.request_timeout} ms)`);
  }
  if (server.headers_timeout <= 0) problems.push('server.headers_timeout must be greater than 0');
  if (problems.length > 0) throw new ConfigError(problems);

  // 4. Derived defaults.
  cfg.server.host ??= cfg.env === 'production' ? '0.0.0.0' : '127.0.0.1';
  cfg.auth.site_url ??= cfg.server.public_url;
  cfg.storage.local_path ??= path.join(cfg.data_dir, 'storage');
  cfg.logging.format ??= cfg.env === 'development' ? 'pretty' : 'json';
  cfg.data_dir = path.resolve(cwd, cfg.data_dir);
  cfg.migrations.dir = path.resolve(cwd, cfg.migrations.dir);
  cfg.migrations.seed_file = path.resolve(cwd, cfg.migrations.seed_file);
  cfg.functions.dir = path.resolve(cwd, cfg.functions.dir);
  return cfg;
}

const OAUTH_FIELDS = ['ENABLED', 'CLIENT_ID', 'CLIENT_SECRET', 'ISSUER_URL', 'SCOPES'];

/**
 * `auth.oauth.<provider>.<field>` from the file, then `FLUXBASE_AUTH_OAUTH_<PROVIDER>_<FIELD>`
 * (e.g. FLUXBASE_AUTH_OAUTH_GOOGLE_CLIENT_ID; provider names are lower-cased), then
 * overrides, merged per provider. The auth subsystem validates the result.
 */
function oauthBlock(fromFile: unknown, env: Record<string, string | undefined>, overrides: unknown): Tree | undefined {
  const out: Tree = {};
  const merge = (block: unknown) => {
    if (block === null || typeof block !== 'object' || Array.isArray(block)) return;
    for (const [name, fields] of Object.entries(block as Tree)) {
      const prev = out[name];
      out[name] = fields !== null && typeof fields === 'object' && !Array.isArray(fields) && prev !== null && typeof prev === 'object'
        ? { ...(prev as Tree), ...(fields as Tree) }
        : fields;
    }
  };
  if (fromFile !== undefined && fromFile !== null && (typeof fromFile !== 'object' || Array.isArray(fromFile))) return fromFile as Tree;
  merge(fromFile);
  const fromEnv: Tree = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('FLUXBASE_AUTH_OAUTH_') || value === undefined || value === '') continue;
    const rest = key.slice('FLUXBASE_AUTH_OAUTH_'.length);
    const field = OAUTH_FIELDS.find((f) => rest.endsWith(`_${f}`) && rest.length > f.length + 1);
    if (!field) continue;
    const provider = rest.slice(0, rest.length - field.length - 1).toLowerCase();
    const entry = (fromEnv[provider] ??= {}) as Tree;
    entry[field.toLowerCase()] = field === 'SCOPES' ? value.split(',').map((v) => v.trim()).filter(Boolean) : field === 'ENABLED' ? value === 'true' : value;
  }
  merge(fromEnv);
  merge(overrides);
  return Object.keys(out).length > 0 ? out : undefined;
}
