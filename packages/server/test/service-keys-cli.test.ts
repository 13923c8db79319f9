// `fluxbase service-keys …` as a user runs it against a running server: create (key
// printed once), list, rotate, deprecate, revoke, revocations, in human and --json form,
// the credential minted from the configured secret, and failures that name their cause.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, startTestApp, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET, type TestApp, type TestDatabase } from './harness/index.ts';

// Each case spawns the CLI (TypeScript compiled on the fly): slow on a shared machine.
vi.setConfig({ testTimeout: 120_000 });

const BIN = fileURLToPath(new URL('../bin/fluxbase.js', import.meta.url));
const run = promisify(execFile);

let db: TestDatabase;
let app: TestApp;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql.unsafe('create table public.gadgets (id serial primary key, name text)');
  app = await startTestApp(db.url, { overrides: { rate_limit: { enabled: false } } });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'fluxbase-sk-cli-'));
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function baseEnv(): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FLUXBASE_') && k !== 'DATABASE_URL')) as Record<string, string>;
  return { ...env, FLUXBASE_DATA_DIR: dataDir, FLUXBASE_URL: app.url };
}

/** Runs the CLI without blocking this process (the server under test lives here). */
async function cli(args: string[], env: Record<string, string> = { FLUXBASE_SERVICE_ROLE_KEY: app.keys.service_role }): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'service-keys', ...args], { env: { ...baseEnv(), ...env }, cwd: os.tmpdir() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const readWith = (key: string) => app.fetch('/rest/v1/gadgets', { headers: { 'X-Service-Key': key } });

describe('fluxbase service-keys', () => {
  let id = '';
  let key = '';
  let liveStored = '';

  it('creates a key (--json) that works, and lists it without the key', async () => {
    const created = await cli(['create', '--name', 'cli key', '--scopes', 'read:tables', '--rate-limit-per-minute', '100', '--json']);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { id: string; key: string; scopes: string[]; rate_limit_per_minute: number };
    expect(body).toMatchObject({ scopes: ['read:tables'], rate_limit_per_minute: 100 });
    ({ id, key } = body);
    expect((await readWith(key)).status).toBe(200);

    const human = await cli(['list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+NAME\s+PREFIX\s+STATUS/);
    const line = human.stdout.split('\n').find((l) => l.startsWith(id));
    expect(line).toContain('cli key');
    expect(line).toContain('active');
    expect(human.stdout).not.toContain(key);
    const json = JSON.parse((await cli(['list', '--json'])).stdout) as Record<string, unknown>[];
    expect(json.find((k) => k.id === id)).not.toHaveProperty('key');
  });

  it('prints a created key once in human form, with a service-role JWT minted from the configured secret', async () => {
    const minted = await cli(['create', '--name', 'minted'], { FLUXBASE_AUTH_JWT_SECRET: TEST_JWT_SECRET, FLUXBASE_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY });
    expect(minted.code).toBe(0);
    const shown = /\b(sk_[A-Za-z0-9_-]{43})\b/.exec(minted.stdout)?.[1];
    expect(shown).toBeDefined();
    expect(minted.stdout).toContain('only time the key is shown');
    expect((await readWith(shown!)).status).toBe(200);
    liveStored = shown!;
  });

  it('rotates: the new key works and the old one stays valid during the grace period', async () => {
    const rotated = await cli(['rotate', id, '--grace-period-hours', '2', '--json']);
    expect(rotated.code).toBe(0);
    const body = JSON.parse(rotated.stdout) as { old_key_id: string; new_key: { id: string; key: string; name: string } };
    expect(body.old_key_id).toBe(id);
    expect(body.new_key.name).toBe('cli key (rotated)');
    expect((await readWith(body.new_key.key)).status).toBe(200);
    expect((await readWith(key)).status).toBe(200);
    id = body.new_key.id;
    key = body.new_key.key;
  });

  it('deprecates, revokes and shows the revocation history', async () => {
    const dep = await cli(['deprecate', id, '--reason', 'moving', '--grace-period-hours', '1']);
    expect(dep.code).toBe(0);
    expect(dep.stdout).toMatch(new RegExp(`Deprecated ${id}; it works until \\d{4}-`));
    const rev = await cli(['revoke', id, '--reason', 'leaked']);
    expect(rev.code).toBe(0);
    expect(rev.stdout).toContain(`Revoked ${id}`);
    expect((await readWith(key)).status).toBe(401);

    const history = JSON.parse((await cli(['revocations', id, '--json'])).stdout) as { revocation_type: string; reason: string }[];
    expect(history.map((h) => [h.revocation_type, h.reason]).sort()).toEqual([['emergency', 'leaked'], ['rotation', 'moving']]);
    const human = await cli(['revocations', id]);
    expect(human.stdout).toMatch(/^WHEN\s+TYPE\s+BY\s+REASON/);
    expect(human.stdout).toContain('emergency');
  });

  it('fails with the server\'s reason and exit code 1', async () => {
    const again = await cli(['revoke', id, '--reason', 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(CONFLICT)');
    const bad = await cli(['create', '--name', 'x', '--scopes', 'read:everything']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('VALIDATION_FAILED');
    expect(bad.stderr).toContain('scopes: unknown scope');
    const noReason = await cli(['revoke', id]);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain('--reason');
    const stored = await cli(['list'], { FLUXBASE_SERVICE_ROLE_KEY: liveStored });
    expect(stored.code).toBe(1);
    expect(stored.stderr).toContain('(ADMIN_REQUIRED)');
    const down = await cli(['list'], { FLUXBASE_SERVICE_ROLE_KEY: app.keys.service_role, FLUXBASE_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach http://127.0.0.1:9');
  });
});
