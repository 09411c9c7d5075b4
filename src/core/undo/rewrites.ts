// Following a table back across the rewrites the WAL read holds. TRUNCATE, VACUUM FULL, CLUSTER and a
// rewriting ALTER TABLE give a table a new file (relfilenode) and drop the old one at commit: the
// transaction that created the current file names, in its commit record, the files it dropped, and
// the table's earlier file is among them. It is followed only when that can be done exactly: the
// transaction replaced this table alone (the live server says who owns the files it made; for an
// earlier rewrite, every file it made was dropped again with the table's), it dropped no more than it
// made, and exactly one dropped file held rows in the WAL read. Dropped files that held no rows are
// looked through to the rewrite that made them (VACUUM FULL then CLUSTER copies pages, not rows).
import { type FileChange, fileKey, relfilenodeOf, type TransactionEnd, type WalRecordLog } from './walRecords';
import type { RelationLocator, TableTransaction } from './walChanges';

export interface TableRewrite {
  xid: number;
  /** Its commit time. */
  at?: Date;
  /** Its commit record. */
  lsn?: string;
  /**
   * What the WAL shows it wrote into the new file: `copied` page images (VACUUM FULL, CLUSTER), `rewritten`
   * rows it inserted itself (ALTER TABLE … TYPE, or a TRUNCATE followed by inserts), or nothing: `emptied`
   * (TRUNCATE, or a rewrite of a table that had no rows).
   */
  how: 'emptied' | 'copied' | 'rewritten';
  /** The file it made for the table. */
  newRelfilenode: number;
  /** Followed: the earlier file that held the rows (none when no earlier file held rows in the WAL read). Not followed: the candidates. */
  earlierRelfilenodes: number[];
  followed: boolean;
  /** Why it was or was not followed, in a sentence a person reads. */
  why: string;
}

export interface ResolveOptions {
  /** The table's oid: a file numbered so is the one CREATE TABLE made, the first of the chain. */
  tableOid?: number;
  /** Who uses each file the current file's creator made, as the live server says: this table (its heap, TOAST or indexes) or another. */
  owners?: ReadonlyMap<string, 'table' | 'other'>;
}

interface Segment {
  file: string;
  from: number;
  to: number;
}

interface Found {
  /** Where its commit is in the read, for the order. */
  pos: number;
  rewrite: TableRewrite;
}

