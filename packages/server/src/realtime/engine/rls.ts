// The RLS checker (hardening item 1.7, docs/realtime.md "Who receives a change"): which
// identities may SELECT which changed rows. The method: the table's SELECT policies that
// apply to the identity's role (permissive OR'd, restrictive AND'd; a table without RLS or a
// role that bypasses it sees every row; a role without the SELECT privilege sees none) are
// evaluated against the row as it was in the change (the new row, or the old row of a
// DELETE), rebuilt as a typed record, under that role and claims: exactly what a REST read
// would decide for that row, without reading the table (a deleted or since-changed row is
// judged as it was). All identities and all rows of a batch cost one statement.
//
// Decisions are cached (bounded LRU with a TTL) under a key of the policy version (bumped on
// every schema reload, which DDL on policies, grants and RLS flags triggers), the table, the
// identity's role and claims, and a hash of the row image: a changed claim, policy or row is
// a different key. What the key cannot see is data in other tables a policy reads (e.g. a
// membership table): such decisions may be stale for up to `realtime.rls_cache_ttl`.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Pool } from '../../db/index.ts';
import { qualified } from '../../query/index.ts';
import { loadTableAccess, visibleRecords, type TableAccess, type VisibilityCheck } from './rls-store.ts';
import type { Identity, Row } from './types.ts';

export interface RlsCheckerOptions {
  pool: Pool;
  cacheSize: number;
  cacheTtlMs: number;
  now: () => number;
  onHit?: (n: number) => void;
  onMiss?: (n: number) => void;
}

/** Decides visibility; the engine receives it as an interface so tests can count queries. */
export interface RlsChecker {
  /** visible[i][r]: may identities[i] see rows[r] of schema.table? */
  check(schema: string, table: string, rows: Row[], identities: Identity[]): Promise<boolean[][]>;
  /** Forget predicates and decisions (policies, grants or RLS flags may have changed). */
  invalidate(): void;
}

const TRUE = 'true';
const FALSE = 'false';

export function predicateOf(access: TableAccess): string {
  if (!access.exists || !access.canSelect) return FALSE;
  if (access.bypassRls || !access.rlsEnabled || (access.owner && !access.forceRls)) return TRUE;
  const permissive = access.policies.filter((p) => p.permissive).map((p) => `(${p.qual})`);
  if (permissive.length === 0) return FALSE; // RLS on and no permissive policy: nothing is visible
  const restrictive = access.policies.filter((p) => !p.permissive).map((p) => `(${p.qual})`);
  const any = permissive.length === 1 ? permissive[0]! : `(${permissive.join(' or ')})`;
  return restrictive.length === 0 ? any : [any, ...restrictive].join(' and ');
}

export function rowKey(row: Row): string {
  return hash('sha1', JSON.stringify(row), 'base64');
}

export class PolicyRlsChecker implements RlsChecker {
  private version = 0;
  private predicates = new Map<string, Promise<string>>();
  private readonly decisions: LRUCache<string, boolean> | undefined;

  constructor(private readonly options: RlsCheckerOptions) {
    this.decisions = options.cacheSize > 0
      ? new LRUCache<string, boolean>({ max: options.cacheSize, ttl: options.cacheTtlMs, perf: { now: options.now }, ttlResolution: 0, ttlAutopurge: false })
      : undefined;
  }

  invalidate(): void {
    this.version++;
    this.predicates = new Map();
    this.decisions?.clear();
  }

  private predicate(schema: string, table: string, role: string): Promise<string> {
    const key = `${schema}.${table}|${role}`;
    let p = this.predicates.get(key);
    if (!p) {
      const predicates = this.predicates;
      p = this.options.pool.withConnection((conn) => loadTableAccess(conn, schema, table, role)).then(predicateOf);
      p.catch(() => predicates.delete(key)); // retry on the next event
      predicates.set(key, p);
    }
    return p;
  }

  async check(schema: string, table: string, rows: Row[], identities: Identity[]): Promise<boolean[][]> {
    const version = this.version;
    const visible = identities.map(() => rows.map(() => false));
    const keys: string[] = [];
    const pending: { identity: number; predicate: string; rows: number[] }[] = [];
    let hits = 0;
    let misses = 0;
    for (let i = 0; i < identities.length; i++) {
      const id = identities[i]!;
      if (id.role === 'service_role') {
        visible[i]!.fill(true);
        continue;
      }
      const predicate = await this.predicate(schema, table, id.role);
      if (predicate === TRUE || predicate === FALSE) {
        visible[i]!.fill(predicate === TRUE);
        continue;
      }
      const need: number[] = [];
      for (let r = 0; r < rows.length; r++) {
        keys[r] ??= rowKey(rows[r]!);
        const cached = this.decisions?.get(`${version}|${schema}.${table}|${id.claimsKey}|${keys[r]}`);
        if (cached === undefined) need.push(r);
        else {
          visible[i]![r] = cached;
          hits++;
        }
      }
      misses += need.length;
      if (need.length > 0) pending.push({ identity: i, predicate, rows: need });
    }
    if (hits > 0) this.options.onHit?.(hits);
    if (misses > 0) this.options.onMiss?.(misses);
    if (pending.length === 0) return visible;

    const wanted = [...new Set(pending.flatMap((p) => p.rows))].sort((a, b) => a - b);
    const position = new Map(wanted.map((r, k) => [r, k]));
    const checks: VisibilityCheck[] = pending.map((p) => {
      const id = identities[p.identity]!;
      return { role: id.role, claims: id.claimsJson, sub: id.sub, predicate: p.predicate };
    });
    const pairs = await this.options.pool.withConnection((conn) => visibleRecords(conn, qualified(schema, table), wanted.map((r) => rows[r]), checks));
    const seen = new Set(pairs.map(([c, k]) => `${c}:${k}`));
    for (let c = 0; c < pending.length; c++) {
      const p = pending[c]!;
      const id = identities[p.identity]!;
      for (const r of p.rows) {
        const ok = seen.has(`${c}:${position.get(r)!}`);
        visible[p.identity]![r] = ok;
        // A schema reload while the query ran may have changed policies: do not cache across it.
        if (version === this.version) this.decisions?.set(`${version}|${schema}.${table}|${id.claimsKey}|${keys[r]}`, ok);
      }
    }
    return visible;
  }
}
