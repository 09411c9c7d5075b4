// How far archiving is behind the server's current WAL: whole segments, and bytes written since the last archived one.
import { parseLsn } from '../wal/names';

// ---------------------------------------------------------------------------------------------
// WAL positions

export interface WalDistance {
  /** Segment numbers between the current WAL file and the last archived one; 0 when the last archived is the current one. */
  segments: number;
  /** `segments` × the segment size. */
  bytes: number;
  sameTimeline: boolean;
  /** Set when the count needs a caveat (a timeline switch in between, a last archived WAL ahead of the current one). */
  note?: string;
}

interface SegmentPosition {
  tli: number;
  segno: number;
}

/**
 * The segment a WAL file name stands for: a plain segment, or the starting segment of a backup
 * history file (`…0A.00000028.backup`), which pg_stat_archiver may report as the last archived file.
 */
function segmentPosition(name: string, segmentSize: number): SegmentPosition | undefined {
  const m = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(?:\.|$)/i.exec(name);
  if (!m) return undefined;
  const perLog = 0x1_0000_0000 / segmentSize;
  const seg = parseInt(m[3] as string, 16);
  if (!Number.isInteger(perLog) || seg >= perLog) return undefined;
  return { tli: parseInt(m[1] as string, 16), segno: parseInt(m[2] as string, 16) * perLog + seg };
}

/**
 * How far the current WAL file is ahead of the last archived one. Across a timeline switch the
 * segment numbers still count the WAL in between, since a new timeline continues the old one's
 * positions. Undefined when either name is no segment (a `.history` file, say).
 */
export function walDistance(currentWal: string, lastArchivedWal: string, segmentSize: number): WalDistance | undefined {
  const current = segmentPosition(currentWal, segmentSize);
  const last = segmentPosition(lastArchivedWal, segmentSize);
  if (!current || !last) return undefined;
  const sameTimeline = current.tli === last.tli;
  const diff = current.segno - last.segno;
  const distance: WalDistance = { segments: Math.max(0, diff), bytes: Math.max(0, diff) * segmentSize, sameTimeline };
  if (diff < 0) {
    distance.note = `the last archived WAL ${lastArchivedWal} is ahead of the current ${currentWal}: the archiver statistics may come from before a restore`;
  } else if (!sameTimeline) {
    distance.note = `the current WAL is on timeline ${current.tli} and the last archived on timeline ${last.tli}: counted by segment number across the switch`;
  }
  return distance;
}

/** Every segment starts with a long page header: an insert position this far into the next segment means nothing was written since. */
export const SEGMENT_HEADER_BYTES = 40;

/** WAL written past the end of the last archived segment, from the insert position; undefined when the two cannot be compared. */
export function unarchivedBytes(insertLsn: string, currentWal: string, lastArchivedWal: string, segmentSize: number): number | undefined {
  const lsn = parseLsn(insertLsn);
  const current = segmentPosition(currentWal, segmentSize);
  const last = segmentPosition(lastArchivedWal, segmentSize);
  // After a timeline switch the old timeline's tail is not in the new one's WAL: no honest byte count.
  if (lsn === undefined || !current || !last || current.tli !== last.tli) return undefined;
  const archivedEnd = BigInt(last.segno + 1) * BigInt(segmentSize);
  return lsn > archivedEnd ? Number(lsn - archivedEnd) : 0;
}
