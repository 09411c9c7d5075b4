// Which transactions changed one table, read from the archived WAL with pg_waldump: for each, the rows
// it inserted, updated and deleted there, whether it committed, and when. The first step of undoing a
// bad query: the person picks "just before xid 1234, which deleted 1,204 rows at 15:47:03".
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { runTool } from '../platform/runner';

/** A table's storage as WAL names it: tablespace, database and relfilenode oids (`1663/16384/16385`). */
export interface RelationLocator {
  tablespace: number;
  database: number;
  relfilenode: number;
}

export interface TableTransaction {
  xid: number;
  inserted: number;
  updated: number;
  deleted: number;
  /** The LSN of its first change to the table. */
  firstLsn: string;
  /** `in-progress`: no commit or abort record in the WAL read (still running when it was archived, or later WAL missing). */
  outcome: 'committed' | 'aborted' | 'in-progress';
  /** Its commit or abort time, as the record holds it. */
  at?: Date;
}

/** `rmgr: Heap … tx: 745, lsn: 0/03000108, prev …, desc: DELETE off 3 …, blkref #0: rel 1663/5/16384 blk 0`. */
const RECORD = /^rmgr: (\S+)\s+len \(rec\/tot\):\s*\d+\/\s*\d+, tx:\s*(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+), prev [0-9A-F]+\/[0-9A-F]+, desc: (.*)$/;
const COMMIT_TIME = /^(COMMIT|ABORT) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC/;

/** Reads pg_waldump's lines one by one (the output of a day's WAL does not fit in memory as a whole). */
export class WalChangeReader {
  private readonly byXid = new Map<number, TableTransaction>();
  private readonly ended = new Map<number, { outcome: 'committed' | 'aborted'; at?: Date }>();
  private readonly rel: string;

  constructor(relation: RelationLocator) {
    this.rel = `rel ${relation.tablespace}/${relation.database}/${relation.relfilenode} `;
  }

  line(line: string): void {
    const m = RECORD.exec(line);
    if (!m) return;
    const [, rmgr, tx, lsn, desc] = m as unknown as [string, string, string, string, string];
    const xid = Number(tx);
    if (rmgr === 'Transaction') {
      const end = COMMIT_TIME.exec(desc);
      if (end) this.ended.set(xid, { outcome: end[1] === 'COMMIT' ? 'committed' : 'aborted', at: new Date(`${(end[2] as string).replace(' ', 'T')}Z`) });
      return;
    }
    if ((rmgr !== 'Heap' && rmgr !== 'Heap2') || !`${desc} `.includes(this.rel)) return;
    // Only the main fork's row changes: visibility-map and freeze records carry no rows.
    const op = /^([A-Z_]+)(?:\+INIT)?\b/.exec(desc)?.[1];
    let counts: Partial<Pick<TableTransaction, 'inserted' | 'updated' | 'deleted'>> | undefined;
    if (op === 'INSERT') counts = { inserted: 1 };
    else if (op === 'MULTI_INSERT') counts = { inserted: Number(/MULTI_INSERT(?:\+INIT)? (\d+) tuples/.exec(desc)?.[1] ?? 1) };
    else if (op === 'UPDATE' || op === 'HOT_UPDATE') counts = { updated: 1 };
    else if (op === 'DELETE') counts = { deleted: 1 };
    if (!counts) return;
    const t = this.byXid.get(xid) ?? { xid, inserted: 0, updated: 0, deleted: 0, firstLsn: lsn, outcome: 'in-progress' as const };
    t.inserted += counts.inserted ?? 0;
    t.updated += counts.updated ?? 0;
    t.deleted += counts.deleted ?? 0;
    this.byXid.set(xid, t);
  }

  /** The transactions that changed the table, in the order of their first change. */
  result(): TableTransaction[] {
    return [...this.byXid.values()].map((t) => {
      const end = this.ended.get(t.xid);
      return end ? { ...t, outcome: end.outcome, ...(end.at ? { at: end.at } : {}) } : t;
    });
  }
}

