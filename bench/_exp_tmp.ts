import postgres from 'postgres';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../packages/server/src/db/index.ts';
import { createLogger } from '../packages/server/src/observability/index.ts';

const pg = await startEmbeddedPostgres({ dataDir: mkdtempSync(path.join(os.tmpdir(), 'exp-')), logger: createLogger({ level: 'warn', format: 'json' }) });
const sql = postgres(pg.url, { max: 50, onnotice: () => {}, idle_timeout: 0 });
const CTX = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
  set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true),
  set_config('request.method', $4, true), set_config('request.path', $5, true), set_config('request.id', $6, true)`;
const params = ['postgres', '{"role":"authenticated","sub":"x"}', 'x', 'GET', '/bench', 'abc'];
type Op = () => Promise<unknown>;
const ops: Record<string, Op> = {
  plain: () => sql`select 1 as value`,
  reserve_plain: async () => { const c = await sql.reserve(); try { return await c`select 1 as value`; } finally { c.release(); } },
  tx_2rt: async () => {
    const c = await sql.reserve();
    try {
      const b = c.unsafe('begin').execute(); const s = c.unsafe(CTX, params, { prepare: true }).execute();
      const r = c`select 1 as value`; await Promise.all([b, s]); const rows = await r; await c.unsafe('commit'); return rows;
    } finally { c.release(); }
  },
  tx_1rt: async () => {
    const c = await sql.reserve();
    try {
      const b = c.unsafe('begin').execute(); const s = c.unsafe(CTX, params, { prepare: true }).execute();
      const r = c`select 1 as value`.execute(); const cm = c.unsafe('commit').execute();
      const [, , rows] = await Promise.all([b, s, r, cm]); return rows;
    } finally { c.release(); }
  },
};
async function run(name: string, op: Op, ms: number): Promise<number> {
  let n = 0; const end = performance.now() + ms;
  await Promise.all(Array.from({ length: 50 }, async () => { while (performance.now() < end) { await op(); n++; } }));
  return n / (ms / 1000);
}
for (const [k, op] of Object.entries(ops)) await run(k, op, 1000);
for (let round = 0; round < 2; round++) for (const [k, op] of Object.entries(ops)) console.log(k, Math.round(await run(k, op, 3000)));
await sql.end(); await pg.stop();
