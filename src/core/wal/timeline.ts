// One timeline as the archive check sees it: its complete files, partials and unbroken runs, as rows of the segment table.
import type { SegmentTable } from './segmentTable';

export interface Timeline {
  tli: number;
  parent?: number;
  switchLsn?: bigint;
  historyFile?: string;
  /** Rows of complete files in segment order; a number can appear twice (a plain and a compressed copy). */
  files: Uint32Array;
  /** Segment numbers of complete files, good or bad, ascending and distinct. */
  present: Float64Array;
  /** Rows of `.partial` files, in listing order. */
  partials: number[];
  /** Runs of usable segments, in order; the window walks them. */
  runs: Run[];
}

export interface Run {
  firstSegno: number;
  lastSegno: number;
  /** Row of the run's first file. */
  first: number;
  /** Row of the newest file of the last segment: its time is the run's end. */
  last: number;
  bytes: number;
}

export function hasSegment(t: Timeline, segno: number): boolean {
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

/**
 * The timelines of a table, by number. Rows come in name order from a scan (timeline, then segment):
 * one lookup per timeline, not per file; other callers' rows are sorted by segment, ties in row order.
 */
export function groupTimelines(table: SegmentTable, historyFiles: readonly { file: string; tli: number }[]): Map<number, Timeline> {
  const counts = new Map<number, { complete: number; partials: number[] }>();
  let current: { complete: number; partials: number[] } | undefined;
  let currentTli = -1;
  for (let i = 0; i < table.length; i++) {
    const tli = table.tli[i] as number;
    if (tli !== currentTli || !current) {
      currentTli = tli;
      current = counts.get(tli);
      if (!current) {
        current = { complete: 0, partials: [] };
        counts.set(tli, current);
      }
    }
    if (table.partial(i)) current.partials.push(i);
    else current.complete++;
  }
  const timelines = new Map<number, Timeline>();
  for (const [tli, c] of counts) timelines.set(tli, { tli, files: new Uint32Array(c.complete), present: new Float64Array(0), partials: c.partials, runs: [] });
  // Rows of one timeline are usually together; when they are not, filling goes on where it stopped.
  const filled = new Map<number, number>();
  let into: Uint32Array | undefined;
  let intoTli = -1;
  let n = 0;
  for (let i = 0; i < table.length; i++) {
    if (table.partial(i)) continue;
    const tli = table.tli[i] as number;
    if (tli !== intoTli) {
      if (into) filled.set(intoTli, n);
      intoTli = tli;
      into = timelines.get(tli)?.files;
      n = filled.get(tli) ?? 0;
    }
    if (into) into[n++] = i;
  }
  const segno = table.segno;
  for (const tl of timelines.values()) {
    const files = tl.files;
    let sorted = true;
    for (let k = 1; k < files.length && sorted; k++) if ((segno[files[k - 1] as number] as number) > (segno[files[k] as number] as number)) sorted = false;
    if (!sorted) files.sort((a, b) => (segno[a] as number) - (segno[b] as number) || a - b);
    const present = new Float64Array(files.length);
    let distinct = 0;
    for (let k = 0; k < files.length; k++) {
      const s = segno[files[k] as number] as number;
      if (distinct === 0 || present[distinct - 1] !== s) present[distinct++] = s;
    }
    tl.present = distinct === present.length ? present : present.slice(0, distinct);
  }
  const get = (tli: number): Timeline => {
    let tl = timelines.get(tli);
    if (!tl) {
      tl = { tli, files: new Uint32Array(0), present: new Float64Array(0), partials: [], runs: [] };
      timelines.set(tli, tl);
    }
    return tl;
  };
  for (const h of historyFiles) get(h.tli).historyFile = h.file;
  return new Map([...timelines.entries()].sort((a, b) => a[0] - b[0]));
}
