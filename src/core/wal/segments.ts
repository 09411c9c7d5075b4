// The problems within one timeline: missing, empty and wrong-sized segments, gaps, and switches that do not line up.
import { formatLsn, lsnToSegment, segmentName, segmentStartLsn } from './names';
import type { ArchiveProblem, TimelineSummary } from './check';
import type { SegmentTable } from './segmentTable';
import { formatSize } from './names';
import { hasSegment, type Run, type Timeline } from './timeline';

/** A short last segment this recent is taken as being written by archive_command, not as damage. */
export const IN_PROGRESS_MS = 60_000;

/** Sizes, duplicates and `.partial` files of one timeline; fills in its runs of usable segments. */
export function checkSegments(t: Timeline, table: SegmentTable, size: number, problems: ArchiveProblem[], continuedByChild: Set<string>, listedAtMs?: number): void {
  const bad: BadSegment[] = [];
  let run: Run | undefined;
  const files = t.files;
  const sizes = table.size;
  const mtimes = table.mtimeMs;
  const segnos = table.segno;
  for (let i = 0; i < files.length; ) {
    const start = files[i] as number;
    const segno = segnos[start] as number;
    let j = i;
    while (j + 1 < files.length && segnos[files[j + 1] as number] === segno) j++;
    let usable = true;
    let bytes = 0;
    let newest = start;
    for (let k = i; k <= j; k++) {
      const f = files[k] as number;
      const fileSize = sizes[f] as number;
      bytes += fileSize;
      if ((mtimes[f] as number) > (mtimes[newest] as number)) newest = f;
      // Compressed sizes say nothing about content, but an empty file is empty whatever its suffix.
      const short = fileSize === 0 || (fileSize !== size && !table.compression(f));
      if (!short) continue;
      usable = false;
      // The newest segment of a timeline, short and modified moments ago: a copy in progress.
      const ago = listedAtMs === undefined ? Infinity : listedAtMs - (mtimes[f] as number);
      if (j === files.length - 1 && ago < IN_PROGRESS_MS && fileSize < size) {
        const name = table.name(f);
        problems.push({
          kind: 'in-progress',
          severity: 'info',
          timeline: t.tli,
          file: name,
          message: `segment ${name} is ${fileSize} of ${size} bytes and was written ${Math.max(0, Math.round(ago / 1000))} s ago: archive_command is probably still copying it, so it is left out until it is complete (an archive_command that copies to a temporary name and renames it avoids this)`,
        });
        continue;
      }
      bad.push({ segno, file: f, kind: fileSize === 0 ? 'empty' : 'wrong-size' });
    }
    if (j > i) {
      const copies = Array.from(files.subarray(i, j + 1), (f) => table.name(f));
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
      run = { firstSegno: segno, lastSegno: segno, first: start, last: newest, bytes };
      t.runs.push(run);
    }
  }
  problems.push(...badSegmentProblems(t.tli, bad, table, size));

  let last = t.present.length ? (t.present[t.present.length - 1] as number) : -1;
  const partialsAt = new Map<number, number>();
  for (const p of t.partials) {
    const n = segnos[p] as number;
    if (n > last) last = n;
    partialsAt.set(n, (partialsAt.get(n) ?? 0) + 1);
  }
  for (const p of t.partials) {
    const segnoOfP = segnos[p] as number;
    const name = table.name(p);
    const lsn = formatLsn(segmentStartLsn(segnoOfP, size));
    if (hasSegment(t, segnoOfP)) {
      problems.push({
        kind: 'partial',
        severity: 'warning',
        timeline: t.tli,
        file: name,
        message: `${name} is left over: the complete segment is archived too, so the partial copy can be removed`,
      });
    } else if (segnoOfP === last && continuedByChild.has(`${t.tli}:${segnoOfP}`)) {
      problems.push({
        kind: 'partial',
        severity: 'info',
        timeline: t.tli,
        file: name,
        message: `${name} is the unfinished last segment of timeline ${t.tli}, as a promotion leaves it: nothing is lost, since the next timeline holds this WAL in full`,
      });
    } else if (segnoOfP === last && partialsAt.get(last) === 1) {
      problems.push({
        kind: 'partial',
        severity: 'info',
        timeline: t.tli,
        file: name,
        message: `${name} is the unfinished last segment of timeline ${t.tli}, as pg_receivewal or a promotion leaves it: restore_command does not fetch it, so WAL after ${lsn} on timeline ${t.tli} is recoverable only once the complete segment or the next timeline is archived`,
      });
    } else {
      problems.push({
        kind: 'partial',
        severity: 'warning',
        timeline: t.tli,
        file: name,
        message: `${name} is unfinished and not the last segment of timeline ${t.tli}: restore_command never fetches a .partial file, so it does not fill the place of segment ${segmentName(t.tli, segnoOfP, size)}`,
      });
    }
  }
}

/** A bad complete file: `file` is its row. */
interface BadSegment {
  segno: number;
  file: number;
  kind: 'empty' | 'wrong-size';
}

/** Consecutive bad segments of one kind become one problem, so a disk-full night does not print a thousand lines. */
function badSegmentProblems(tli: number, bad: BadSegment[], table: SegmentTable, size: number): ArchiveProblem[] {
  const out: ArchiveProblem[] = [];
  let i = 0;
  while (i < bad.length) {
    const head = bad[i] as BadSegment;
    let j = i;
    while (j + 1 < bad.length && bad[j + 1]?.kind === head.kind && bad[j + 1]?.segno === (bad[j]?.segno ?? 0) + 1) j++;
    const tail = bad[j] as BadSegment;
    const count = j - i + 1;
    const headName = table.name(head.file);
    const tailName = table.name(tail.file);
    const stop = `recovery on timeline ${tli} stops at ${formatLsn(segmentStartLsn(head.segno, size))}`;
    let message: string;
    if (count === 1) {
      const what = table.compression(head.file) ? `compressed segment ${headName}` : `segment ${headName}`;
      message =
        head.kind === 'empty'
          ? `${what} is empty (0 bytes): ${stop}`
          : `segment ${headName} is ${table.size[head.file] as number} bytes instead of ${size} (${formatSize(size)}): it is truncated or from a server with another segment size, and ${stop}`;
    } else {
      message =
        head.kind === 'empty'
          ? `segments ${headName} – ${tailName} (${count}) are empty (0 bytes): ${stop}`
          : `segments ${headName} – ${tailName} (${count}) are not ${size} bytes (${formatSize(size)}) long: they are truncated or from a server with another segment size, and ${stop}`;
    }
    out.push({
      kind: head.kind,
      severity: 'error',
      timeline: tli,
      file: headName,
      ...(count > 1 ? { segments: { first: headName, last: tailName, count } } : {}),
      message,
    });
    i = j + 1;
  }
  return out;
}

/** Holes between present segment numbers, as [first missing, last missing]. */
export function gapsWithin(present: ArrayLike<number>): [number, number][] {
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

export function summarize(t: Timeline, table: SegmentTable, size: number): TimelineSummary {
  let bytes = 0;
  for (const f of t.files) bytes += table.size[f] as number;
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
      firstTime: new Date(table.mtimeMs[r.first] as number),
      lastTime: new Date(table.mtimeMs[r.last] as number),
      startLsn: formatLsn(segmentStartLsn(r.firstSegno, size)),
      endLsn: formatLsn(segmentStartLsn(r.lastSegno + 1, size)),
    })),
  };
  return summary;
}
