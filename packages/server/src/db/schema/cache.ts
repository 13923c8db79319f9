// The live schema cache: loads a snapshot at start, then reloads it after DDL (event trigger
// → NOTIFY fluxbase_schema), on `NOTIFY pgrst, 'reload schema'` and on reload(). Bursts of
// notifications are debounced into one load, concurrent reload() calls share one load, and a
// failed load keeps the previous snapshot.
import type postgres from 'postgres';
import type { Logger } from '../../observability/index.ts';
import { buildSnapshot } from './build.ts';
import { introspect, type LoadStats } from './introspect.ts';
import { relationKey } from './relationships.ts';
import type { SchemaCache, SchemaSnapshot, Table } from './types.ts';

/** Channel the DDL event trigger of migration 002 notifies. */
export const SCHEMA_CHANNEL = 'fluxbase_schema';
/** PostgREST's channel: payload `reload schema` (or empty) reloads; `reload config` is ignored. */
export const PGRST_CHANNEL = 'pgrst';

export interface SchemaCacheOptions {
  /** An owner/superuser connection pool: it must see every schema's catalog entries. */
  sql: postgres.Sql;
  /** `api.exposed_schemas`, first is the default (default `['public']` in config). */
  exposedSchemas: string[];
  logger?: Logger;
  /** Quiet time after a notification before reloading; default 100 ms. A burst waits at most 10× this. */
  debounceMs?: number;
}

export type LiveSchemaCache = SchemaCache & { lastLoadStats(): LoadStats };

const UNLISTEN_TIMEOUT_MS = 2000;

/** Whether a notification asks for a schema reload: any on our channel; on `pgrst` only `reload schema` or an empty payload. */
export function wantsReload(channel: string, payload: string): boolean {
  if (channel === SCHEMA_CHANNEL) return true;
  if (channel !== PGRST_CHANNEL) return false;
  const p = payload.trim();
  return p === '' || p === 'reload schema'; // PostgREST's 'reload config' is not ours
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    p.then(() => resolve(), () => resolve()).finally(() => clearTimeout(timer));
  });
}

export function createSchemaCache(options: SchemaCacheOptions): LiveSchemaCache {
  const { sql, logger } = options;
  const exposedSchemas = [...options.exposedSchemas];
  const debounceMs = options.debounceMs ?? 100;
  const maxWaitMs = debounceMs * 10;

  let snapshot: SchemaSnapshot | undefined;
  let stats: LoadStats = { queries: 0, ms: 0 };
  let inFlight: Promise<SchemaSnapshot> | null = null;
  let dirty = false; // a notification arrived during a load: load again afterwards
  let timer: NodeJS.Timeout | null = null;
  let burstStartedAt = 0;
  let stopped = false;
  const listeners = new Set<(s: SchemaSnapshot) => void>();
  const unlistens: (() => Promise<unknown>)[] = [];

  function clearTimer(): void {
    if (timer) clearTimeout(timer);
    timer = null;
  }

  async function loadOnce(): Promise<SchemaSnapshot> {
    try {
      const { rows, stats: s } = await introspect(sql);
      const next = buildSnapshot(rows, { exposedSchemas, version: (snapshot?.version ?? 0) + 1 });
      snapshot = next;
      stats = s;
      logger?.debug({ version: next.version, tables: next.tables.size, functions: next.functions.size, queries: s.queries, ms: Math.round(s.ms) }, 'schema cache loaded');
      for (const listener of listeners) {
        try {
          listener(next);
        } catch (err) {
          logger?.warn({ err }, 'schema cache reload listener failed');
        }
      }
      return next;
    } catch (err) {
      logger?.warn({ err, version: snapshot?.version ?? 0 }, 'schema cache reload failed; keeping the previous snapshot');
      throw err;
    }
  }

  function load(): Promise<SchemaSnapshot> {
    if (inFlight) return inFlight;
    clearTimer(); // this load starts after every notification received so far
    inFlight = loadOnce().finally(() => {
      inFlight = null;
      if (dirty) {
        dirty = false;
        schedule();
      }
    });
    return inFlight;
  }

  /** reload(): a load that starts after the call (an in-flight one may predate the caller's DDL). */
  let queued: Promise<SchemaSnapshot> | null = null;
  // A load that reload() started in this same synchronous turn: nothing can have committed
  // since, so callers in that turn share it.
  let startedThisTurn = false;
  function reloadFresh(): Promise<SchemaSnapshot> {
    if (inFlight && startedThisTurn) return inFlight;
    if (!inFlight) {
      startedThisTurn = true;
      queueMicrotask(() => {
        startedThisTurn = false;
      });
      return load();
    }
    queued ??= inFlight.catch(() => undefined).then(() => {
      queued = null;
      return load();
    });
    return queued;
  }

  /** Debounced reload: waits for `debounceMs` of quiet, but no longer than `maxWaitMs` after the first notice. */
  function schedule(): void {
    if (stopped) return;
    if (inFlight) {
      dirty = true;
      return;
    }
    const now = Date.now();
    if (timer) {
      if (now - burstStartedAt + debounceMs > maxWaitMs) return; // let the pending timer fire
      clearTimeout(timer);
    } else {
      burstStartedAt = now;
    }
    timer = setTimeout(() => {
      timer = null;
      if (!stopped) load().catch(() => {}); // logged in loadOnce
    }, debounceMs);
    timer.unref();
  }

  function onNotify(channel: string, payload: string): void {
    if (!wantsReload(channel, payload)) return;
    logger?.debug({ channel, payload }, 'schema reload requested');
    schedule();
  }

  async function listenOn(channel: string): Promise<void> {
    let first = true;
    const { unlisten } = await sql.listen(channel, (payload) => onNotify(channel, payload), () => {
      if (first) {
        first = false;
        return;
      }
      // Re-listened after a lost connection: notifications may have been missed meanwhile.
      logger?.info({ channel }, 'schema listener reconnected; reloading');
      schedule();
    });
    if (stopped) await unlisten();
    else unlistens.push(unlisten);
  }

  function current(): SchemaSnapshot {
    if (!snapshot) throw new Error('schema cache not loaded: start() has not completed');
    return snapshot;
  }

  return {
    current,
    table(schema: string, name: string): Table | undefined {
      return current().tables.get(relationKey(schema, name));
    },
    reload: reloadFresh,
    onReload(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    async start() {
      stopped = false;
      await Promise.all([listenOn(SCHEMA_CHANNEL), listenOn(PGRST_CHANNEL), load()]);
      const missing = exposedSchemas.filter((s) => !current().schemas.includes(s));
      if (missing.length > 0) logger?.warn({ schemas: missing }, 'exposed schemas do not exist in the database');
    },
    async stop() {
      // `stopped` is what guarantees silence: after a reconnect postgres.js re-registers
      // listeners under new handles, which the unlisten functions kept here cannot remove.
      stopped = true;
      dirty = false;
      clearTimer();
      const pending = unlistens.splice(0);
      await Promise.all(pending.map((unlisten) => withTimeout(unlisten(), UNLISTEN_TIMEOUT_MS)));
    },
    lastLoadStats: () => ({ ...stats }),
  };
}
