// Writes (POST, PATCH, DELETE, PUT, and the /api/v1 by-id routes): plan, compile to one
// statement (write CTE + response read), run with If-Match / max-affected checks in the
// same transaction, and answer in the mount's shape (API.md §5.4).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Column, Table } from '../db/index.ts';
import { AppError } from '../http/index.ts';
import {
  compileRead, compileWrite, planDelete, planInsert, planRead, planUpdate,
  type FilterNode, type QueryRequest, type ReadPlan, type WritePlan,
} from '../query/index.ts';
import { run, type ResultRow } from './execute.ts';
import { negotiate } from './negotiate.ts';
import { applied, parsePrefer, type Preferences } from './prefer.ts';
import { singleObject } from './read.ts';
import { etagMatches, sendData, weakEtag, type Timings } from './respond.ts';
import type { RestDeps } from './deps.ts';
import type { Mount } from './target.ts';

export type WriteKind = 'insert' | 'update' | 'delete' | 'put';

export interface WriteRequest {
  mount: Mount;
  kind: WriteKind;
  table: Table;
  query: QueryRequest;
  body: unknown;
  /** `/api/v1/tables/:schema/:table/:id`: the single-column key and its value. */
  byId?: { column: Column; value: string } | undefined;
}

function rootFilters(query: QueryRequest): FilterNode[] {
  const scoped = query.filters.find((f) => f.path.length > 0);
  if (scoped) {
    throw new AppError('INVALID_FILTER', { message: `Filters on embedded resources (${scoped.path.join('.')}) do not apply to writes` });
  }
  return query.filters.map((f) => f.node);
}

function eqLeaf(column: string, value: string): FilterNode {
  return { kind: 'filter', field: { column, path: [] }, negated: false, operation: { op: 'eq', value } };
}

