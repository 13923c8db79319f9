// Writes (POST, PATCH, DELETE, PUT, and the /api/v1 by-id routes): plan, compile to one
// statement (write CTE + response read), run with If-Match / max-affected checks in the
// same transaction, and answer in the mount's shape (docs/rest.md "The two mounts",
// "Writes").
import type { ReservedSql, Table } from '../db/index.ts';
import { AppError, errors } from '../http/index.ts';
import {
  compileRead, compileWrite, planDelete, planInsert, planRead, planUpdate,
  type FilterNode, type QueryRequest, type ReadPlan, type WritePlan,
} from '../query/index.ts';
import { run, type ResultRow } from './execute.ts';
import { applied, type Preferences } from './prefer.ts';
import { singleObject } from './read.ts';
import type { RestResponse, TableRequest } from './request.ts';
import { etagMatches, respond, weakEtag } from './respond.ts';
import type { RestDeps } from './deps.ts';

export type WriteKind = 'insert' | 'update' | 'delete' | 'put';

/** What a write stage works on: the request, its kind, and its query parsed once. */
interface Write {
  req: TableRequest;
  kind: WriteKind;
  query: QueryRequest;
}

function rootFilters(query: QueryRequest): FilterNode[] {
  const scoped = query.filters.find((f) => f.path.length > 0);
  if (scoped) {
    throw new AppError('INVALID_FILTER', { message: `Filters on embedded resources (${scoped.path.join('.')}) do not apply to writes` });
  }
  return query.filters.map((f) => f.node);
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

function returnPreference(req: TableRequest): NonNullable<Preferences['return']> {
  if (req.byId) return 'representation';
  return req.prefs.return ?? (req.mount === 'fluxbase' ? 'representation' : 'minimal');
}

function buildPlan(deps: RestDeps, w: Write, returning: ReadPlan | null): WritePlan {
  const { req, query } = w;
  const api = deps.config.api;
  const prefs = req.prefs;
  const filters = rootFilters(query);
  const requireFilter = api.require_filter_for_mutations && !req.byId;
  switch (w.kind) {
    case 'insert':
      return planInsert(req.table, {
        body: req.body, columns: query.columns, onConflict: query.onConflict, resolution: prefs.resolution,
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

export async function handleWrite(deps: RestDeps, req: TableRequest, kind: WriteKind): Promise<RestResponse> {
  const w: Write = { req, kind, query: req.query() };
  const { prefs, timings } = req;
  timings.mark('parse');
  const api = deps.config.api;
  const ret = returnPreference(req);
  if (prefs.return) applied(prefs, `return=${prefs.return}`);
  if (prefs.resolution) applied(prefs, `resolution=${prefs.resolution === 'merge' ? 'merge' : 'ignore'}-duplicates`);
  if (prefs.missingDefault) applied(prefs, 'missing=default');
  if (prefs.rollback) applied(prefs, 'tx=rollback');
  const wantsRows = ret === 'representation' || (req.mount === 'fluxbase' && kind === 'delete' && ret !== 'minimal' && ret !== 'headers-only');
  const returning = wantsRows
    ? planRead(req.snapshot, req.table, { select: w.query.select, filters: [], order: [], ranges: [] }, {
        defaultPageSize: api.default_page_size, maxPageSize: api.max_page_size, aggregatesEnabled: api.aggregates_enabled, unlimited: true,
      })
    : null;
  const plan = buildPlan(deps, w, returning);
  const isSingleInsert = (kind === 'insert' || kind === 'put') && !Array.isArray(req.body);
  const pk = req.table.primaryKey.length === 1 ? req.table.columnMap.get(req.table.primaryKey[0]!) : undefined;
  const stmt = compileWrite(plan, { format: returning ? 'json' : 'none', location: isSingleInsert ? pk : undefined });
  timings.mark('plan');

  const ifMatch = req.ifMatch;
  const strictMax = prefs.strict && prefs.maxAffected !== undefined ? prefs.maxAffected : undefined;
  const row = await run(deps.db, req.context, stmt, {
    operation: kind,
    rollback: prefs.rollback,
    before: ifMatch !== undefined && kind !== 'insert' ? (tx) => checkIfMatch(deps, tx, w, ifMatch) : undefined,
    after: strictMax === undefined ? undefined : async (_tx, r) => {
      if (r.page_total > strictMax) {
        throw new AppError('MAX_AFFECTED_EXCEEDED', { message: `The request would affect ${r.page_total} rows; max-affected is ${strictMax}`, details: { affected: r.page_total, max: strictMax } });
      }
      return r;
    },
  });
  if (strictMax !== undefined) applied(prefs, `max-affected=${strictMax}`);
  timings.mark('execute');
  return respondWrite(w, row, ret);
}

async function checkIfMatch(deps: RestDeps, tx: ReservedSql, w: Write, header: string): Promise<void> {
  const api = deps.config.api;
  const plan = planRead(w.req.snapshot, w.req.table, { select: [{ kind: 'star' }], filters: w.query.filters, order: [], ranges: [] }, {
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

function locationFor(req: TableRequest, id: string): string {
  const t = req.table;
  if (req.mount === 'fluxbase') return `/api/v1/tables/${encodeURIComponent(t.schema)}/${encodeURIComponent(t.name)}/${encodeURIComponent(id)}`;
  return `/rest/v1/${encodeURIComponent(t.name)}?${encodeURIComponent(t.primaryKey[0]!)}=eq.${encodeURIComponent(id)}`;
}

function respondWrite(w: Write, row: ResultRow, ret: NonNullable<Preferences['return']>): Promise<RestResponse> {
  const { req, kind } = w;
  const n = row.page_total;
  const headers: Record<string, string> = { 'Content-Range': `*/${n}`, 'X-Affected-Count': String(n) };
  if (req.prefs.applied.length > 0) headers['Preference-Applied'] = req.prefs.applied.join(', ');
  if (row.loc) headers.Location = locationFor(req, row.loc);
  const isInsert = kind === 'insert' || kind === 'put';
  const created = isInsert ? 201 : 200;
  const send = (status: number, body: string | null) => respond(req, { status, body, headers });

  if (req.byId) {
    if (n === 0) throw errors.notFound('row', `No row in ${req.table.schema}.${req.table.name} with ${req.byId.column.name} = ${req.byId.value.slice(0, 60)}`);
    if (kind === 'delete') return send(204, null);
    return send(200, singleObject(row));
  }
  if (ret === 'minimal') return send(isInsert ? 201 : 204, null);
  if (ret === 'headers-only') {
    if (req.mount === 'postgrest') return send(isInsert ? 201 : 204, null);
    return send(created, JSON.stringify({ affected: n }));
  }
  const rows = row.body ?? '[]';
  if (req.rep === 'object') return send(created, singleObject(row));
  if (req.mount === 'postgrest') return send(created, rows);
  if (kind === 'delete') return send(200, `{"affected":${n},"records":${rows}}`);
  if (isInsert && !Array.isArray(req.body)) return send(201, n === 0 ? 'null' : rows.slice(1, -1).trim());
  return send(created, rows);
}
