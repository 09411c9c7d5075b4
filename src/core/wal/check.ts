// What an archive listing means for recovery: timelines and their unbroken runs, every problem named, and the recoverable window per base backup.
import type { BackupHistory, TimelineSwitch } from './history';
import { formatLsn, historyFileName, lsnToSegment, parseLsn, segmentName, segmentStartLsn, type Compression, formatSize } from './names';
import { checkSegments, checkSwitches, gapProblem, gapsWithin, summarize } from './segments';
import { segmentTableOf, type SegmentTable } from './segmentTable';
import { groupTimelines, hasSegment, type Timeline } from './timeline';
import { recoverableWindow } from './window';

/** One segment file as listed: full or `.partial`, plain or compressed. */
export interface SegmentEntry {
  name: string;
  tli: number;
  segno: number;
  size: number;
  mtimeMs: number;
  compression?: Compression;
  partial: boolean;
}

export interface HistoryEntry {
  file: string;
  tli: number;
  mtimeMs: number;
  /** Undefined when the file was not read (or could not be): see `error`. */
  switches?: TimelineSwitch[];
  error?: string;
}

export interface BackupEntry {
  file: string;
  /** From the name: the timeline the backup stopped on. */
  tli: number;
  mtimeMs: number;
  backup?: BackupHistory;
  error?: string;
}

/** A base backup the caller knows of (one the extension made), in the archive or not. */
export interface KnownBaseBackup {
  label: string;
  /** `0/2000138` */
  stopLsn: string;
  /** The segment of the stop LSN; derived from the LSN when absent. */
  stopWal?: string;
  stopTime?: Date;
  timeline: number;
}

/** Everything `analyzeArchive` needs: what the directory holds, already read. */
export interface ArchiveInventory {
  segmentSize: number;
  /** A scan gives a table (no object per file); other callers may give a few entries, in any order. */
  segments: SegmentTable | readonly SegmentEntry[];
  histories: HistoryEntry[];
  backups: BackupEntry[];
  /** Names that are no archive file, and whether each is a folder. */
  stray: { name: string; directory: boolean }[];
  /** Segment-shaped names whose last 8 digits cannot occur at this segment size. */
  misnamed: string[];
  knownBaseBackups: KnownBaseBackup[];
  /** When the folder was listed (ms): a short newest segment modified just before is still being copied. */
  listedAtMs?: number;
}


export type ProblemKind =
  | 'gap'
  | 'wrong-size'
  | 'in-progress'
  | 'empty'
  | 'missing-history'
  | 'bad-history'
  | 'bad-backup-file'
  | 'partial'
  | 'duplicate'
  | 'misnamed'
  | 'stray'
  | 'no-wal'
  | 'unreadable';

/** error: recovery breaks (the CLI exits 1). warning: something to clean up or look at. info: expected, shown for completeness. */
export type Severity = 'error' | 'warning' | 'info';

export interface ArchiveProblem {
  kind: ProblemKind;
  severity: Severity;
  /** One sentence: what is wrong, then what it breaks. */
  message: string;
  file?: string;
  timeline?: number;
  /** For gaps and runs of bad segments: the first and last segment concerned. */
  segments?: { first: string; last: string; count: number };
}

/** Consecutive usable segments of one timeline. */
export interface SegmentRun {
  first: string;
  last: string;
  count: number;
  bytes: number;
  /** Modification times of the first and last files: when they were archived, roughly. */
  firstTime: Date;
  lastTime: Date;
  startLsn: string;
  /** The end of the last segment. */
  endLsn: string;
}

export interface TimelineSummary {
  tli: number;
  parent?: number;
  /** Where the parent ended and this timeline began. */
  switchLsn?: string;
  historyFile?: string;
  /** Complete segment files (not `.partial`), good or bad. */
  segments: number;
  bytes: number;
  runs: SegmentRun[];
}

export interface WindowPoint {
  lsn: string;
  timeline: number;
  time?: Date;
  /** True when the time was written by PostgreSQL (a backup's STOP TIME); false when it is a file's modification time. */
  exact: boolean;
  /** Where the time comes from, for people. */
  source: string;
}

export interface BackupWindow {
  label: string;
  /** `archive`: a `.backup` file in the archive; `known`: passed in by the caller. */
  origin: 'archive' | 'known';
  file?: string;
  /** Recovery from this backup can stop anywhere from `from` (its end) to `to` (the end of the unbroken WAL after it). */
  from: WindowPoint;
  to: WindowPoint;
  /** False when the archive has no usable segment at or after the backup's stop segment. */
  walAfterStop: boolean;
}

export interface RecoverableWindow {
  backups: BackupWindow[];
  earliest?: WindowPoint & { backup: string };
  latest?: WindowPoint & { backup: string };
  /** Why there is no window, when there is none. */
  note?: string;
}

export interface ArchiveAnalysis {
  timelines: TimelineSummary[];
  problems: ArchiveProblem[];
  window: RecoverableWindow;
}


