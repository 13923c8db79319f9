// POST /api/v1/admin/schema/refresh: reload the schema cache now and report what the
// exposed schemas hold (views include materialized views; functions count overloads).
import type { FastifyInstance } from 'fastify';
import type { SchemaSnapshot } from '../../db/index.ts';
import { adminOnly } from '../require-admin.ts';
import type { AdminDeps } from '../deps.ts';
import { tableType } from '../metadata.ts';

export function exposedCounts(snapshot: SchemaSnapshot): { tables: number; views: number; functions: number } {
  const exposed = new Set(snapshot.exposedSchemas);
  let tables = 0;
  let views = 0;
  for (const t of snapshot.tables.values()) {
    if (!exposed.has(t.schema)) continue;
    if (tableType(t) === 'table') tables++;
    else views++;
  }
  let functions = 0;
  for (const overloads of snapshot.functions.values()) functions += overloads.filter((f) => exposed.has(f.schema)).length;
  return { tables, views, functions };
}

export function registerSchemaRefresh(app: FastifyInstance, deps: AdminDeps): void {
  app.post('/api/v1/admin/schema/refresh', { preHandler: adminOnly }, async () => {
    const snapshot = await deps.schema.reload();
    return { message: 'Schema cache refreshed', ...exposedCounts(snapshot) };
  });
}
