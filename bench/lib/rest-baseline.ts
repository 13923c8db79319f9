// The REST baseline: a bare node:http server answering one REST case the way a hand-written
// app would, with the statement Fluxbase generates for it (compiled once at start, see
// rest-sql.ts) and the same authorization work: BEGIN, the same role/claims set_config
// statement, the statement and COMMIT written together on one reserved connection of a
// postgres.js pool of the same size, logged in as the same authenticator role (one round
// trip, as db/context.ts does). It reads the
// claims from the Bearer token without verifying them (decoded once per token; Fluxbase
// caches verified tokens), and sends the headers a client needs (Content-Range, Location,
// Preference-Applied) but no ETag or Server-Timing.
import postgres from 'postgres';
import { CONTEXT_SQL, contextParams, type DbRole } from '../../packages/server/src/db/index.ts';
import { rmSync } from 'node:fs';
import { bareApp, type BareRequest, type BareResponse } from './bare.ts';
import { benchConfig } from './config.ts';
import { ID_PARAM, REST_CASES, type RestCase } from './rest-cases.ts';
import { authenticatorUrl } from './rest-fixture.ts';
import { compileCases, rowsParam, type CompiledCase } from './rest-sql.ts';
import type { ServeOptions, SideServer } from './types.ts';

interface ResultRow {
  total: string | number | null;
  page_total: number;
  body: string | null;
  loc?: string | null;
}

type Claims = Record<string, unknown> & { role?: string; sub?: string };

const claimsByToken = new Map<string, Claims>();

function claimsOf(authorization: string | undefined): Claims {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  let claims = claimsByToken.get(token);
  if (!claims) {
    const payload = token.split('.')[1];
    if (!payload) throw new Error('baseline: a Bearer JWT is required');
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    claimsByToken.set(token, claims);
  }
  return claims;
}

/** BEGIN, context, statement, COMMIT in one write; the statement's first row. */
async function runAs(sql: postgres.Sql, context: string[], text: string, values: unknown[]): Promise<ResultRow> {
  const conn = await sql.reserve();
  try {
    const begin = conn.unsafe('begin').execute();
    const setup = conn.unsafe(CONTEXT_SQL, context, { prepare: true }).execute();
    const main = conn.unsafe(text, values as never[], { prepare: true }).execute();
    const commit = conn.unsafe('commit').execute();
    const settled = await Promise.allSettled([begin, setup, main, commit]);
    for (const r of settled) if (r.status === 'rejected') throw r.reason;
    const rows = (settled[2] as PromiseFulfilledResult<postgres.RowList<postgres.Row[]>>).value;
    return rows[0] as ResultRow;
  } finally {
    conn.release();
  }
}

function idFrom(url: string): string {
  const q = url.indexOf('?');
  const raw = new URLSearchParams(q < 0 ? '' : url.slice(q + 1)).get(ID_PARAM) ?? '';
  if (!raw.startsWith('eq.')) throw new Error(`baseline: expected ${ID_PARAM}=eq.<n>`);
  return raw.slice(3);
}

function handlerFor(c: RestCase, compiled: CompiledCase, sql: postgres.Sql): (req: BareRequest) => Promise<BareResponse> {
  const path = `/rest/v1/${c.table}`;
  const countApplied = c.prefer?.match(/count=\w+/)?.[0];
  return async (req) => {
    if (req.method !== c.method || req.url.split('?')[0] !== path) return { status: 404, body: null };
    const claims = claimsOf(req.headers.authorization);
    const role = (claims.role ?? 'anon') as DbRole;
    const context = contextParams({ role, claims, sub: claims.sub ?? '', method: req.method, path: req.url, requestId: req.requestId });
    const values = [...compiled.values];
    if (compiled.slot !== undefined) values[compiled.slot] = c.method === 'GET' ? idFrom(req.url) : rowsParam(JSON.parse(req.body), compiled.rowsAsText);
    const row = await runAs(sql, context, compiled.text, values);
    const n = row.page_total;
    if (c.method === 'POST') {
      const headers: Record<string, string> = { 'content-range': `*/${n}`, 'x-affected-count': String(n), 'preference-applied': 'return=minimal' };
      if (row.loc) headers.location = `${path}?id=eq.${encodeURIComponent(row.loc)}`;
      return { status: 201, body: null, headers };
    }
    const total = row.total === null ? null : Number(row.total);
    const headers: Record<string, string> = { 'content-range': `${n === 0 ? '*' : `0-${n - 1}`}/${total ?? '*'}` };
    if (countApplied) headers['preference-applied'] = countApplied;
    return { status: total !== null && n < total ? 206 : 200, body: row.body ?? '[]', headers };
  };
}

/** The baseline side of the REST case named `options.variant`. */
export async function restBaseline(options: ServeOptions): Promise<SideServer> {
  const c = REST_CASES.find((x) => x.name === options.variant);
  if (!c) throw new Error(`baseline: unknown REST case ${String(options.variant)}`);
  const config = benchConfig(options);
  rmSync(config.data_dir, { recursive: true, force: true });
  const compiled = (await compileCases(options.databaseUrl, config.api, [c])).get(c.name)!;
  // Logged in as the authenticator with the same statement_timeout, like Fluxbase's pool.
  const sql = postgres(authenticatorUrl(options), {
    max: options.maxConnections, idle_timeout: 0, prepare: true, onnotice: () => {},
    connection: { statement_timeout: config.database.statement_timeout },
  });
  // Open the whole pool now, as Fluxbase's pool.warm() does.
  const conns = await Promise.all(Array.from({ length: options.maxConnections }, () => sql.reserve()));
  await Promise.all(conns.map((conn) => conn`select 1`));
  for (const conn of conns) conn.release();
  const server = await bareApp(handlerFor(c, compiled, sql));
  return {
    url: server.url,
    async close() {
      await server.close();
      await sql.end({ timeout: 5 });
    },
  };
}
