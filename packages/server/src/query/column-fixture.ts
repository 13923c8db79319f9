// A terse column builder for the query unit tests (planner, compiler, evaluator): every
// field of the schema cache's Column filled as introspection would, so a test states only
// the name and type it is about. Test-only: nothing in the server imports it.
import type { Column } from '../db/index.ts';

export function col(name: string, type: string, udtName: string, category: string, extra: Partial<Column> = {}): Column {
  return {
    name, position: 0, type, udtName, udtSchema: 'pg_catalog', category, elementType: null, nullable: true, default: null,
    generated: false, identity: null, maxLength: null, enumValues: null, comment: null, ...extra,
  };
}
