// The problems within one timeline: missing, empty and wrong-sized segments, gaps, and switches that do not line up.
import { formatLsn, lsnToSegment, segmentName, segmentStartLsn } from './names';
import type { ArchiveProblem, SegmentEntry, TimelineSummary } from './check';
import { formatSize } from './names';
import { hasSegment, type Run, type Timeline } from './timeline';

/** A short last segment this recent is taken as being written by archive_command, not as damage. */
export const IN_PROGRESS_MS = 60_000;

/** Sizes, duplicates and `.partial` files of one timeline; fills in its runs of usable segments. */
export function checkSegments(t: Timeline, size: number, problems: ArchiveProblem[], continuedByChild: Set<string>, listedAtMs?: number): void {
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
export function gapsWithin(present: number[]): [number, number][] {
  const gaps: [number, number][] = [];
  for (let i = 1; i < present.length; i++) {
    const prev = present[i - 1] as number;
    const next = present[i] as number;
    if (next > prev + 1) gaps.push([prev + 1, next - 1]);
  }
  return gaps;
}

export function gapProblem(
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
export function checkSwitches(
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

export function summarize(t: Timeline, size: number): TimelineSummary {
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
