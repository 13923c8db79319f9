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
import { isUnavailable, type Pool } from '../../db/index.ts';
import { qualified } from '../../query/index.ts';
import { groupedPredicate, hoistClaimHelpers } from './predicate.ts';
import { loadTableAccess, visibleRecords, visibleRecordsGrouped, type ClaimSetGroup, type TableAccess, type VisibilityCheck } from './rls-store.ts';
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
  /**
   * visible[i][r]: may identities[i] see rows[r] of schema.table? Only the rows listed in
   * wanted[i] are decided (the others stay false); all of it costs at most one statement.
   */
  check(schema: string, table: string, rows: Row[], identities: Identity[], wanted: number[][]): Promise<boolean[][]>;
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

/** What auth.uid() returns for these claims (migrations/001_foundation.up.sql): the subject if it is a uuid. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function claimColumns(id: Identity): { uid: string | null; jwt: unknown } {
  const jwt = JSON.parse(id.claimsJson) as Record<string, unknown>;
  const fromClaims = jwt.sub === undefined || jwt.sub === null ? null : typeof jwt.sub === 'string' ? jwt.sub : JSON.stringify(jwt.sub);
  const s = id.sub !== '' ? id.sub : fromClaims;
  return { uid: s !== null && UUID.test(s) ? s : null, jwt };
}

interface Predicate {
  /** SQL for one claim set at a time (claim helpers hoisted), or TRUE / FALSE. */
  single: string;
  /** SQL for many claim sets at once, when possible. */
  grouped?: string | undefined;
}

export function rowKey(row: Row): string {
  return hash('sha1', JSON.stringify(row), 'base64');
}