interface Step {
  rewrites: Found[];
  next?: Segment;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function resolveTable(log: WalRecordLog, current: RelationLocator, opts: ResolveOptions = {}): { transactions: TableTransaction[]; rewrites: TableRewrite[] } {
  const segments: Segment[] = [];
  const found: Found[] = [];
  let segment: Segment = { file: fileKey(current), from: 0, to: Number.POSITIVE_INFINITY };
  for (let hop = 0; ; hop++) {
    const made = log.created.get(segment.file);
    segments.push({ ...segment, from: made && made.pos <= segment.to ? made.pos : 0 });
    if (!made || made.pos > segment.to) break;
    if (opts.tableOid !== undefined && relfilenodeOf(segment.file) === opts.tableOid) break;
    const step = stepBack(log, segment.file, made.xid, hop === 0 ? opts.owners : undefined, opts.tableOid);
    if (!step) break;
    found.push(...step.rewrites);
    if (!step.next || segments.some((s) => s.file === step.next?.file)) break;
    segment = step.next;
  }
  const rewrites = found.sort((a, b) => a.pos - b.pos).map((f) => f.rewrite);
  return { transactions: transactionsOf(log, segments), rewrites };
}

function stepBack(log: WalRecordLog, file: string, xid: number, owners: ReadonlyMap<string, 'table' | 'other'> | undefined, tableOid: number | undefined): Step | undefined {
  const end = log.ended.get(xid);
  const newRelfilenode = relfilenodeOf(file);
  if (!end || end.outcome !== 'committed') {
    // Without the oid a creation cannot be told from a rewrite, and a creation has nothing earlier.
    if (tableOid === undefined) return undefined;
    const rewrite: TableRewrite = { xid, how: howWritten(log, xid, file), newRelfilenode, earlierRelfilenodes: [], followed: false, why: 'its commit is not in the WAL read, so the files it replaced are not known' };
    return { rewrites: [{ pos: Number.POSITIVE_INFINITY, rewrite }] };
  }
  // A rewrite in a subtransaction is reported, and recovered to, as its top-level transaction.
  xid = end.xid;
  const made = new Set(log.madeBy(xid));
  const dropped = end.dropped.filter((f) => !made.has(f));
  // A transaction that made the file and dropped nothing created the table (or a new table under the name).
  if (dropped.length === 0) return undefined;
  const base = { xid, at: end.at, lsn: end.lsn, how: howWritten(log, end, file), newRelfilenode };
  const others = owners ? [...made].filter((f) => owners.get(f) === 'other') : [];
  const refuse = (why: string, candidates: string[] = []): Step => ({ rewrites: [{ pos: end.pos, rewrite: { ...base, earlierRelfilenodes: candidates.map(relfilenodeOf), followed: false, why } }] });
  if (others.length > 0) return refuse(`the same transaction gave ${plural(others.length, 'file')} of other tables a new file too (a TRUNCATE or rewrite of several tables), so which dropped file was this table's cannot be told`);
  const problem = extraDrops(end, made);
  if (problem) return refuse(problem);

  // The dropped files that held rows. When none did, each was looked through to the rewrite that made it
  // (its TOAST table and indexes were made by the same one), one generation at a time.
  const candidates = new Map<string, number>();
  const through: Found[] = [];
  const seen = new Set<number>([xid]);
  let level: { file: string; droppedAt: TransactionEnd }[] = dropped.map((f) => ({ file: f, droppedAt: end }));
  while (level.length > 0 && candidates.size === 0) {
    const next: typeof level = [];
    for (const { file: f, droppedAt } of level) {
      if (log.indexFiles.has(f)) continue;
      const creator = log.created.get(f);
      if (log.changedBetween(f, creator && creator.pos < droppedAt.pos ? creator.pos : 0, droppedAt.pos)) candidates.set(f, droppedAt.pos);
    }
    if (candidates.size > 0) break;
    for (const { file: f, droppedAt } of level) {
      const creator = log.created.get(f);
      const earlier = creator && log.ended.get(creator.xid);
      if (!creator || !earlier || creator.pos > droppedAt.pos || seen.has(earlier.xid) || earlier.outcome !== 'committed') continue;
      const earlierMade = new Set(log.madeBy(creator.xid));
      const earlierDropped = earlier.dropped.filter((g) => !earlierMade.has(g));
      if (earlierDropped.length === 0) continue;
      seen.add(earlier.xid);
      // Everything that rewrite made must have gone with the table's file: a file it made that outlived
      // it belongs to another relation it rewrote at the same time.
      const outlived = [...earlierMade].filter((g) => !earlier.dropped.includes(g) && !droppedAt.dropped.includes(g));
      if (outlived.length > 0) return refuse(`an earlier rewrite it leads back to (xid ${earlier.xid}) also gave ${plural(outlived.length, 'other file')} a new file, so which of the files it dropped was this table's cannot be told`);
      const extra = extraDrops(earlier, earlierMade);
      if (extra) return refuse(`an earlier rewrite it leads back to (xid ${earlier.xid}): ${extra}`);
      // PostgreSQL makes a rewritten table's heap before its TOAST table and indexes.
      const heap = log.madeBy(creator.xid).find((g) => droppedAt.dropped.includes(g) && !earlier.dropped.includes(g)) ?? f;
      through.push({ pos: earlier.pos, rewrite: { xid: earlier.xid, at: earlier.at, lsn: earlier.lsn, how: howWritten(log, earlier, heap), newRelfilenode: relfilenodeOf(heap), earlierRelfilenodes: [], followed: true, why: '' } });
      next.push(...earlierDropped.map((g) => ({ file: g, droppedAt: earlier })));
    }
    level = next;
  }
  const keys = [...candidates.keys()];
  if (keys.length > 1) {
    return refuse(`it dropped ${keys.length} earlier files that held rows in the WAL read (the table's and its TOAST table's, or another table's), and they cannot be told apart`, keys);
  }
  const only = keys[0];
  const followedWhy = only ? `followed into the earlier file ${relfilenodeOf(only)}` : 'no earlier file of the table held rows in the WAL read';
  // Each rewrite looked through replaced the file the one before it made; the oldest, the file that held the rows.
  const earlierOf = (i: number): number[] => (i < through.length ? [(through[i] as Found).rewrite.newRelfilenode] : only ? [relfilenodeOf(only)] : []);
  through.forEach((t, i) => {
    t.rewrite.earlierRelfilenodes = earlierOf(i + 1);
    t.rewrite.why = i < through.length - 1 ? 'followed: the files it dropped held no rows in the WAL read, and lead to the rewrite that made them' : followedWhy;
  });
  const rewrite: TableRewrite = { ...base, earlierRelfilenodes: earlierOf(0), followed: true, why: through.length > 0 && only ? `followed back through ${plural(through.length, 'earlier rewrite')} into the file ${relfilenodeOf(only)}` : followedWhy };
  return { rewrites: [{ pos: end.pos, rewrite }, ...through], ...(only ? { next: { file: only, from: 0, to: candidates.get(only) as number } } : {}) };
}

/** A rewrite drops one file for each it makes; dropping more means it dropped other relations too (DROP TABLE in the same transaction). */
function extraDrops(end: TransactionEnd, made: ReadonlySet<string>): string | undefined {
  const dropped = end.dropped.filter((f) => !made.has(f)).length;
  const replacements = [...made].filter((f) => !end.dropped.includes(f)).length;
  return dropped > replacements ? `the same transaction dropped ${plural(dropped, 'file')} but made only ${replacements}: it dropped other relations too, whose files cannot be told from this table's` : undefined;
}

function howWritten(log: WalRecordLog, end: Pick<TransactionEnd, 'xid' | 'subxids'> | number, file: string): TableRewrite['how'] {
  const xids = typeof end === 'number' ? [end] : [end.xid, ...end.subxids];
  if (xids.some((x) => log.pagesCopied.has(`${x}:${file}`))) return 'copied';
  return xids.some((x) => (log.changes.get(file)?.get(x)?.inserted ?? 0) > 0) ? 'rewritten' : 'emptied';
}

/** The transactions that changed the table in any of its files, each file counted only while it was the table's. */
function transactionsOf(log: WalRecordLog, segments: readonly Segment[]): TableTransaction[] {
  const byXid = new Map<number, { t: TableTransaction; first: number }>();
  for (const s of segments) {
    for (const [own, c] of log.changes.get(s.file) ?? new Map<number, FileChange>()) {
      if (c.first < s.from || c.first > s.to) continue;
      // A subtransaction's rows are its top-level transaction's: that is what commits, and what a recovery targets.
      const xid = log.ended.get(own)?.xid ?? own;
      const had = byXid.get(xid);
      if (!had) {
        byXid.set(xid, { t: { xid, inserted: c.inserted, updated: c.updated, deleted: c.deleted, firstLsn: c.firstLsn, outcome: 'in-progress' }, first: c.first });
        continue;
      }
      had.t.inserted += c.inserted;
      had.t.updated += c.updated;
      had.t.deleted += c.deleted;
      if (c.first < had.first) [had.first, had.t.firstLsn] = [c.first, c.firstLsn];
    }
  }
  return [...byXid.values()]
    .sort((a, b) => a.first - b.first)
    .map(({ t }) => {
      const end = log.ended.get(t.xid);
      return end ? { ...t, outcome: end.outcome, at: end.at } : t;
    });
}
