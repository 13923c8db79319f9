// One transaction on a connection reserved from the pool (the pool hands out connections,
// not transactions): BEGIN, the work, COMMIT; ROLLBACK when the work throws. For the
// subsystems' own tables (auth, functions); request transactions are db/context.ts.
import type { ReservedSql } from './pool.ts';

export async function inTransaction<T>(sql: ReservedSql, fn: (tx: ReservedSql) => Promise<T>): Promise<T> {
  await sql`begin`;
  try {
    const result = await fn(sql);
    await sql`commit`;
    return result;
  } catch (err) {
    await sql`rollback`.catch(() => {});
    throw err;
  }
}
