// `fluxbase restore <backup>`: all or nothing. Every check runs before anything is
// touched (manifest format and migration version, every file's checksum, the secrets,
// an empty or --force'd target, no server running on it); then the database and the
// storage objects are restored beside their targets (a scratch database, a temporary
// directory) and checked, and only then swapped in by renaming. A failure removes what
// was created and leaves the targets as they were.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import type { ConfigValues } from '../../config/index.ts';
import { CliError } from '../context.ts';
import { withClusterRunning } from './cluster-check.ts';
import { DUMP_PREFIX, ensureRoles, pgRestore, quoteIdent, ROLES_FILE, scratchName, withDatabase, type RoleRow } from './logical.ts';
import { checkMigrationVersion, readManifest, type Manifest } from './manifest.ts';
import { postgresOsUser, reachableClusterDir } from './os-user.ts';
import { extractTree, materialiseCluster } from './restore-files.ts';
import { currentSecrets, SECRETS_FILE, secretMismatches, type SecretValues } from './secrets.ts';
import { nonEmptyDir, STORAGE_PREFIX } from './storage-copy.ts';
import { checkFiles, describeProblems } from './verify.ts';

export interface RestoreOptions {
  targetDatabase?: string;
  targetDataDir?: string;
  storageDir?: string;
  force: boolean;
  dryRun: boolean;
  jobs: number;
  /** Highest of Fluxbase's own migrations this binary ships. */
  shippedMigration: number;
  log: (line: string) => void;
}

export interface TargetServer {
  url: string;
  sql: postgres.Sql;
  close(): Promise<void>;
}

const suffix = () => randomBytes(4).toString('hex');

/** The postmaster of a cluster directory, if one runs. */
function clusterRunning(clusterDir: string): boolean {
  try {
    const pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!(pid > 0)) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  } catch {
    return false;
  }
}

/** Swap `fresh` into `target`: the old one moved aside and removed only after the rename succeeded. */
function swapDir(fresh: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true });
  const aside = existsSync(target) ? `${target}.replaced-${suffix()}` : undefined;
  if (aside) renameSync(target, aside);
  try {
    renameSync(fresh, target);
  } catch (err) {
    if (aside) renameSync(aside, target);
    throw err;
  }
  if (aside) rmSync(aside, { recursive: true, force: true });
}

interface SecretsPlan {
  write?: { file: string; values: SecretValues };
}

/** Check the target's secrets against the backup's; what to write, or a refusal naming the fix. */
function planSecrets(dir: string, manifest: Manifest, values: ConfigValues, dataDir: string, force: boolean): SecretsPlan {
  const target = currentSecrets({ ...values, data_dir: dataDir });
  const mismatches = secretMismatches(manifest.secrets, target);
  const included = manifest.secrets.some((s) => s.included);
  const configured = Boolean(values.auth.jwt_secret || values.encryption_key);
  if (included && !configured) {
    const stored = JSON.parse(readFileSync(path.join(dir, SECRETS_FILE), 'utf8')) as SecretValues;
    if (mismatches.some((m) => m.problem === 'different') && !force) {
      throw new CliError(`${path.join(dataDir, 'secrets.json')} holds other secrets than the backup (${mismatches.map((m) => m.name).join(', ')}): pass --force to replace them with the backup's`);
    }
    return mismatches.length > 0 ? { write: { file: path.join(dataDir, 'secrets.json'), values: stored } } : {};
  }
  if (mismatches.length > 0 && !force) {
    const what = mismatches.map((m) => `${m.name} is ${m.problem === 'missing' ? 'not set' : 'different'}`).join(', ');
    throw new CliError(
      `the target's secrets do not match the backup's (${what}; fingerprints in ${path.join(dir, 'manifest.json')}): configure the backed-up values ` +
        `(FLUXBASE_AUTH_JWT_SECRET, FLUXBASE_ENCRYPTION_KEY or their keys in fluxbase.yaml), or pass --force to restore anyway ` +
        '(tokens signed with the old secret stop working and values encrypted with the old key become unreadable)',
    );
  }
  return {};
}

