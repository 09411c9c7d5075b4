// Which transactions changed one table, read from the archived WAL with pg_waldump: for each, the rows
// it inserted, updated and deleted there, whether it committed, and when. The first step of undoing a
// bad query: the person picks "just before xid 1234, which deleted 1,204 rows at 15:47:03".
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { runTool } from '../platform/runner';
import { resolveTable, type ResolveOptions, type TableRewrite } from './rewrites';
import { fileKey, WalRecordLog } from './walRecords';

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

/** Reads pg_waldump's lines one by one and, at the end, which transactions changed the table, following it across rewrites. */
export class WalChangeReader {
  private readonly log: WalRecordLog;

  constructor(private readonly relation: RelationLocator) {
    this.log = new WalRecordLog(relation.database);
  }

  line(line: string): void {
    this.log.line(line);
  }

  /** The files made by the transaction that made the table's current file: the live server says whose each is now. */
  filesMadeWithCurrent(): RelationLocator[] {
    const made = this.log.created.get(fileKey(this.relation));
    return (made ? this.log.madeBy(made.xid) : []).map((k) => {
      const [tablespace, database, relfilenode] = k.split('/').map(Number) as [number, number, number];
      return { tablespace, database, relfilenode };
    });
  }

  /** The first commit or abort time the read holds. */
  walStartsAt(): Date | undefined {
    return this.log.firstEndAt;
  }

  /** The transactions that changed the table, in the order of their first change, and the rewrites met on the way back. */
  resolve(opts: ResolveOptions = {}): { transactions: TableTransaction[]; rewrites: TableRewrite[] } {
    return resolveTable(this.log, this.relation, opts);
  }

  result(): TableTransaction[] {
    return this.resolve().transactions;
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
  /** The table's oid (`locateTable`): where its first file is, so a creation is not taken for a rewrite. */
  tableOid?: number;
  /** Who uses the files made with the current one now (`fileOwners` over a connection to the live server). */
  owners?: (files: RelationLocator[]) => Promise<ReadonlyMap<string, 'table' | 'other'>>;
  signal?: AbortSignal;
  logger?: Logger;
}

/**
 * Runs pg_waldump once over the archive's segments, keeps the row changes, file creations and commits of
 * the table's database, and follows the table back across the rewrites it meets (rewrites.ts). pg_waldump ends with "invalid record length" where the WAL written so far ends:
 * that is the end of the read, not a failure; any other error is.
 */
export async function tableTransactions(opts: WalChangesOptions): Promise<{ transactions: TableTransaction[]; rewrites: TableRewrite[]; from: string; to: string; stoppedAt?: string; walStartsAt?: Date }> {
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
  const made = reader.filesMadeWithCurrent();
  const owners = opts.owners && made.length > 0 ? await opts.owners(made) : undefined;
  const { transactions, rewrites } = reader.resolve({ ...(opts.tableOid !== undefined ? { tableOid: opts.tableOid } : {}), ...(owners ? { owners } : {}) });
  const startsAt = reader.walStartsAt();
  return { transactions, rewrites, from, to, ...(stoppedAt ? { stoppedAt } : {}), ...(startsAt ? { walStartsAt: startsAt } : {}) };
}

type Queryable = { query: <R extends object>(sql: string, values?: unknown[]) => Promise<{ rows: R[] }> };

/** Where the table's rows are, as WAL names them, and its oid; a table of the database the client is connected to. */
export async function locateTable(client: Queryable, table: { schema: string; name: string }): Promise<{ relation: RelationLocator; oid: number }> {
  const r = await client.query<{ spc: string; db: string; rel: string | null; oid: string }>(
    `SELECT COALESCE(NULLIF(c.reltablespace, 0), d.dattablespace)::text AS spc, d.oid::text AS db, pg_catalog.pg_relation_filenode(c.oid)::text AS rel, c.oid::text AS oid
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'm')`,
    [table.schema, table.name],
  );
  const row = r.rows[0];
  if (!row) throw new PgbrError('usage', `there is no table ${table.schema}.${table.name} in this database: check its schema and name.`);
  if (row.rel === null) throw new PgbrError('usage', `${table.schema}.${table.name} has no storage of its own (a partitioned table): pick one of its partitions.`);
  return { relation: { tablespace: Number(row.spc), database: Number(row.db), relfilenode: Number(row.rel) }, oid: Number(row.oid) };
}

export async function relationLocator(client: Queryable, table: { schema: string; name: string }): Promise<RelationLocator> {
  return (await locateTable(client, table)).relation;
}

/**
 * Whose each file is now, on the live server of the client's database: the table's (its heap, its TOAST
 * table, an index of either) or another relation's. A file no live relation uses is left out.
 */
export async function fileOwners(client: Queryable, tableOid: number, files: readonly RelationLocator[]): Promise<Map<string, 'table' | 'other'>> {
  const owners = new Map<string, 'table' | 'other'>();
  if (files.length === 0) return owners;
  const r = await client.query<{ spc: string; rel: string; owner: string | null }>(
    `SELECT f.spc::text AS spc, f.rel::text AS rel, COALESCE(t.oid, b.oid)::text AS owner
       FROM unnest($1::oid[], $2::oid[]) AS f(spc, rel)
       JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
       LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.pg_filenode_relation(CASE WHEN f.spc = d.dattablespace THEN 0 ELSE f.spc END, f.rel)
       LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
       LEFT JOIN pg_catalog.pg_class b ON b.oid = COALESCE(i.indrelid, c.oid)
       LEFT JOIN pg_catalog.pg_class t ON t.reltoastrelid = b.oid`,
    [files.map((f) => f.tablespace), files.map((f) => f.relfilenode)],
  );
  const database = files[0]?.database ?? 0;
  for (const row of r.rows) {
    if (row.owner !== null) owners.set(fileKey({ tablespace: Number(row.spc), database, relfilenode: Number(row.rel) }), Number(row.owner) === tableOid ? 'table' : 'other');
  }
  return owners;
}
