// Exact row counts taken in pg_dump's own snapshot: which tables to count, refusing unreadable ones up front, counting while pg_dump runs.
import type pg from 'pg';
import { PgbrError, errorMessage, usageError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { formatQualifiedName, quoteIdentAlways, sameName, type QualifiedName } from '../postgres/names';
import { withClient } from '../postgres/server';
import type { TableRowCount } from './manifest';
import type { DumpConnection, DumpOptions } from './dump';

/** The table kinds whose rows pg_dump copies: ordinary and partitioned tables. */
export const COUNTED_KINDS = new Set(['r', 'p']);
/** What `pg_dump -t` can match: tables, views, materialized views, sequences, foreign tables. */
export const PICKABLE_KINDS = new Set(['r', 'p', 'v', 'm', 'S', 'f']);

export async function singleValue<T>(client: pg.Client, sql: string): Promise<T> {
  const result = await client.query<{ v: T }>(sql);
  const row = result.rows[0];
  if (!row) throw new Error(`no result from ${sql}`);
  return row.v;
}

/**
 * The tables whose rows the dump holds, read in the snapshot: the picked ones (each must exist),
 * or every ordinary and partitioned table outside system schemas and extensions, minus exclusions.
 */
export async function tablesToCount(client: pg.Client, opts: DumpOptions): Promise<QualifiedName[]> {
  // A table whose rows are left out has no rows to count, and a verification nothing to compare.
  const excludes = [...(opts.excludeTables ?? []), ...(opts.excludeTableData ?? [])];
  const keep = (q: QualifiedName) => !excludes.some((x) => sameName(x, q));
  if (opts.tables?.length) {
    const picked = opts.tables;
    const found = await client.query<{ nspname: string; relname: string; relkind: string }>(
      `SELECT n.nspname, c.relname, c.relkind::text AS relkind
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE (n.nspname, c.relname) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [picked.map((q) => q.schema), picked.map((q) => q.name)],
    );
    const kinds = new Map(found.rows.map((r) => [`${r.nspname}\0${r.relname}`, r.relkind]));
    const counted: QualifiedName[] = [];
    for (const q of picked) {
      const kind = kinds.get(`${q.schema}\0${q.name}`);
      if (kind === undefined || !PICKABLE_KINDS.has(kind)) {
        throw usageError(
          `there is no table ${formatQualifiedName(q)} in database "${opts.database}": check the name (quoted names are case-sensitive) and the schema`,
        );
      }
      if (COUNTED_KINDS.has(kind) && keep(q) && !counted.some((c) => sameName(c, q))) counted.push(q);
    }
    return counted;
  }

  const schemas = opts.schemas?.length ? [...opts.schemas] : null;
  if (schemas) {
    const found = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY($1::text[])`, [schemas]);
    const missing = schemas.filter((s) => !found.rows.some((r) => r.nspname === s));
    if (missing.length > 0) throw usageError(`there is no schema ${missing.map(quoteIdentAlways).join(', ')} in database "${opts.database}": check the name`);
  }
  const all = await client.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, c.relname
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p')
        AND c.relpersistence <> 't'
        AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
        AND ($1::text[] IS NULL OR n.nspname = ANY($1::text[]))
        AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                         WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
      ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`,
    [schemas],
  );
  return all.rows.map((r) => ({ schema: r.nspname, name: r.relname })).filter(keep);
}

/**
 * pg_dump locks and copies every table it dumps, which needs SELECT on it. Saying which tables are
 * unreadable, all at once and before anything is written, beats pg_dump stopping at the first one.
 */
export async function refuseUnreadable(client: pg.Client, tables: readonly QualifiedName[], user: string, database: string): Promise<void> {
  if (tables.length === 0) return;
  const result = await client.query<{ s: string; n: string }>(
    `SELECT t.s, t.n FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, n, i)
      WHERE NOT pg_catalog.has_table_privilege(pg_catalog.format('%I.%I', t.s, t.n), 'SELECT')
      ORDER BY t.i`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  if (result.rows.length === 0) return;
  const names = result.rows.map((r) => formatQualifiedName({ schema: r.s, name: r.n }));
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  throw new PgbrError(
    'tool-failed',
    `user "${user}" may not read ${shown} in database "${database}" (no SELECT privilege), so pg_dump would fail: grant SELECT, leave ${names.length === 1 ? 'that table' : 'those tables'} out of the dump, or dump as a role that can read ${names.length === 1 ? 'it' : 'them'}`,
  );
}

/** Counts rows one table after another in the exporting transaction; `stop()` cancels the count in flight. */
export class RowCounter {
  private stopped = false;
  private busy = false;

  constructor(
    private readonly client: pg.Client,
    private readonly backendPid: number,
    private readonly cancelQuery: () => Promise<void>,
  ) {}

  async count(tables: readonly QualifiedName[]): Promise<TableRowCount[]> {
    const counts: TableRowCount[] = [];
    for (const t of tables) {
      if (this.stopped) throw new Error('counting stopped');
      this.busy = true;
      try {
        // ONLY: the rows this table itself holds, which is what its TABLE DATA entry carries;
        // an inheritance child or partition is counted as a table of its own.
        const result = await this.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ONLY ${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)}`,
        );
        counts.push({ schema: t.schema, table: t.name, rows: Number(result.rows[0]?.n ?? 0) });
      } finally {
        this.busy = false;
      }
    }
    return counts;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // A count of a large table can run for minutes; the server cancels it rather than finishing for nobody.
    if (this.busy && this.backendPid > 0) void this.cancelQuery();
  }
}

export async function cancelBackend(connection: DumpConnection, database: string, pid: number, logger: Logger): Promise<void> {
  try {
    await withClient(connection.params, { password: connection.password, database, connectTimeoutMs: 3000 }, (c) =>
      c.query('SELECT pg_catalog.pg_cancel_backend($1)', [pid]),
    );
  } catch (e) {
    logger.debug(`could not cancel the row count: ${errorMessage(e)}`);
  }
}