const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function analyzeArchive(inv: ArchiveInventory): ArchiveAnalysis {
  const size = inv.segmentSize;
  const problems: ArchiveProblem[] = [];
  const name = (tli: number, segno: number): string => segmentName(tli, segno, size);
  const lsnAt = (segno: number): string => formatLsn(segmentStartLsn(segno, size));

  const table = segmentTableOf(inv.segments, size);
  const timelines = groupTimelines(table, inv.histories);
  applyHistories(inv.histories, timelines);

  // A parent's last segment is often a .partial copy of the switch segment, which the child holds in full.
  const continuedByChild = new Set<string>();
  for (const t of timelines.values()) {
    if (t.parent === undefined || t.switchLsn === undefined) continue;
    const s = lsnToSegment(t.switchLsn, size);
    if (hasSegment(t, s)) continuedByChild.add(`${t.parent}:${s}`);
  }
  for (const t of timelines.values()) {
    checkSegments(t, table, size, problems, continuedByChild, inv.listedAtMs);
    // A timeline begins at its switch segment: anything older on it is nothing recovery can use,
    // and a gap between its first segment and the switch is checkSwitches' to name.
    const begins = t.switchLsn === undefined ? 0 : lsnToSegment(t.switchLsn, size);
    const early = t.present.filter((n) => n < begins);
    for (const n of early) {
      problems.push({
        kind: 'stray',
        severity: 'warning',
        timeline: t.tli,
        file: name(t.tli, n),
        message: `segment ${name(t.tli, n)} is older than timeline ${t.tli} itself, which began at ${formatLsn(t.switchLsn ?? 0n)}: recovery never reads it, so move it out of the archive`,
      });
    }
    const used = early.length ? t.present.filter((n) => n >= begins) : t.present;
    for (const [first, last] of gapsWithin(used)) problems.push(gapProblem(t.tli, first, last, '', name, lsnAt));
  }
  checkSwitches(timelines, size, problems, name, lsnAt);

  // A timeline above 1 needs its history file for recovery to follow it, even when a descendant's file lists it.
  const needHistory = new Set<number>();
  for (const t of timelines.values()) if (t.present.length || t.partials.length) needHistory.add(t.tli);
  for (const b of inv.backups) needHistory.add(b.backup?.stopTimeline ?? b.tli);
  for (const k of inv.knownBaseBackups) needHistory.add(k.timeline);
  const historyFiles = new Set(inv.histories.map((h) => h.tli));
  for (const tli of [...needHistory].sort((a, b) => a - b)) {
    if (tli > 1 && !historyFiles.has(tli)) {
      problems.push({
        kind: 'missing-history',
        severity: 'error',
        timeline: tli,
        file: historyFileName(tli),
        message: `timeline ${tli} has no history file ${historyFileName(tli)} in the archive: recovery cannot follow timeline ${tli}, and its switch from the parent timeline cannot be checked for gaps`,
      });
    }
  }

  for (const h of inv.histories) {
    if (h.error) {
      const unreadable = h.error.startsWith('cannot read');
      problems.push({
        kind: 'bad-history',
        severity: unreadable ? 'warning' : 'error',
        timeline: h.tli,
        file: h.file,
        message: unreadable
          ? `${h.file} ${h.error}: the switch point of timeline ${h.tli} is not checked for gaps`
          : `${h.file} is not a valid timeline history file (${h.error}): recovery onto timeline ${h.tli} fails when it reads it`,
      });
    }
  }
  for (const b of inv.backups) {
    if (b.error) {
      problems.push({
        kind: 'bad-backup-file',
        severity: 'warning',
        file: b.file,
        timeline: b.tli,
        message: `${b.file} cannot be used (${b.error}): the base backup it records is left out of the recoverable window`,
      });
    }
  }
  for (const m of inv.misnamed) {
    problems.push({
      kind: 'misnamed',
      severity: 'error',
      file: m,
      message: `${m} is named like a WAL segment, but its last 8 digits cannot occur with ${formatSize(size)} segments: the archive comes from a server with smaller segments, so give its segment size (--segment-size)`,
    });
  }
  for (const s of inv.stray) {
    problems.push({
      kind: 'stray',
      severity: 'warning',
      file: s.name,
      message: s.directory
        ? `folder ${s.name} is not part of a WAL archive: recovery never reads it, so move it elsewhere`
        : `${s.name} is not a WAL segment, timeline history or backup history file: recovery never reads it, so move it out of the archive`,
    });
  }

  // A mistyped path or an archive_command that never ran looks like an empty archive: nothing is recoverable from it.
  if (inv.segments.length === 0 && inv.misnamed.length === 0) {
    const others = inv.stray.length + inv.histories.length + inv.backups.length;
    problems.push({
      kind: 'no-wal',
      severity: 'error',
      message: `there is no WAL segment in this folder${others ? ` (only ${others} other file${others === 1 ? '' : 's'})` : ''}: recovery has nothing to replay. Check the path against the folder archive_command copies to, and that archiving is on`,
    });
  }

  // Worst first, then in archive order: a monitor's first line is the thing to fix.
  problems.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      (a.timeline ?? Infinity) - (b.timeline ?? Infinity) ||
      compareText(a.file ?? '', b.file ?? ''),
  );
  return {
    timelines: [...timelines.values()].map((t) => summarize(t, table, size)),
    problems,
    window: recoverableWindow(inv, timelines, table, size),
  };
}

/** Code-point order, the order WAL names are in; localeCompare would weigh punctuation differently. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The history file of timeline N names every ancestor and where it ended, so each file gives the
 * parent and switch point of several timelines; a timeline's own file has the last word.
 */
function applyHistories(histories: HistoryEntry[], timelines: Map<number, Timeline>): void {
  const ordered = [...histories].sort((a, b) => b.tli - a.tli);
  for (const h of ordered) {
    if (!h.switches) continue;
    h.switches.forEach((sw, i) => {
      const child = h.switches?.[i + 1]?.parentTli ?? h.tli;
      const t = timelines.get(child);
      const lsn = parseLsn(sw.switchLsn);
      if (!t || lsn === undefined) return;
      t.parent = sw.parentTli;
      t.switchLsn = lsn;
    });
  }
}