/** The segments of a plain archive folder on one timeline, oldest first (history, backup and partial files left out). */
export async function archivedSegments(archiveDir: string, timeline: number): Promise<string[]> {
  const tli = timeline.toString(16).toUpperCase().padStart(8, '0');
  const names = await fs.readdir(archiveDir).catch((e: NodeJS.ErrnoException) => {
    throw new PgbrError('io', `cannot read the WAL archive ${archiveDir} (${e.code ?? e.message}): check the path and that this user may read it.`);
  });
  return names.filter((n) => /^[0-9A-F]{24}$/.test(n) && n.startsWith(tli)).sort();
}

export interface WalChangesOptions {
  /** The pg_waldump of the server's major version. */
  pgWaldump: string;
  archiveDir: string;
  relation: RelationLocator;
  timeline?: number;
  /** Where to start and end (segment names); default the archive's first and last on the timeline. */
  from?: string;
  to?: string;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Runs pg_waldump over the archive's segments and keeps the records of the table's relfilenode and the
 * commits and aborts. pg_waldump ends with "invalid record length" where the WAL written so far ends:
 * that is the end of the read, not a failure; any other error is.
 */
export async function tableTransactions(opts: WalChangesOptions): Promise<{ transactions: TableTransaction[]; from: string; to: string; stoppedAt?: string }> {
  const segments = await archivedSegments(opts.archiveDir, opts.timeline ?? 1);
  const from = opts.from ?? segments[0];
  const to = opts.to ?? segments.at(-1);
  if (!from || !to) throw new PgbrError('usage', `${opts.archiveDir} holds no WAL segment of timeline ${opts.timeline ?? 1}: there is nothing to read the table's changes from.`);
  const reader = new WalChangeReader(opts.relation);
  let stoppedAt: string | undefined;
  const result = await runTool({
    file: opts.pgWaldump,
    args: ['--path', path.resolve(opts.archiveDir), from, to],
    // Times in the records are printed in the process's zone: UTC, read as UTC.
    env: { TZ: 'UTC' },
    onStdoutLine: (line) => reader.line(line),
    onStderrLine: (line) => {
      const end = /error in WAL record at ([0-9A-F]+\/[0-9A-F]+): invalid record length/.exec(line);
      if (end) stoppedAt = end[1];
    },
    label: 'pg_waldump',
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  if (result.status === 'cancelled') throw new PgbrError('cancelled', 'reading the WAL was cancelled.');
  if (result.status === 'failed' && stoppedAt === undefined) {
    throw new PgbrError('tool-failed', `pg_waldump could not read ${from} to ${to} in ${opts.archiveDir}: ${result.stderrTail.slice(-2).join(' ') || result.message}. A missing segment in between stops it: check the archive for gaps.`);
  }
  return { transactions: reader.result(), from, to, ...(stoppedAt ? { stoppedAt } : {}) };
}

/** Where the table's rows are, as WAL names them; a table of the database the client is connected to. */
export async function relationLocator(client: { query: <R extends object>(sql: string, values?: unknown[]) => Promise<{ rows: R[] }> }, table: { schema: string; name: string }): Promise<RelationLocator> {
  const r = await client.query<{ spc: string; db: string; rel: string | null }>(
    `SELECT COALESCE(NULLIF(c.reltablespace, 0), d.dattablespace)::text AS spc, d.oid::text AS db, pg_catalog.pg_relation_filenode(c.oid)::text AS rel
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'm')`,
    [table.schema, table.name],
  );
  const row = r.rows[0];
  if (!row) throw new PgbrError('usage', `there is no table ${table.schema}.${table.name} in this database: check its schema and name.`);
  if (row.rel === null) throw new PgbrError('usage', `${table.schema}.${table.name} has no storage of its own (a partitioned table): pick one of its partitions.`);
  return { tablespace: Number(row.spc), database: Number(row.db), relfilenode: Number(row.rel) };
}
