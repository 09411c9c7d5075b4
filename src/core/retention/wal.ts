// Which archived WAL no kept base backup needs, once retention has decided which base backups stay, and the recoverable window before and after.
//
// The rules (pg_archivecleanup's, with the timeline rules written out):
// - The cut-off is the start segment of the oldest kept base backup (the smallest start LSN; its
//   start timeline T). A base backup needs every segment from the one holding its start LSN on, so
//   no kept backup needs a segment before the cut-off.
// - Removed: segments, complete or `.partial`, plain or compressed, whose segment number is before
//   the cut-off on timeline T and on every lower-numbered timeline (T's ancestors, and siblings an
//   old promotion left). pg_archivecleanup ignores the timeline and removes old segments of later
//   timelines as well; here a timeline numbered above T keeps its old WAL, which can only belong to a
//   history retention did not see (a copy promoted elsewhere).
// - Never removed: any `.history` file (recovery follows timelines through them, and they are tiny);
//   the `.backup` file of a kept base backup; anything that is not a WAL archive file.
// - Removed as well: the `.backup` files of the base backups retention removes, and any `.backup`
//   file whose start lies before the cut-off on T or a lower timeline (its WAL is gone with it).
// - Without a kept base backup nothing is removed: archived WAL alone restores nothing, but
//   removing all of it is not retention's decision.
import { analyzeArchive, type ArchiveInventory, type KnownBaseBackup, type RecoverableWindow } from '../wal/check';
import { segmentTableOf } from '../wal/segmentTable';
import { lsnToSegment, parseLsn, parseWalFileName, segmentName, segmentNumber } from '../wal/names';
import { toKnownBaseBackup, type BaseBackupRecord } from '../physical/record';

/** One base backup of the plan, as WAL retention needs it. */
export interface WalBaseBackup {
  label: string;
  /** `0/5000028`: where WAL replay starts; the backup needs every segment from the one holding it. */
  startLsn: string;
  startTimeline: number;
  /** Where its recoverable window begins. */
  known: KnownBaseBackup;
  /** Whether retention keeps it. */
  kept: boolean;
}

export interface WalCleanupPlan {
  /** Archive file names to remove, in name order. */
  remove: string[];
  /** Bytes of the segment files in `remove`. */
  removeBytes: number;
  /** The oldest kept base backup's start: nothing from this segment on, and nothing on a later timeline, is removed. */
  cutoff?: { backup: string; timeline: number; segment: string };
  /** Why nothing is removed, when nothing is. */
  note?: string;
  /** The recoverable window with every base backup and all of today's WAL. */
  before: RecoverableWindow;
  /** The window with the kept base backups only and the WAL that stays. */
  after: RecoverableWindow;
}

/** A base backup record as WAL retention needs it. */
export function walBaseBackup(record: BaseBackupRecord, kept: boolean): WalBaseBackup {
  return { label: record.label, startLsn: record.startLsn, startTimeline: record.startTimeline ?? record.timeline, known: toKnownBaseBackup(record), kept };
}

/**
 * What removing the WAL no kept base backup needs would remove, and the windows before and after.
 * Pure: `inventory` is the archive as read (`readArchiveInventory`); its `knownBaseBackups` are
 * replaced by `backups`. Linear in the archive's size, plus two window computations.
 */
export function planWalCleanup(inventory: ArchiveInventory, backups: readonly WalBaseBackup[]): WalCleanupPlan {
  const size = inventory.segmentSize;
  const before = analyzeArchive({ ...inventory, knownBaseBackups: backups.map((b) => b.known) }).window;
  const starts = backups.flatMap((b) => {
    const lsn = parseLsn(b.startLsn);
    return lsn === undefined ? [] : [{ backup: b, lsn }];
  });
  const kept = starts.filter((s) => s.backup.kept);
  if (kept.length === 0) {
    const note = backups.some((b) => b.kept)
      ? 'no kept base backup has a readable start LSN in its record, so no WAL is removed: check the records beside the base backups'
      : 'no base backup is kept, so no WAL is removed: archived WAL alone restores nothing, but removing all of it is not retention\'s decision';
    return { remove: [], removeBytes: 0, note, before, after: before };
  }
  const oldest = kept.reduce((a, b) => (b.lsn < a.lsn || (b.lsn === a.lsn && b.backup.startTimeline < a.backup.startTimeline) ? b : a));
  const cutTli = oldest.backup.startTimeline;
  const cutSegno = lsnToSegment(oldest.lsn, size);
  const keptStarts = new Set(kept.map((s) => s.lsn));
  const removedStarts = new Set(starts.filter((s) => !s.backup.kept && !keptStarts.has(s.lsn)).map((s) => s.lsn));

  const remove: string[] = [];
  let removeBytes = 0;
  const table = segmentTableOf(inventory.segments, size);
  const segments = table.filter((i) => {
    if ((table.tli[i] as number) > cutTli || (table.segno[i] as number) >= cutSegno) return true;
    remove.push(table.name(i));
    removeBytes += table.size[i] as number;
    return false;
  });
  const backupFiles = inventory.backups.filter((b) => {
    const p = parseWalFileName(b.file);
    if (p?.kind !== 'backup') return true;
    const segno = segmentNumber(p.log, p.seg, size);
    if (segno === undefined) return true;
    const start = BigInt(segno) * BigInt(size) + BigInt(p.offset);
    if (keptStarts.has(start)) return true;
    const beforeCut = p.tli <= cutTli && segno < cutSegno;
    if (!beforeCut && !removedStarts.has(start)) return true;
    remove.push(b.file);
    return false;
  });
  remove.sort();

  const after = analyzeArchive({
    ...inventory,
    segments,
    backups: backupFiles,
    knownBaseBackups: backups.filter((b) => b.kept).map((b) => b.known),
  }).window;
  return {
    remove,
    removeBytes,
    cutoff: { backup: oldest.backup.label, timeline: cutTli, segment: segmentName(cutTli, cutSegno, size) },
    before,
    after,
  };
}
