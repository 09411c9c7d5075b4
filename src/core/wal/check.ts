// What an archive listing means for recovery: timelines and their unbroken runs, every problem named, and the recoverable window per base backup.
import type { BackupHistory, TimelineSwitch } from './history';
import { formatLsn, historyFileName, lsnToSegment, parseLsn, parseWalFileName, segmentName, segmentNumber, segmentStartLsn, type Compression } from './names';

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
  segments: SegmentEntry[];
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

/** A short last segment this recent is taken as being written by archive_command, not as damage. */
export const IN_PROGRESS_MS = 60_000;

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
  | 'no-wal';

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

interface Timeline {
  tli: number;
  parent?: number;
  switchLsn?: bigint;
  historyFile?: string;
  /** Complete segment files in segment order; a number can appear twice (a plain and a compressed copy). */
  files: SegmentEntry[];
  /** Segment numbers of complete files, good or bad, ascending and distinct. */
  present: number[];
  partials: SegmentEntry[];
  /** Runs of usable segments, in order; the window walks them. */
  runs: Run[];
}

interface Run {
  firstSegno: number;
  lastSegno: number;
  first: SegmentEntry;
  /** The newest file of the last segment: its time is the run's end. */
  last: SegmentEntry;
  bytes: number;
}

function hasSegment(t: Timeline, segno: number): boolean {
  const p = t.present;
  let lo = 0;
  let hi = p.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = p[mid] as number;
    if (v === segno) return true;
    if (v < segno) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function analyzeArchive(inv: ArchiveInventory): ArchiveAnalysis {
  const size = inv.segmentSize;
  const problems: ArchiveProblem[] = [];
  const name = (tli: number, segno: number): string => segmentName(tli, segno, size);
  const lsnAt = (segno: number): string => formatLsn(segmentStartLsn(segno, size));

  const timelines = groupTimelines(inv);
  applyHistories(inv.histories, timelines);

  // A parent's last segment is often a .partial copy of the switch segment, which the child holds in full.
  const continuedByChild = new Set<string>();
  for (const t of timelines.values()) {
    if (t.parent === undefined || t.switchLsn === undefined) continue;
    const s = lsnToSegment(t.switchLsn, size);
    if (hasSegment(t, s)) continuedByChild.add(`${t.parent}:${s}`);
  }
  for (const t of timelines.values()) {
    checkSegments(t, size, problems, continuedByChild, inv.listedAtMs);
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
    timelines: [...timelines.values()].map((t) => summarize(t, size)),
    problems,
    window: recoverableWindow(inv, timelines, size),
  };
}

/** Code-point order, the order WAL names are in; localeCompare would weigh punctuation differently. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupTimelines(inv: ArchiveInventory): Map<number, Timeline> {
  const timelines = new Map<number, Timeline>();
  const get = (tli: number): Timeline => {
    let t = timelines.get(tli);
    if (!t) {
      t = { tli, files: [], present: [], partials: [], runs: [] };
      timelines.set(tli, t);
    }
    return t;
  };
  // The scan lists in name order, which is timeline then segment order: one lookup per timeline, not per file.
  let t: Timeline | undefined;
  let sorted = true;
  for (const s of inv.segments) {
    if (t?.tli !== s.tli) t = get(s.tli);
    if (s.partial) {
      t.partials.push(s);
      continue;
    }
    const prev = t.files[t.files.length - 1];
    if (prev && prev.segno > s.segno) sorted = false;
    t.files.push(s);
  }
  for (const tl of timelines.values()) {
    if (!sorted) tl.files.sort((a, b) => a.segno - b.segno);
    for (const f of tl.files) if (tl.present[tl.present.length - 1] !== f.segno) tl.present.push(f.segno);
  }
  for (const h of inv.histories) get(h.tli).historyFile = h.file;
  return new Map([...timelines.entries()].sort((a, b) => a[0] - b[0]));
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

/** Sizes, duplicates and `.partial` files of one timeline; fills in its runs of usable segments. */
function checkSegments(t: Timeline, size: number, problems: ArchiveProblem[], continuedByChild: Set<string>, listedAtMs?: number): void {
  const bad: { segno: number; file: SegmentEntry; kind: 'empty' | 'wrong-size' }[] = [];
  let run: Run | undefined;
  const files = t.files;
  for (let i = 0; i < files.length; ) {
    const start = i;
    const segno = (files[i] as SegmentEntry).segno;
    let j = i;
    while (j + 1 < files.length && (files[j + 1] as SegmentEntry).segno === segno) j++;
    let usable = true;
    let bytes = 0;
    let newest = files[i] as SegmentEntry;
    for (let k = i; k <= j; k++) {
      const f = files[k] as SegmentEntry;
      bytes += f.size;
      if (f.mtimeMs > newest.mtimeMs) newest = f;
      // Compressed sizes say nothing about content, but an empty file is empty whatever its suffix.
      const short = f.size === 0 || (!f.compression && f.size !== size);
      if (!short) continue;
      usable = false;
      // The newest segment of a timeline, short and modified moments ago: a copy in progress.
      if (j === files.length - 1 && listedAtMs !== undefined && listedAtMs - f.mtimeMs < IN_PROGRESS_MS && f.size < size) {
        problems.push({
          kind: 'in-progress',
          severity: 'info',
          timeline: t.tli,
          file: f.name,
          message: `segment ${f.name} is ${f.size} of ${size} bytes and was written ${Math.max(0, Math.round((listedAtMs - f.mtimeMs) / 1000))} s ago: archive_command is probably still copying it, so it is left out until it is complete (an archive_command that copies to a temporary name and renames it avoids this)`,
        });
        continue;
      }
      bad.push({ segno, file: f, kind: f.size === 0 ? 'empty' : 'wrong-size' });
    }
    if (j > i) {
      const copies = files.slice(i, j + 1).map((f) => f.name);
      problems.push({
        kind: 'duplicate',
        severity: 'warning',
        timeline: t.tli,
        file: copies[0],
        message: `segment ${segmentName(t.tli, segno, size)} is archived more than once (${copies.join(', ')}): restore_command may fetch either, so keep only the one it expects`,
      });
    }
    i = j + 1;
    if (!usable) {
      run = undefined;
    } else if (run && run.lastSegno === segno - 1) {
      run.lastSegno = segno;
      run.last = newest;
      run.bytes += bytes;
    } else {
      run = { firstSegno: segno, lastSegno: segno, first: files[start] as SegmentEntry, last: newest, bytes };
      t.runs.push(run);
    }
  }
  problems.push(...badSegmentProblems(t.tli, bad, size));

  const last = Math.max(t.present[t.present.length - 1] ?? -1, ...t.partials.map((p) => p.segno));
  for (const p of t.partials) {
    const lsn = formatLsn(segmentStartLsn(p.segno, size));
    if (hasSegment(t, p.segno)) {
      problems.push({
        kind: 'partial',
        severity: 'warning',
        timeline: t.tli,
        file: p.name,
        message: `${p.name} is left over: the complete segment is archived too, so the partial copy can be removed`,
      });
    } else if (p.segno === last && continuedByChild.has(`${t.tli}:${p.segno}`)) {
      problems.push({
        kind: 'partial',
        severity: 'info',
        timeline: t.tli,
        file: p.name,
        message: `${p.name} is the unfinished last segment of timeline ${t.tli}, as a promotion leaves it: nothing is lost, since the next timeline holds this WAL in full`,
      });
    } else if (p.segno === last && t.partials.filter((q) => q.segno === last).length === 1) {
      problems.push({
        kind: 'partial',
        severity: 'info',
        timeline: t.tli,
        file: p.name,
        message: `${p.name} is the unfinished last segment of timeline ${t.tli}, as pg_receivewal or a promotion leaves it: restore_command does not fetch it, so WAL after ${lsn} on timeline ${t.tli} is recoverable only once the complete segment or the next timeline is archived`,
      });
    } else {
      problems.push({
        kind: 'partial',
        severity: 'warning',
        timeline: t.tli,
        file: p.name,
        message: `${p.name} is unfinished and not the last segment of timeline ${t.tli}: restore_command never fetches a .partial file, so it does not fill the place of segment ${segmentName(t.tli, p.segno, size)}`,
      });
    }
  }
}

/** Consecutive bad segments of one kind become one problem, so a disk-full night does not print a thousand lines. */
function badSegmentProblems(tli: number, bad: { segno: number; file: SegmentEntry; kind: 'empty' | 'wrong-size' }[], size: number): ArchiveProblem[] {
  const out: ArchiveProblem[] = [];
  let i = 0;
  while (i < bad.length) {
    const head = bad[i] as (typeof bad)[number];
    let j = i;
    while (j + 1 < bad.length && bad[j + 1]?.kind === head.kind && bad[j + 1]?.segno === (bad[j]?.segno ?? 0) + 1) j++;
    const tail = bad[j] as (typeof bad)[number];
    const count = j - i + 1;
    const stop = `recovery on timeline ${tli} stops at ${formatLsn(segmentStartLsn(head.segno, size))}`;
    let message: string;
    if (count === 1) {
      const what = head.file.compression ? `compressed segment ${head.file.name}` : `segment ${head.file.name}`;
      message =
        head.kind === 'empty'
          ? `${what} is empty (0 bytes): ${stop}`
          : `segment ${head.file.name} is ${head.file.size} bytes instead of ${size} (${formatSize(size)}): it is truncated or from a server with another segment size, and ${stop}`;
    } else {
      message =
        head.kind === 'empty'
          ? `segments ${head.file.name} – ${tail.file.name} (${count}) are empty (0 bytes): ${stop}`
          : `segments ${head.file.name} – ${tail.file.name} (${count}) are not ${size} bytes (${formatSize(size)}) long: they are truncated or from a server with another segment size, and ${stop}`;
    }
    out.push({
      kind: head.kind,
      severity: 'error',
      timeline: tli,
      file: head.file.name,
      ...(count > 1 ? { segments: { first: head.file.name, last: tail.file.name, count } } : {}),
      message,
    });
    i = j + 1;
  }
  return out;
}

/** Holes between present segment numbers, as [first missing, last missing]. */
function gapsWithin(present: number[]): [number, number][] {
  const gaps: [number, number][] = [];
  for (let i = 1; i < present.length; i++) {
    const prev = present[i - 1] as number;
    const next = present[i] as number;
    if (next > prev + 1) gaps.push([prev + 1, next - 1]);
  }
  return gaps;
}

function gapProblem(
  tli: number,
  first: number,
  last: number,
  where: string,
  name: (tli: number, segno: number) => string,
  lsnAt: (segno: number) => string,
  breaks = `PITR past ${lsnAt(first)} on timeline ${tli} is impossible from any base backup that ends before it`,
): ArchiveProblem {
  const count = last - first + 1;
  const what = count === 1 ? `segment ${name(tli, first)} is` : `segments ${name(tli, first)} – ${name(tli, last)} (${count}) are`;
  return {
    kind: 'gap',
    severity: 'error',
    timeline: tli,
    file: name(tli, first),
    segments: { first: name(tli, first), last: name(tli, last), count },
    message: `${what} missing on timeline ${tli}${where}: ${breaks}`,
  };
}

/**
 * Gaps at a timeline switch. The child begins in the segment that holds the switch LSN (a copy of the
 * parent's WAL up to there, then its own), so it must have that segment; the parent must reach the
 * segment before it. The parent's own copy of the switch segment is often only a `.partial` and is
 * not needed: recovery reads the child's.
 */
function checkSwitches(
  timelines: Map<number, Timeline>,
  size: number,
  problems: ArchiveProblem[],
  name: (tli: number, segno: number) => string,
  lsnAt: (segno: number) => string,
): void {
  const parentTails = new Map<number, { first: number; last: number; child: number; switchLsn: bigint }>();
  for (const child of timelines.values()) {
    if (child.parent === undefined || child.switchLsn === undefined) continue;
    const s = lsnToSegment(child.switchLsn, size);
    const switchText = formatLsn(child.switchLsn);
    const after = child.present.find((n) => n >= s);
    if (after !== undefined && after > s) {
      problems.push(
        gapProblem(
          child.tli,
          s,
          after - 1,
          ` right after it branched from timeline ${child.parent} at ${switchText}`,
          name,
          lsnAt,
          `recovery cannot follow timeline ${child.tli}, so PITR past ${switchText} on it is impossible`,
        ),
      );
    }
    const parent = timelines.get(child.parent);
    if (!parent || parent.present.length === 0) continue;
    const lastOfParent = parent.present[parent.present.length - 1] as number;
    // Segments beyond the switch mean the parent went on (an old primary still archiving): gapsWithin has judged those.
    if (lastOfParent >= s - 1) continue;
    const tail = { first: lastOfParent + 1, last: s - 1, child: child.tli, switchLsn: child.switchLsn };
    const known = parentTails.get(parent.tli);
    if (!known || known.last < tail.last) parentTails.set(parent.tli, tail);
  }
  for (const [tli, tail] of parentTails) {
    problems.push(
      gapProblem(
        tli,
        tail.first,
        tail.last,
        ` before its switch to timeline ${tail.child} at ${formatLsn(tail.switchLsn)}`,
        name,
        lsnAt,
        `PITR past ${lsnAt(tail.first)} on timeline ${tli}, and onto timeline ${tail.child}, is impossible`,
      ),
    );
  }
}

function summarize(t: Timeline, size: number): TimelineSummary {
  let bytes = 0;
  for (const f of t.files) bytes += f.size;
  const summary: TimelineSummary = {
    tli: t.tli,
    ...(t.parent !== undefined ? { parent: t.parent } : {}),
    ...(t.switchLsn !== undefined ? { switchLsn: formatLsn(t.switchLsn) } : {}),
    ...(t.historyFile !== undefined ? { historyFile: t.historyFile } : {}),
    segments: t.present.length,
    bytes,
    runs: t.runs.map((r) => ({
      first: segmentName(t.tli, r.firstSegno, size),
      last: segmentName(t.tli, r.lastSegno, size),
      count: r.lastSegno - r.firstSegno + 1,
      bytes: r.bytes,
      firstTime: new Date(r.first.mtimeMs),
      lastTime: new Date(r.last.mtimeMs),
      startLsn: formatLsn(segmentStartLsn(r.firstSegno, size)),
      endLsn: formatLsn(segmentStartLsn(r.lastSegno + 1, size)),
    })),
  };
  return summary;
}

interface BaseBackupPoint {
  label: string;
  origin: 'archive' | 'known';
  file?: string;
  timeline: number;
  stopLsn: bigint;
  stopSegno: number;
  from: WindowPoint;
}

/**
 * For each base backup: from its end (the earliest consistent point) to the end of the unbroken WAL
 * that follows it, across timeline switches that happen after it; the furthest branch wins, as
 * recovery_target_timeline = 'latest' would usually take it.
 */
function recoverableWindow(inv: ArchiveInventory, timelines: Map<number, Timeline>, size: number): RecoverableWindow {
  const points = baseBackupPoints(inv, size);
  if (points.length === 0) {
    return {
      backups: [],
      note: 'no base backup is known (no .backup file in the archive, none made by the extension): archived WAL alone restores nothing',
    };
  }
  const children = new Map<number, Timeline[]>();
  for (const t of timelines.values()) {
    if (t.parent === undefined) continue;
    const list = children.get(t.parent) ?? [];
    list.push(t);
    children.set(t.parent, list);
  }

  /** The furthest usable segment reachable from `segno` on `tli`, having WAL up to `segno - 1` already. */
  const reach = (tli: number, segno: number, since: bigint): { tli: number; segno: number; file: SegmentEntry } | undefined => {
    const t = timelines.get(tli);
    const run = t?.runs.find((r) => r.firstSegno <= segno && segno <= r.lastSegno);
    let best: { tli: number; segno: number; file: SegmentEntry } | undefined = run
      ? { tli, segno: run.lastSegno, file: run.last }
      : undefined;
    const reached = run ? run.lastSegno : segno - 1;
    for (const c of children.get(tli) ?? []) {
      if (c.switchLsn === undefined || c.switchLsn < since) continue;
      const s = lsnToSegment(c.switchLsn, size);
      if (s < segno || s > reached + 1) continue;
      const further = reach(c.tli, s, c.switchLsn);
      if (further && (!best || further.segno > best.segno || (further.segno === best.segno && further.tli > best.tli))) best = further;
    }
    return best;
  };

  const backups: BackupWindow[] = points.map((p) => {
    const end = reach(p.timeline, p.stopSegno, p.stopLsn);
    if (!end) {
      return { label: p.label, origin: p.origin, ...(p.file ? { file: p.file } : {}), from: p.from, to: { ...p.from }, walAfterStop: false };
    }
    const mtime = new Date(end.file.mtimeMs);
    const to: WindowPoint = {
      lsn: formatLsn(segmentStartLsn(end.segno + 1, size)),
      timeline: end.tli,
      // A segment's file time is when it was archived, a little after its last record: clamp so the window never runs backwards.
      time: p.from.time && p.from.time > mtime ? p.from.time : mtime,
      exact: false,
      source: `time ${end.file.name} was archived`,
    };
    return { label: p.label, origin: p.origin, ...(p.file ? { file: p.file } : {}), from: p.from, to, walAfterStop: true };
  });

  const window: RecoverableWindow = { backups };
  for (const b of backups) {
    const from = b.from.time;
    const to = b.to.time;
    if (from && (!window.earliest?.time || from < window.earliest.time)) window.earliest = { ...b.from, backup: b.label };
    if (to && (!window.latest?.time || to > window.latest.time)) window.latest = { ...b.to, backup: b.label };
  }
  if (!window.earliest) window.note = 'no base backup has a known time: the window is known by LSN only';
  return window;
}

function baseBackupPoints(inv: ArchiveInventory, size: number): BaseBackupPoint[] {
  const points: BaseBackupPoint[] = [];
  const stopSegno = (stopWal: string | undefined, lsn: bigint): number => {
    const parsed = stopWal === undefined ? undefined : parseWalFileName(stopWal);
    const n = parsed?.kind === 'segment' ? segmentNumber(parsed.log, parsed.seg, size) : undefined;
    return n ?? lsnToSegment(lsn, size);
  };
  for (const b of inv.backups) {
    const h = b.backup;
    const lsn = h ? parseLsn(h.stopLsn) : undefined;
    if (!h || lsn === undefined) continue;
    const timeline = h.stopTimeline ?? b.tli;
    const from: WindowPoint = h.stopTime
      ? { lsn: h.stopLsn, timeline, time: h.stopTime, exact: true, source: `STOP TIME in ${b.file}` }
      : {
          lsn: h.stopLsn,
          timeline,
          time: new Date(b.mtimeMs),
          exact: false,
          source: h.stopTimeText
            ? `time ${b.file} was written (its STOP TIME "${h.stopTimeText}" has an ambiguous time zone)`
            : `time ${b.file} was written`,
        };
    points.push({ label: h.label ?? b.file, origin: 'archive', file: b.file, timeline, stopLsn: lsn, stopSegno: stopSegno(h.stopWal, lsn), from });
  }
  for (const k of inv.knownBaseBackups) {
    const lsn = parseLsn(k.stopLsn);
    if (lsn === undefined) continue;
    // The same backup can be both in the archive and in the extension's records: count it once.
    if (points.some((p) => p.timeline === k.timeline && p.stopLsn === lsn)) continue;
    const from: WindowPoint = k.stopTime
      ? { lsn: formatLsn(lsn), timeline: k.timeline, time: k.stopTime, exact: true, source: `stop time of base backup "${k.label}"` }
      : { lsn: formatLsn(lsn), timeline: k.timeline, exact: false, source: `base backup "${k.label}" has no recorded stop time` };
    points.push({ label: k.label, origin: 'known', timeline: k.timeline, stopLsn: lsn, stopSegno: stopSegno(k.stopWal, lsn), from });
  }
  return points;
}

/** `16 MiB`, `1 GiB`: segment sizes are powers of two. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  return `${bytes} bytes`;
}