export async function restoreBackup(dir: string, values: ConfigValues, options: RestoreOptions, openServer: () => Promise<TargetServer>): Promise<void> {
  const backupDir = path.resolve(dir);
  const manifest = readManifest(backupDir);
  checkMigrationVersion(manifest, options.shippedMigration);
  const problems = await checkFiles(backupDir, manifest, options.jobs);
  if (problems.length > 0) throw new CliError(`${backupDir} is corrupt or incomplete, nothing was restored: ${describeProblems(problems)}`);

  const dataDir = path.resolve(options.targetDataDir ?? values.data_dir);
  const secrets = planSecrets(backupDir, manifest, values, dataDir, options.force);
  const hasStorage = manifest.files.some((f) => f.path.startsWith(`${STORAGE_PREFIX}/`));
  const storageTarget = path.resolve(options.storageDir ?? (options.targetDataDir ? path.join(dataDir, 'storage') : values.storage.local_path ?? path.join(dataDir, 'storage')));
  if (hasStorage && nonEmptyDir(storageTarget) && !options.force) {
    throw new CliError(`the storage folder ${storageTarget} is not empty: pass --force to replace it, or --storage-dir <empty dir>`);
  }

  if (manifest.method === 'physical') {
    await restorePhysical(backupDir, manifest, dataDir, options, secrets, hasStorage ? storageTarget : undefined);
  } else {
    await restoreLogical(backupDir, manifest, values, options, secrets, hasStorage ? storageTarget : undefined, openServer);
  }
}

/** The embedded state file of a data dir: the cluster's location and the superuser password. */
function stateOf(dataDir: string): { file: string; state: { password?: string; port?: number; cluster_dir?: string }; clusterDir: string } {
  const file = path.join(dataDir, 'embedded-postgres.json');
  let state: { password?: string; port?: number; cluster_dir?: string } = {};
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as typeof state;
  } catch {
    state = {};
  }
  return { file, state, clusterDir: state.cluster_dir ?? reachableClusterDir(dataDir) };
}

async function restoreStorageInto(backupDir: string, manifest: Manifest, target: string, jobs: number): Promise<string> {
  const tmp = `${target}.restoring-${suffix()}`;
  await extractTree(backupDir, manifest, STORAGE_PREFIX, tmp, jobs);
  chmodSync(tmp, 0o755);
  return tmp;
}

function finishSecrets(plan: SecretsPlan, log: (l: string) => void): void {
  if (!plan.write) return;
  mkdirSync(path.dirname(plan.write.file), { recursive: true });
  const tmp = `${plan.write.file}.${suffix()}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(plan.write.values, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, plan.write.file);
  log(`wrote the backup's secrets to ${plan.write.file}`);
}

