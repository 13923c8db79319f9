import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, mergeOverrides } from './load.ts';
import { CONFIG_KEYS, envName } from './schema.ts';
import { decodeEncryptionKey, resolveSecrets } from './secrets.ts';
import { formatSize, parseDuration, parseSize } from './values.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fluxbase-config-'));

describe('value parsers', () => {
  it.each([['30s', 30_000], ['500ms', 500], ['5m', 300_000], ['1h', 3_600_000], ['7d', 604_800_000], ['1.5s', 1500], ['30', 30_000], ['0', 0]])('duration %s', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });
  it.each([['64KB', 65_536], ['1MB', 1_048_576], ['5GB', 5 * 1024 ** 3], ['100', 100], ['1.5MB', 1_572_864]])('size %s', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });
  it.each([[1_048_576, '1 MB'], [65_536, '64 KB'], [1_572_864, '1.5 MB'], [100 * 1024 ** 2, '100 MB'], [512, '512 bytes']])('formatSize(%d)', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });
});

describe('loadConfig', () => {
  it('has the documented defaults (docs/configuration.md)', () => {
    const c = loadConfig({ env: {}, cwd: tmp() });
    expect(c.server.port).toBe(8080);
    expect(c.server.body_limits.rest_limit).toBe(1_048_576);
    expect(c.server.body_limits.auth_limit).toBe(65_536);
    expect(c.database.max_connections).toBe(50);
    expect(c.database.min_connections).toBe(10);
    expect(c.database.statement_timeout).toBe(30_000);
    expect(c.rate_limit.global).toEqual({ count: 1000, windowMs: 60_000 });
    expect(c.cors.allowed_origins).toEqual(['*']);
    expect(c.api.exposed_schemas).toEqual(['public']);
    expect(c.auth.site_url).toBe('http://localhost:8080');
    expect(c.logging.format).toBe('pretty');
    expect(path.isAbsolute(c.data_dir)).toBe(true);
  });

  it('reads FLUXBASE_<SECTION>_<KEY> and DATABASE_URL', () => {
    const c = loadConfig({
      cwd: tmp(),
      env: {
        FLUXBASE_SERVER_PORT: '9999', FLUXBASE_SERVER_BODY_LIMITS_REST_LIMIT: '2MB', FLUXBASE_CORS_ALLOWED_ORIGINS: 'https://a.com, https://b.com',
        FLUXBASE_API_REQUIRE_FILTER_FOR_MUTATIONS: 'false', FLUXBASE_RATE_LIMIT_LOGIN: '5/30s', DATABASE_URL: 'postgres://u@h/db',
      },
    });
    expect(c.server.port).toBe(9999);
    expect(c.server.body_limits.rest_limit).toBe(2 * 1024 * 1024);
    expect(c.cors.allowed_origins).toEqual(['https://a.com', 'https://b.com']);
    expect(c.api.require_filter_for_mutations).toBe(false);
    expect(c.rate_limit.login).toEqual({ count: 5, windowMs: 30_000 });
    expect(c.database.url).toBe('postgres://u@h/db');
  });

  it('prefers FLUXBASE_DATABASE_URL over DATABASE_URL', () => {
    const c = loadConfig({ cwd: tmp(), env: { DATABASE_URL: 'postgres://a@h/a', FLUXBASE_DATABASE_URL: 'postgres://b@h/b' } });
    expect(c.database.url).toBe('postgres://b@h/b');
  });

  it('layers defaults → fluxbase.yaml → env', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'fluxbase.yaml'), 'server:\n  port: 7000\n  host: 127.0.0.1\ndatabase:\n  max_connections: 20\n');
    const c = loadConfig({ cwd: dir, env: { FLUXBASE_SERVER_PORT: '7001' } });
    expect(c.server.port).toBe(7001);
    expect(c.server.host).toBe('127.0.0.1');
    expect(c.database.max_connections).toBe(20);
  });

  it('reads the file given with --config', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'other.yaml'), 'api:\n  max_page_size: 50\n');
    expect(loadConfig({ cwd: dir, env: {}, file: 'other.yaml' }).api.max_page_size).toBe(50);
  });

  it('reports every invalid and unknown key at once', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'fluxbase.yaml'), 'server:\n  prot: 1\n  port: 70000\nnosuch: true\n');
    let error: unknown;
    try {
      loadConfig({ cwd: dir, env: { FLUXBASE_DATABASE_STATEMENT_TIMEOUT: 'soon', FLUXBASE_RATE_LIMIT_GLOBAL: 'lots', FLUXBASE_LOGGING_LEVEL: 'loud' } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/server\.prot .*unknown key/);
    expect(problems).toMatch(/nosuch .*unknown key/);
    expect(problems).toMatch(/server\.port .*65535/);
    expect(problems).toMatch(/database\.statement_timeout \(from FLUXBASE_DATABASE_STATEMENT_TIMEOUT\).*duration/);
    expect(problems).toMatch(/rate_limit\.global .*rate like 100\/1m/);
    expect(problems).toMatch(/logging\.level/);
    expect((error as ConfigError).problems.length).toBe(6);
  });

  it('refuses a header timeout longer than the request timeout, or none, naming both keys', () => {
    const dir = tmp();
    expect(() => loadConfig({ cwd: dir, env: { FLUXBASE_SERVER_HEADERS_TIMEOUT: '90s', FLUXBASE_SERVER_REQUEST_TIMEOUT: '60s' } }))
      .toThrow(/server\.headers_timeout \(90000 ms\) must not exceed server\.request_timeout \(60000 ms\)/);
    expect(() => loadConfig({ cwd: dir, env: { FLUXBASE_SERVER_HEADERS_TIMEOUT: '0s' } })).toThrow(/server\.headers_timeout must be greater than 0/);
    // request_timeout 0 (disabled) leaves headers_timeout free.
    expect(loadConfig({ cwd: dir, env: { FLUXBASE_SERVER_HEADERS_TIMEOUT: '90s', FLUXBASE_SERVER_REQUEST_TIMEOUT: '0' } }).server.headers_timeout).toBe(90_000);
  });

  it('reports a YAML syntax error with the file name', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'fluxbase.yaml'), 'server: [unclosed\n');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/fluxbase\.yaml/);
  });

  it('names every key with a description and an env name', () => {
    for (const k of CONFIG_KEYS) {
      expect(k.description.length, k.path).toBeGreaterThan(5);
      expect(envName(k.path)).toMatch(/^FLUXBASE_[A-Z0-9_]+$/);
    }
    expect(envName('server.body_limits.rest_limit')).toBe('FLUXBASE_SERVER_BODY_LIMITS_REST_LIMIT');
  });
});

