// One pass over pg_waldump's lines that keeps what following a table across rewrites needs: the row
// changes of every heap file of the database (per file and transaction), which files index records
// touch, the files each transaction created, and each commit or abort with the files it dropped.
// What belongs to the table is decided at the end (rewrites.ts), once the whole read is known.
import type { RelationLocator } from './walChanges';

/** `rmgr: Heap … tx: 745, lsn: 0/03000108, prev …, desc: DELETE off 3 …, blkref #0: rel 1663/5/16384 blk 0`. */
const RECORD = /^rmgr: (\S+)\s+len \(rec\/tot\):\s*\d+\/\s*\d+, tx:\s*(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+), prev [0-9A-F]+\/[0-9A-F]+, desc: (.*)$/;
const END = /^(COMMIT|ABORT) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC/;
const BLOCK_REF = /blkref #\d+: rel (\d+)\/(\d+)\/(\d+)( fork \w+)?/;
/** PostgreSQL's FirstNormalObjectId: a user table's file numbers are never below it; the catalogs' initial ones are. */
const FIRST_NORMAL_FILE = 16384;
/** Resource managers whose records only ever touch index files. */
const INDEX_RMGRS = new Set(['Btree', 'Hash', 'Gin', 'Gist', 'SPGist', 'BRIN']);

export interface RowCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

/** One transaction's row changes in one file. `first`/`last`: positions in the read (record numbers). */
export interface FileChange extends RowCounts {
  firstLsn: string;
  first: number;
  last: number;
}

export interface TransactionEnd {
  /** The top-level transaction: a subtransaction ends with it, in its record (`subxacts: …`). */
  xid: number;
  subxids: number[];
  outcome: 'committed' | 'aborted';
  at: Date;
  lsn: string;
  pos: number;
  /** The files it dropped at commit (`rels: …`), as `spc/db/rel` keys. */
  dropped: string[];
}

export const fileKey = (r: RelationLocator): string => `${r.tablespace}/${r.database}/${r.relfilenode}`;
export const relfilenodeOf = (key: string): number => Number(key.slice(key.lastIndexOf('/') + 1));

/**
 * A path as Storage and Transaction records print it, as a `spc/db/rel` key; forks (`_fsm`, `_vm`,
 * `_init`) are `undefined`: `base/16385/16396`, `pg_tblspc/16390/PG_15_202209061/16385/16396`, `global/1262`.
 */
export function pathKey(p: string): string | undefined {
  let m = /^base\/(\d+)\/(\d+)$/.exec(p);
  if (m) return `1663/${m[1]}/${m[2]}`;
  m = /^pg_tblspc\/(\d+)\/[^/]+\/(\d+)\/(\d+)$/.exec(p);
  if (m) return `${m[1]}/${m[2]}/${m[3]}`;
  m = /^global\/(\d+)$/.exec(p);
  return m ? `1664/0/${m[1]}` : undefined;
}

function rowCounts(desc: string): Partial<RowCounts> | undefined {
  const op = /^([A-Z_]+)(?:\+INIT)?\b/.exec(desc)?.[1];
  if (op === 'INSERT') return { inserted: 1 };
  if (op === 'MULTI_INSERT') return { inserted: Number(/MULTI_INSERT(?:\+INIT)? (\d+) tuples/.exec(desc)?.[1] ?? 1) };
  if (op === 'UPDATE' || op === 'HOT_UPDATE') return { updated: 1 };
  if (op === 'DELETE') return { deleted: 1 };
  // Visibility-map, freeze, prune and lock records carry no rows.
  return undefined;
}