async function restorePhysical(backupDir: string, manifest: Manifest, dataDir: string, options: RestoreOptions, secrets: SecretsPlan, storageTarget: string | undefined): Promise<void> {
  const { file: stateFile, state, clusterDir } = stateOf(dataDir);
  if (clusterRunning(clusterDir)) throw new CliError(`a PostgreSQL server is running on ${clusterDir}: stop Fluxbase (and that server) first, then restore`);
  if (nonEmptyDir(clusterDir) && !options.force) {
    throw new CliError(`${clusterDir} already holds a database: pass --force to replace it, or restore into another data dir with --target-data-dir <dir>`);
  }
  if (options.dryRun) {
    options.log(`would restore the physical backup of ${manifest.created_at} (PostgreSQL ${manifest.postgres_version}, migration ${manifest.migration_version}) into ${clusterDir}${nonEmptyDir(clusterDir) ? ' (replacing it)' : ''}`);
    if (storageTarget) options.log(`would restore ${manifest.storage.objects} storage object file(s) into ${storageTarget}`);
    if (secrets.write) options.log(`would write the backup's secrets to ${secrets.write.file}`);
    return;
  }
  mkdirSync(path.dirname(clusterDir), { recursive: true });
  if (postgresOsUser()) {
    // The postgres OS user must traverse to the cluster, as db/embedded.ts arranges on a start.
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o755);
    chmodSync(path.dirname(clusterDir), 0o755);
  }
  const tmpCluster = `${clusterDir}.restoring-${suffix()}`;
  let tmpStorage: string | undefined;
  const password = randomBytes(24).toString('base64url');
  try {
    await materialiseCluster(backupDir, manifest, tmpCluster, options.jobs);
    options.log(`extracted the cluster; starting it to replay its WAL`);
    await withClusterRunning(tmpCluster, manifest.postgres_major, async (sql, urlFor) => {
      await sql.unsafe(`alter role postgres with password '${password}'`);
      const { default: pg } = await import('postgres');
      const db = pg(urlFor(manifest.database_name), { max: 1, onnotice: () => {} });
      try {
        const [row] = await db<{ v: number }[]>`select coalesce(max(version), 0)::int as v from fluxbase.schema_migrations`;
        if (row!.v !== manifest.migration_version) throw new CliError(`the restored database is at migration ${row!.v}, the manifest says ${manifest.migration_version}: the backup is inconsistent; use another backup`);
      } finally {
        await db.end({ timeout: 5 });
      }
    });
    if (storageTarget) tmpStorage = await restoreStorageInto(backupDir, manifest, storageTarget, options.jobs);
  } catch (err) {
    rmSync(tmpCluster, { recursive: true, force: true });
    if (tmpStorage) rmSync(tmpStorage, { recursive: true, force: true });
    throw err;
  }
  // Everything is ready: swap in.
  swapDir(tmpCluster, clusterDir);
  if (tmpStorage && storageTarget) swapDir(tmpStorage, storageTarget);
  const next = { ...state, password };
  delete next.port;
  if (clusterDir !== path.join(dataDir, 'postgres')) next.cluster_dir = clusterDir;
  writeFileSync(stateFile, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  chmodSync(stateFile, 0o600);
  finishSecrets(secrets, options.log);
  options.log(`restored the database into ${clusterDir}${storageTarget ? ` and ${manifest.storage.objects} storage object file(s) into ${storageTarget}` : ''}`);
}

