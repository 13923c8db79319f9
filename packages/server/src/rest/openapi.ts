// GET /rest/v1/: an OpenAPI 3 description of the exposed schema's tables, views and
// functions (PostgREST serves one at its root). Its route (routes/openapi.ts) serves it to
// admin principals only: it reveals the schema, which anon callers need not see.
import type { Column, SchemaSnapshot } from '../db/index.ts';

function jsonType(column: { udtName: string; category: string }): Record<string, unknown> {
  if (column.category === 'N') return { type: ['int2', 'int4', 'int8'].includes(column.udtName) ? 'integer' : 'number' };
  if (column.category === 'B') return { type: 'boolean' };
  if (column.category === 'A') return { type: 'array', items: {} };
  if (column.udtName === 'json' || column.udtName === 'jsonb') return {};
  return { type: 'string' };
}

function schemaOf(columns: Column[]): Record<string, unknown> {
  return {
    type: 'object',
    required: columns.filter((c) => !c.nullable && c.default === null && !c.identity && !c.generated).map((c) => c.name),
    properties: Object.fromEntries(columns.map((c) => [c.name, { ...jsonType(c), format: c.type, ...(c.comment ? { description: c.comment } : {}) }])),
  };
}

/** The OpenAPI document of `schema`'s tables, views and functions, served under `publicUrl`. */
export function openApiDocument(snapshot: SchemaSnapshot, schema: string, publicUrl: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const components: Record<string, unknown> = {};
  for (const table of snapshot.tables.values()) {
    if (table.schema !== schema) continue;
    components[table.name] = { ...schemaOf(table.columns), ...(table.comment ? { description: table.comment } : {}) };
    const ref = { $ref: `#/components/schemas/${table.name}` };
    const ops: Record<string, unknown> = {
      get: { tags: [table.name], responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: ref } } } } } },
    };
    if (table.insertable) ops.post = { tags: [table.name], requestBody: { content: { 'application/json': { schema: ref } } }, responses: { 201: { description: 'Created' } } };
    if (table.updatable) ops.patch = { tags: [table.name], requestBody: { content: { 'application/json': { schema: ref } } }, responses: { 204: { description: 'No Content' } } };
    if (table.deletable) ops.delete = { tags: [table.name], responses: { 204: { description: 'No Content' } } };
    paths[`/${table.name}`] = ops;
  }
  for (const [key, overloads] of snapshot.functions) {
    if (!key.startsWith(`${schema}.`)) continue;
    const fn = overloads[0]!;
    const body = { type: 'object', properties: Object.fromEntries(fn.args.filter((a) => a.name).map((a) => [a.name, { ...jsonType({ udtName: a.udtName, category: a.type.endsWith('[]') ? 'A' : '' }), format: a.type }])) };
    paths[`/rpc/${fn.name}`] = {
      post: { tags: ['(rpc)'], ...(fn.comment ? { summary: fn.comment } : {}), requestBody: { content: { 'application/json': { schema: body } } }, responses: { 200: { description: 'OK' } } },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Fluxbase REST API', version: '1', description: `Tables, views and functions of schema ${schema}` },
    servers: [{ url: publicUrl.replace(/\/$/, '') + '/rest/v1' }],
    paths,
    components: { schemas: components },
  };
}