/** PUT /rest/v1/t?pk=eq.v: the filters must be eq on exactly the primary key, and the body must carry the same values. */
function checkPut(table: Table, filters: FilterNode[], body: unknown): void {
  const pk = table.primaryKey;
  const given = new Map<string, string>();
  for (const f of filters) {
    if (f.kind === 'filter' && !f.negated && f.operation.op === 'eq' && 'value' in f.operation && f.field.path.length === 0) given.set(f.field.column, f.operation.value);
    else throw new AppError('INVALID_FILTER', { message: 'PUT takes only eq filters on the primary key columns' });
  }
  if (pk.length === 0 || pk.length !== given.size || !pk.every((c) => given.has(c))) {
    throw new AppError('INVALID_FILTER', { message: `PUT needs an eq filter on every primary key column (${pk.join(', ') || 'the table has none'})` });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new AppError('INVALID_REQUEST_BODY', { message: 'PUT takes one JSON object' });
  for (const c of pk) {
    const v = (body as Record<string, unknown>)[c];
    if (v === undefined || String(v) !== given.get(c)) {
      throw new AppError('INVALID_REQUEST_BODY', { message: `The body's ${c} must equal the filter value`, details: { column: c } });
    }
  }
}

function returnPreference(req: WriteRequest, prefs: Preferences): NonNullable<Preferences['return']> {
  if (req.byId) return 'representation';
  return prefs.return ?? (req.mount === 'fluxbase' ? 'representation' : 'minimal');
}

function buildPlan(deps: RestDeps, req: WriteRequest, prefs: Preferences, returning: ReadPlan | null): WritePlan {
  const api = deps.config.api;
  const filters = req.byId ? [eqLeaf(req.byId.column.name, req.byId.value)] : rootFilters(req.query);
  const requireFilter = api.require_filter_for_mutations && !req.byId;
  switch (req.kind) {
    case 'insert':
      return planInsert(req.table, {
        body: req.body, columns: req.query.columns, onConflict: req.query.onConflict, resolution: prefs.resolution,
        missingDefault: prefs.missingDefault, maxBatchSize: api.max_batch_size, returning,
      });
    case 'put':
      checkPut(req.table, filters, req.body);
      return planInsert(req.table, { body: req.body, resolution: 'merge', missingDefault: false, maxBatchSize: 1, returning });
    case 'update':
      return planUpdate(req.table, req.body, filters, returning, requireFilter);
    case 'delete':
      return planDelete(req.table, filters, returning, requireFilter);
  }
}

export async function handleWrite(deps: RestDeps, request: FastifyRequest, reply: FastifyReply, req: WriteRequest, timings: Timings): Promise<FastifyReply> {
  const prefs = parsePrefer(request.headers.prefer);
  const rep = negotiate(request.headers.accept);
  timings.mark('parse');
  const api = deps.config.api;
  const snapshot = deps.schema.current();
  const ret = returnPreference(req, prefs);
  if (prefs.return) applied(prefs, `return=${prefs.return}`);
  if (prefs.resolution) applied(prefs, `resolution=${prefs.resolution === 'merge' ? 'merge' : 'ignore'}-duplicates`);
  if (prefs.missingDefault) applied(prefs, 'missing=default');
  if (prefs.rollback) applied(prefs, 'tx=rollback');
  const wantsRows = ret === 'representation' || (req.mount === 'fluxbase' && req.kind === 'delete' && ret !== 'minimal' && ret !== 'headers-only');
  const returning = wantsRows
    ? planRead(snapshot, req.table, { select: req.query.select, filters: [], order: [], ranges: [] }, {
        defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: api.aggregates_enabled, unlimited: true,
      })
    : null;
  const plan = buildPlan(deps, req, prefs, returning);
  const isSingleInsert = (req.kind === 'insert' || req.kind === 'put') && !Array.isArray(req.body);
  const pk = req.table.primaryKey.length === 1 ? req.table.columnMap.get(req.table.primaryKey[0]!) : undefined;
  const stmt = compileWrite(plan, { format: returning ? 'json' : 'none', location: isSingleInsert ? pk : undefined });
  timings.mark('plan');

  const ifMatch = request.headers['if-match'] as string | undefined;
  const strictMax = prefs.strict && prefs.maxAffected !== undefined ? prefs.maxAffected : undefined;
  const row = await run(deps.db, request, stmt, {
    operation: req.kind,
    rollback: prefs.rollback,
    ...(ifMatch !== undefined && req.kind !== 'insert' ? { before: (tx) => checkIfMatch(deps, tx, req, ifMatch) } : {}),
    ...(strictMax !== undefined ? {
      after: async (_tx, r) => {
        if (r.page_total > strictMax) {
          throw new AppError('MAX_AFFECTED_EXCEEDED', { message: `The request would affect ${r.page_total} rows; max-affected is ${strictMax}`, details: { affected: r.page_total, max: strictMax } });
        }
        return r;
      },
    } : {}),
  });
  if (strictMax !== undefined) applied(prefs, `max-affected=${strictMax}`);
  timings.mark('execute');
  return respondWrite(request, reply, req, row, ret, rep === 'object', prefs.applied, timings);
}

async function checkIfMatch(deps: RestDeps, tx: Parameters<NonNullable<Parameters<typeof run>[3]['before']>>[0], req: WriteRequest, header: string): Promise<void> {
  const api = deps.config.api;
  const filters = req.byId ? [{ path: [], node: eqLeaf(req.byId.column.name, req.byId.value) }] : req.query.filters;
  const plan = planRead(deps.schema.current(), req.table, { select: [{ kind: 'star' }], filters, order: [], ranges: [] }, {
    defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: false,
  });
  const stmt = compileRead(plan, { format: 'json', estimatedThreshold: 0, lock: true });
  const rows = await tx.unsafe(stmt.text, stmt.values as never[], { prepare: true });
  const row = rows[0] as unknown as ResultRow;
  const ok = header.trim() === '*' ? row.page_total > 0 : etagMatches(header, weakEtag(row.body ?? '[]'));
  if (!ok) {
    throw new AppError('PRECONDITION_FAILED', { message: 'If-Match does not match the current rows', hint: 'Read the rows again and retry with their ETag' });
  }
}

function locationFor(req: WriteRequest, id: string): string {
  const t = req.table;
  if (req.mount === 'fluxbase') return `/api/v1/tables/${encodeURIComponent(t.schema)}/${encodeURIComponent(t.name)}/${encodeURIComponent(id)}`;
  return `/rest/v1/${encodeURIComponent(t.name)}?${encodeURIComponent(t.primaryKey[0]!)}=eq.${encodeURIComponent(id)}`;
}

function respondWrite(
  request: FastifyRequest, reply: FastifyReply, req: WriteRequest, row: ResultRow, ret: NonNullable<Preferences['return']>, objectAccept: boolean, prefsApplied: string[], timings: Timings,
): Promise<FastifyReply> {
  const n = row.page_total;
  const headers: Record<string, string> = { 'Content-Range': `*/${n}`, 'X-Affected-Count': String(n) };
  if (prefsApplied.length > 0) headers['Preference-Applied'] = prefsApplied.join(', ');
  if (row.loc) headers.Location = locationFor(req, row.loc);
  const isInsert = req.kind === 'insert' || req.kind === 'put';
  const created = isInsert ? 201 : 200;
  const send = (status: number, body: string | null) => sendData(request, reply, { status, body, headers }, timings);

  if (req.byId) {
    if (n === 0) throw new AppError('NOT_FOUND', { message: `No row in ${req.table.schema}.${req.table.name} with ${req.byId.column.name} = ${req.byId.value.slice(0, 60)}`, details: { resource: 'row' } });
    if (req.kind === 'delete') return send(204, null);
    return send(200, singleObject(row));
  }
  if (ret === 'minimal') return send(isInsert ? 201 : 204, null);
  if (ret === 'headers-only') {
    if (req.mount === 'postgrest') return send(isInsert ? 201 : 204, null);
    return send(created, JSON.stringify({ affected: n }));
  }
  const rows = row.body ?? '[]';
  if (objectAccept) return send(created, singleObject(row));
  if (req.mount === 'postgrest') return send(created, rows);
  if (req.kind === 'delete') return send(200, `{"affected":${n},"records":${rows}}`);
  if (isInsert && !Array.isArray(req.body)) return send(201, n === 0 ? 'null' : rows.slice(1, -1).trim());
  return send(created, rows);
}
