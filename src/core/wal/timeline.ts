// One timeline as the archive check sees it: its complete files, partials and unbroken runs.
import type { SegmentEntry } from './check';

export interface Timeline {
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

export interface Run {
  firstSegno: number;
  lastSegno: number;
  first: SegmentEntry;
  /** The newest file of the last segment: its time is the run's end. */
  last: SegmentEntry;
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
