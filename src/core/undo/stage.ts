// The past table's rows, copied into the live database beside the live table without touching it: into a
// TEMP table of the live session (for comparing and for bringing rows back in the same transaction), or
// into a real new table (the as-of copy).
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import { formatQualifiedName, type QualifiedName, quoteIdentAlways } from '../postgres/names';
import { pipeCopy } from './copyPipe';
import type { ColumnShape } from './tableShape';

/** The TEMP table the past rows are staged in: the session's own schema, dropped at the end of the transaction. */
export const STAGING_TABLE = 'pg_temp.pgbr_past_rows';

export interface StageOptions {
  /** A client of the past server, and the table there. */
  past: pg.ClientBase;
  pastTable: QualifiedName;
  /** A client of the live database, inside the caller's transaction when staging into the TEMP table. */
  live: pg.ClientBase;
  columns: readonly ColumnShape[];
  /** Default the TEMP table; a name makes a real table there, which must not exist yet. */
  into?: { table: QualifiedName; primaryKey?: readonly string[] };
}

export interface Staged {
  rows: number;
  /** Binary when every column's type is built in; text when one is a user's type, whose binary form carries an OID local to its server. */
  format: 'binary' | 'text';
}

export function quoteTable(q: QualifiedName): string {
  return `${quoteIdentAlways(q.schema)}.${quoteIdentAlways(q.name)}`;
}

export function columnList(columns: readonly { name: string }[], prefix = ''): string {
  return columns.map((c) => prefix + quoteIdentAlways(c.name)).join(', ');
}

/** Creates the staging table and streams the past rows into it; resolves with how many it took. */
export async function stagePastRows(opts: StageOptions): Promise<Staged> {
  if (opts.columns.length === 0) {
    throw new PgbrError('usage', `${formatQualifiedName(opts.pastTable)} has no columns to bring back (or none that the table has now): there is nothing to copy.`);
  }
  const format = opts.columns.some((c) => c.userType) ? 'text' : 'binary';
  const target = opts.into ? quoteTable(opts.into.table) : STAGING_TABLE;
  const definition = opts.columns.map((c) => `${quoteIdentAlways(c.name)} ${c.type}${opts.into && c.notNull ? ' NOT NULL' : ''}`).join(', ');
  await opts.live.query(opts.into ? `CREATE TABLE ${target} (${definition})` : `CREATE TEMP TABLE pgbr_past_rows (${definition}) ON COMMIT DROP`);
  const list = columnList(opts.columns);
  const rows = await pipeRows(opts, list, target, format);
  if (opts.into?.primaryKey?.length) {
    // Added after the rows are in: one index build instead of one insertion per row.
    await opts.live.query(`ALTER TABLE ${target} ADD PRIMARY KEY (${columnList(opts.into.primaryKey.map((name) => ({ name })))})`);
  }
  // Autovacuum never analyzes TEMP tables: without this the planner guesses their size when comparing.
  if (!opts.into) await opts.live.query(`ANALYZE ${STAGING_TABLE}`);
  return { rows, format };
}

async function pipeRows(opts: StageOptions, list: string, target: string, format: Staged['format']): Promise<number> {
  return pipeCopy(
    opts.past,
    `COPY (SELECT ${list} FROM ${quoteTable(opts.pastTable)}) TO STDOUT (FORMAT ${format})`,
    opts.live,
    `COPY ${target} (${list}) FROM STDIN (FORMAT ${format})`,
  );
}