/** Reads pg_waldump's lines one by one (the output of a day's WAL does not fit in memory as a whole). */
export class WalRecordLog {
  /** file key → xid → its row changes there. */
  readonly changes = new Map<string, Map<number, FileChange>>();
  /** Files an index record touched: never a table's heap. */
  readonly indexFiles = new Set<string>();
  /** file key → the transaction that created its main fork (the latest, should a number be used again). */
  readonly created = new Map<string, { xid: number; pos: number }>();
  readonly createdBy = new Map<number, string[]>();
  /** `xid:file` of page images a transaction wrote into a file (VACUUM FULL and CLUSTER copy pages so). */
  readonly pagesCopied = new Set<string>();
  readonly ended = new Map<number, TransactionEnd>();
  /** The first commit or abort time in the read, of any transaction: about as far back as the WAL read reaches. */
  firstEndAt: Date | undefined;
  private pos = 0;

  /** Only files of this database are kept: a rewrite never moves a table to another database. */
  constructor(private readonly database: number) {}

  line(line: string): void {
    const m = RECORD.exec(line);
    if (!m) return;
    const [, rmgr, tx, lsn, desc] = m as unknown as [string, string, string, string, string];
    const xid = Number(tx);
    const pos = ++this.pos;
    if (rmgr === 'Transaction') {
      const end = END.exec(desc);
      if (!end) return;
      const rels = /; rels: ([^;]+)/.exec(desc)?.[1] ?? '';
      const at = new Date(`${(end[2] as string).replace(' ', 'T')}Z`);
      this.firstEndAt ??= at;
      const dropped = rels.split(' ').map(pathKey).filter((k): k is string => !!k && this.ours(k));
      const subxids = (/; subxacts: ([\d ]+)/.exec(desc)?.[1] ?? '').split(' ').filter(Boolean).map(Number);
      const ended: TransactionEnd = { xid, subxids, outcome: end[1] === 'COMMIT' ? 'committed' : 'aborted', at, lsn, pos, dropped };
      for (const x of [xid, ...subxids]) this.ended.set(x, ended);
      return;
    }
    if (rmgr === 'Storage') {
      const key = /^CREATE (\S+)$/.exec(desc)?.[1];
      const file = key && pathKey(key);
      if (file && this.ours(file) && xid !== 0) {
        this.created.set(file, { xid, pos });
        const list = this.createdBy.get(xid) ?? [];
        list.push(file);
        this.createdBy.set(xid, list);
      }
      return;
    }
    const ref = BLOCK_REF.exec(desc);
    // The catalogs' own row changes (every DDL makes some) are not kept: no table of the user's was ever in those files.
    if (!ref || Number(ref[2]) !== this.database || Number(ref[3]) < FIRST_NORMAL_FILE) return;
    const file = `${ref[1]}/${ref[2]}/${ref[3]}`;
    if (INDEX_RMGRS.has(rmgr)) {
      this.indexFiles.add(file);
      return;
    }
    if (rmgr === 'XLOG') {
      if (xid !== 0 && /^FPI\b/.test(desc) && !ref[4]) this.pagesCopied.add(`${xid}:${file}`);
      return;
    }
    if ((rmgr !== 'Heap' && rmgr !== 'Heap2') || ref[4]) return;
    const counts = rowCounts(desc);
    if (!counts) return;
    let byXid = this.changes.get(file);
    if (!byXid) this.changes.set(file, (byXid = new Map<number, FileChange>()));
    const c = byXid.get(xid) ?? { inserted: 0, updated: 0, deleted: 0, firstLsn: lsn, first: pos, last: pos };
    c.inserted += counts.inserted ?? 0;
    c.updated += counts.updated ?? 0;
    c.deleted += counts.deleted ?? 0;
    c.last = pos;
    byXid.set(xid, c);
  }

  private ours(file: string): boolean {
    return file.split('/')[1] === String(this.database);
  }

  /** The files a transaction made, its subtransactions' included. */
  madeBy(xid: number): string[] {
    const end = this.ended.get(xid);
    return end ? [end.xid, ...end.subxids].flatMap((x) => this.createdBy.get(x) ?? []) : (this.createdBy.get(xid) ?? []);
  }

  /** Whether the file had row changes between two positions of the read. */
  changedBetween(file: string, from: number, to: number): boolean {
    for (const c of this.changes.get(file)?.values() ?? []) if (c.last >= from && c.first <= to) return true;
    return false;
  }
}
