// The one transaction on the live database that staging, comparing and changing a table share, with a
// search path that only the system catalogs are on: type names read then come out schema-qualified, the
// same whatever the role's own search path, and no function or operator of a user's schema can stand in.
import type pg from 'pg';
import { PgbrError } from '../platform/errors';

export const CATALOG_SEARCH_PATH = 'pg_catalog, pg_temp';

/** Runs `work` in a transaction, then commits or rolls back; a server error becomes a PgbrError saying nothing changed. */
export async function inLiveTransaction<T>(live: pg.ClientBase, end: 'commit' | 'rollback', what: string, work: () => Promise<T>): Promise<T> {
  await live.query('BEGIN');
  let result: T;
  try {
    await live.query(`SET LOCAL search_path = ${CATALOG_SEARCH_PATH}`);
    result = await work();
  } catch (e) {
    // Also after a failed statement; a lost connection has rolled it back already.
    await live.query('ROLLBACK').catch(() => {});
    if (e instanceof PgbrError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new PgbrError('tool-failed', `${what} failed and was rolled back, so nothing changed: ${message}.`, { cause: e });
  }
  await live.query(end === 'commit' ? 'COMMIT' : 'ROLLBACK');
  return result;
}