function chunks<T>(items: T[]): T[][] {
  if (items.length === 0) return [];
  const size = items.length <= CHECKS_PER_STATEMENT ? items.length : Math.ceil(items.length / PARALLEL_STATEMENTS);
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

interface Decision {
  visible: boolean;
  at: number;
}

/** Checks per statement when a batch has many identities: statements of a batch run side by side. */
const CHECKS_PER_STATEMENT = 16;
const PARALLEL_STATEMENTS = 4;

export class PolicyRlsChecker implements RlsChecker {
  private version = 0;
  private predicates = new Map<string, Promise<Predicate>>();
  /**
   * Decisions by row image: key `version|schema.table|row hash`, value claimsKey → decision
   * (with its time: adding a decision to a row refreshes the entry, not the older decisions).
   * One lookup per row instead of one per (identity, row); the size is the number of
   * decisions held (`realtime.rls_cache_size`).
   */
  private readonly decisions: LRUCache<string, Map<string, Decision>> | undefined;

  constructor(private readonly options: RlsCheckerOptions) {
    this.decisions = options.cacheSize > 0
      ? new LRUCache<string, Map<string, Decision>>({
        maxSize: options.cacheSize, sizeCalculation: (m) => Math.max(1, Math.min(m.size, options.cacheSize)),
        ttl: options.cacheTtlMs, perf: { now: options.now }, ttlResolution: 0, ttlAutopurge: false,
      })
      : undefined;
  }

  invalidate(): void {
    this.version++;
    this.predicates = new Map();
    this.decisions?.clear();
  }

  private predicate(schema: string, table: string, role: string): Promise<Predicate> {
    const key = `${schema}.${table}|${role}`;
    let p = this.predicates.get(key);
    if (!p) {
      const predicates = this.predicates;
      p = this.options.pool.withConnection((conn) => loadTableAccess(conn, schema, table, role)).then((access) => {
        const raw = predicateOf(access);
        if (raw === TRUE || raw === FALSE) return { single: raw };
        return { single: hoistClaimHelpers(raw), grouped: groupedPredicate(raw) };
      });
      p.catch(() => predicates.delete(key)); // retry on the next event
      predicates.set(key, p);
    }
    return p;
  }

  async check(schema: string, table: string, rows: Row[], identities: Identity[], wanted: number[][]): Promise<boolean[][]> {
    const version = this.version;
    const visible = identities.map(() => rows.map(() => false));
    const cacheKeys: string[] = [];
    const cached: (Map<string, Decision> | undefined)[] = [];
    const now = this.options.now();
    const rowDecisions = (r: number): Map<string, Decision> | undefined => {
      if (cacheKeys[r] === undefined) {
        cacheKeys[r] = `${version}|${schema}.${table}|${rowKey(rows[r]!)}`;
        cached[r] = this.decisions?.get(cacheKeys[r]);
      }
      return cached[r];
    };
    const pending: { identity: number; predicate: Predicate; rows: number[] }[] = [];
    let hits = 0;
    let misses = 0;
    for (let i = 0; i < identities.length; i++) {
      const id = identities[i]!;
      const want = wanted[i] ?? [];
      if (want.length === 0) continue;
      if (id.role === 'service_role') {
        for (const r of want) visible[i]![r] = true;
        continue;
      }
      const predicate = await this.predicate(schema, table, id.role);
      if (predicate.single === TRUE || predicate.single === FALSE) {
        for (const r of want) visible[i]![r] = predicate.single === TRUE;
        continue;
      }
      const need: number[] = [];
      for (const r of want) {
        const d = this.decisions ? rowDecisions(r)?.get(id.claimsKey) : undefined;
        const known = d !== undefined && now - d.at <= this.options.cacheTtlMs ? d.visible : undefined;
        if (known === undefined) need.push(r);
        else {
          visible[i]![r] = known;
          hits++;
        }
      }
      misses += need.length;
      if (need.length > 0) pending.push({ identity: i, predicate, rows: need });
    }
    if (hits > 0) this.options.onHit?.(hits);
    if (misses > 0) this.options.onMiss?.(misses);
    if (pending.length === 0) return visible;

    // Only the rows some check needs travel; positions are 1-based in the statement.
    const wantedRows = [...new Set(pending.flatMap((p) => p.rows))].sort((a, b) => a - b);
    const position = new Map(wantedRows.map((r, k) => [r, k]));
    const records = wantedRows.map((r) => rows[r]);
    const relation = qualified(schema, table);
    // Claim sets whose predicate allows it are decided together, one query per role and
    // predicate; the others one statement per (up to) CHECKS_PER_STATEMENT claim sets.
    const groups = new Map<string, ClaimSetGroup>();
    const single: { check: VisibilityCheck; pendingIndex: number }[] = [];
    for (let c = 0; c < pending.length; c++) {
      const p = pending[c]!;
      const id = identities[p.identity]!;
      const rowsOf = p.rows.map((r) => position.get(r)! + 1);
      if (p.predicate.grouped !== undefined) {
        const key = `${id.role}\u0000${p.predicate.grouped}`;
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { role: id.role, predicate: p.predicate.grouped, sets: [] }));
        const { uid, jwt } = claimColumns(id);
        g.sets.push({ __fb_k: c, __fb_uid: uid, __fb_jwt: jwt, __fb_role: id.role, __fb_rows: rowsOf });
      } else {
        single.push({ check: { role: id.role, claims: id.claimsJson, sub: id.sub, predicate: p.predicate.single, rows: rowsOf }, pendingIndex: c });
      }
    }
    const run = (part: { check: VisibilityCheck; pendingIndex: number }[]) => this.options.pool.withConnection(async (conn) => {
      const checks = part.map((x) => x.check);
      let pairs: [number, number][];
      try {
        pairs = await visibleRecords(conn, relation, records, checks);
      } catch (err) {
        if (isUnavailable(err)) throw err;
        // A policy raised for some claims: decide each check on its own (one that raises sees nothing).
        pairs = await visibleRecords(conn, relation, records, checks, true);
      }
      return pairs.map(([c, k]): [number, number] => [part[c]!.pendingIndex, k]);
    });
    const parts: Promise<[number, number][]>[] = [];
    if (groups.size > 0) {
      const grouped = [...groups.values()];
      parts.push(this.options.pool.withConnection((conn) => visibleRecordsGrouped(conn, relation, records, grouped)).catch(async (err: unknown) => {
        if (isUnavailable(err)) throw err;
        // A predicate raised for some row or claim set: fall back to one claim set at a time.
        const fallback = grouped.flatMap((g) => g.sets.map((set) => {
          const p = pending[set.__fb_k]!;
          const id = identities[p.identity]!;
          return { check: { role: id.role, claims: id.claimsJson, sub: id.sub, predicate: p.predicate.single, rows: set.__fb_rows }, pendingIndex: set.__fb_k };
        }));
        return (await Promise.all(chunks(fallback).map(run))).flat();
      }));
    }
    for (const part of chunks(single)) parts.push(run(part));
    const width = wantedRows.length;
    const seen = new Set<number>();
    for (const part of await Promise.all(parts)) for (const [c, k] of part) seen.add(c * width + k);
    // A schema reload while the query ran may have changed policies: do not cache across it.
    const store = this.decisions !== undefined && version === this.version;
    const updated = new Map<number, Map<string, Decision>>();
    for (let c = 0; c < pending.length; c++) {
      const p = pending[c]!;
      const id = identities[p.identity]!;
      for (const r of p.rows) {
        const ok = seen.has(c * width + position.get(r)!);
        visible[p.identity]![r] = ok;
        if (!store) continue;
        let m = updated.get(r);
        if (!m) updated.set(r, (m = new Map(rowDecisions(r))));
        m.set(id.claimsKey, { visible: ok, at: now });
      }
    }
    for (const [r, m] of updated) this.decisions!.set(cacheKeys[r]!, m);
    return visible;
  }
}