describe('mergeOverrides', () => {
  it('merges nested sections, replacing scalars and lists', () => {
    expect(mergeOverrides({ server: { port: 1, host: 'a' }, cors: { allowed_origins: ['x'] } }, { server: { port: 2 }, cors: { allowed_origins: ['y'] } }))
      .toEqual({ server: { port: 2, host: 'a' }, cors: { allowed_origins: ['y'] } });
  });
});

describe('secrets', () => {
  it('refuses to start in production without secrets and names the variables', () => {
    const values = loadConfig({ cwd: tmp(), env: { FLUXBASE_ENV: 'production' } });
    expect(() => resolveSecrets(values)).toThrow(/FLUXBASE_AUTH_JWT_SECRET[\s\S]*FLUXBASE_ENCRYPTION_KEY/);
  });

  it('accepts production secrets from the environment', () => {
    const values = loadConfig({ cwd: tmp(), env: { FLUXBASE_ENV: 'production', FLUXBASE_AUTH_JWT_SECRET: 'x'.repeat(40), FLUXBASE_ENCRYPTION_KEY: 'ab'.repeat(32) } });
    const { config, generated } = resolveSecrets(values);
    expect(generated).toEqual([]);
    expect(config.encryptionKeyBytes.length).toBe(32);
  });

  it('refuses a short jwt secret and a key that is not 32 bytes', () => {
    const values = loadConfig({ cwd: tmp(), env: { FLUXBASE_ENV: 'production', FLUXBASE_AUTH_JWT_SECRET: 'short', FLUXBASE_ENCRYPTION_KEY: 'abc' } });
    expect(() => resolveSecrets(values)).toThrow(/at least 32 characters[\s\S]*32 bytes/);
  });

  it('generates development secrets once, keeps them 0600 in the data dir, and reuses them', () => {
    const dir = tmp();
    const values = loadConfig({ cwd: dir, env: { FLUXBASE_DATA_DIR: path.join(dir, 'data') } });
    const first = resolveSecrets(values);
    expect(first.generated).toEqual(['auth.jwt_secret', 'encryption_key']);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const second = resolveSecrets(values);
    expect(second.generated).toEqual([]);
    expect(second.config.auth.jwt_secret).toBe(first.config.auth.jwt_secret);
    expect(second.config.encryption_key).toBe(first.config.encryption_key);
    expect(JSON.parse(readFileSync(first.file, 'utf8')).jwt_secret).toBe(first.config.auth.jwt_secret);
  });

  it.each([['hex', 'ab'.repeat(32)], ['base64', Buffer.alloc(32, 7).toString('base64')], ['raw', 'k'.repeat(32)]])('decodes a %s encryption key', (_k, value) => {
    expect(decodeEncryptionKey(value)?.length).toBe(32);
  });
});

describe('auth.oauth providers', () => {
  const oauthOf = (values: ReturnType<typeof loadConfig>) => (values.auth as { oauth?: Record<string, Record<string, unknown>> }).oauth;

  it('merges the file, FLUXBASE_AUTH_OAUTH_<PROVIDER>_<FIELD> and overrides per provider', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-config-'));
    writeFileSync(path.join(dir, 'fluxbase.yaml'), 'auth:\n  oauth:\n    google:\n      client_id: from-file\n      client_secret: file-secret\n    github:\n      client_id: gh\n');
    const values = loadConfig({
      cwd: dir,
      env: { FLUXBASE_AUTH_OAUTH_GOOGLE_CLIENT_ID: 'from-env', FLUXBASE_AUTH_OAUTH_MY_IDP_ISSUER_URL: 'https://idp.example.com', FLUXBASE_AUTH_OAUTH_MY_IDP_SCOPES: 'openid, email', FLUXBASE_AUTH_OAUTH_MY_IDP_ENABLED: 'true' },
      overrides: { auth: { oauth: { github: { enabled: false } } } },
    });
    expect(oauthOf(values)).toEqual({
      google: { client_id: 'from-env', client_secret: 'file-secret' },
      github: { client_id: 'gh', enabled: false },
      my_idp: { issuer_url: 'https://idp.example.com', scopes: ['openid', 'email'], enabled: true },
    });
  });

  it('has no oauth block when nothing configures one', () => {
    expect(oauthOf(loadConfig({ cwd: os.tmpdir(), env: {} }))).toBeUndefined();
  });
});