async function restoreLogical(
  backupDir: string, manifest: Manifest, values: ConfigValues, options: RestoreOptions, secrets: SecretsPlan, storageTarget: string | undefined,
  openServer: () => Promise<TargetServer>,
): Promise<void> {
  const server = await openServer();
  const configured = values.database.url ? decodeURIComponent(new URL(values.database.url).pathname.slice(1)) : '';
  const targetName = options.targetDatabase ?? (configured || manifest.database_name);
  let scratch: string | undefined;
  let tmpStorage: string | undefined;
  // Renaming or dropping a database needs a session in another one: when the server
  // connection sits in the target itself (the embedded `postgres`), work from template1.
  let sql = server.sql;
  let adminUrl = server.url;
  if (decodeURIComponent(new URL(server.url).pathname.slice(1)) === targetName) {
    const { default: pg } = await import('postgres');
    adminUrl = withDatabase(server.url, 'template1');
    sql = pg(adminUrl, { max: 1, onnotice: () => {} });
    await server.sql.end({ timeout: 5 });
  }
  try {
    const [exists] = await sql<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${targetName}`;
    const targetExists = exists!.n > 0;
    if (targetExists) {
      const [activity] = await sql<{ others: number }[]>`select count(*)::int as others from pg_stat_activity where datname = ${targetName} and pid <> pg_backend_pid()`;
      const others = activity!.others;
      const tables = await countTables(adminUrl, targetName);
      if (tables > 0 && !options.force) throw new CliError(`the database ${targetName} is not empty (${tables} tables): pass --force to replace it, or restore into another one with --target-database <name>`);
      if (others > 0) throw new CliError(`${others} connection(s) are open to the database ${targetName}: stop the Fluxbase server (and other clients) first, then restore`);
    }
    if (options.dryRun) {
      options.log(`would restore the logical backup of ${manifest.created_at} (pg_dump ${manifest.dump_tool_major}, migration ${manifest.migration_version}) into the database ${targetName}${targetExists ? ' (replacing it)' : ' (created)'}`);
      if (storageTarget) options.log(`would restore ${manifest.storage.objects} storage object file(s) into ${storageTarget}`);
      if (secrets.write) options.log(`would write the backup's secrets to ${secrets.write.file}`);
      return;
    }
    const roles = JSON.parse(readFileSync(path.join(backupDir, ROLES_FILE), 'utf8')) as RoleRow[];
    const created = await ensureRoles(sql, roles);
    if (created.length > 0) options.log(`created role(s) ${created.join(', ')}`);
    scratch = scratchName(targetName, 'restoring');
    await sql.unsafe(`create database ${quoteIdent(scratch)} template template0`);
    options.log(`restoring into the scratch database ${scratch}`);
    await pgRestore(manifest.dump_tool_major ?? manifest.postgres_major, adminUrl, scratch, path.join(backupDir, DUMP_PREFIX), options.jobs);
    const { default: pg } = await import('postgres');
    const check = pg(withDatabase(adminUrl, scratch), { max: 1, onnotice: () => {} });
    try {
      const [row] = await check<{ v: number }[]>`select coalesce(max(version), 0)::int as v from fluxbase.schema_migrations`;
      if (row!.v !== manifest.migration_version) throw new CliError(`the restored database is at migration ${row!.v}, the manifest says ${manifest.migration_version}: the backup is inconsistent; use another backup`);
    } finally {
      await check.end({ timeout: 5 });
    }
    if (storageTarget) tmpStorage = await restoreStorageInto(backupDir, manifest, storageTarget, options.jobs);
    // Swap: the old database renamed aside, the scratch one renamed in, the old one dropped.
    let aside: string | undefined;
    if (targetExists) {
      aside = scratchName(targetName, 'replaced');
      await sql.unsafe(`alter database ${quoteIdent(targetName)} rename to ${quoteIdent(aside)}`);
    }
    try {
      await sql.unsafe(`alter database ${quoteIdent(scratch)} rename to ${quoteIdent(targetName)}`);
    } catch (err) {
      if (aside) await sql.unsafe(`alter database ${quoteIdent(aside)} rename to ${quoteIdent(targetName)}`);
      throw err;
    }
    scratch = undefined;
    const [authenticator] = await sql`select 1 from pg_roles where rolname = 'fluxbase_authenticator'`;
    if (authenticator) await sql.unsafe(`grant connect on database ${quoteIdent(targetName)} to fluxbase_authenticator`);
    if (aside) await sql.unsafe(`drop database ${quoteIdent(aside)} with (force)`);
    if (tmpStorage && storageTarget) {
      swapDir(tmpStorage, storageTarget);
      tmpStorage = undefined;
    }
    finishSecrets(secrets, options.log);
    options.log(`restored the database ${targetName}${storageTarget ? ` and ${manifest.storage.objects} storage object file(s) into ${storageTarget}` : ''}`);
  } catch (err) {
    if (scratch) await sql.unsafe(`drop database if exists ${quoteIdent(scratch)} with (force)`).catch(() => {});
    if (tmpStorage) rmSync(tmpStorage, { recursive: true, force: true });
    throw err;
  } finally {
    if (sql !== server.sql) await sql.end({ timeout: 5 });
    await server.close();
  }
}

/** Tables outside the system schemas in `database` (0 when it cannot be read). */
async function countTables(url: string, database: string): Promise<number> {
  const { default: pg } = await import('postgres');
  const db = pg(withDatabase(url, database), { max: 1, onnotice: () => {} });
  try {
    const [row] = await db<{ n: number }[]>`select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`;
    return row!.n;
  } finally {
    await db.end({ timeout: 5 });
  }
}
