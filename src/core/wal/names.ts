// WAL archive file names and LSNs: what each name in an archive is, and the arithmetic between LSNs, segment numbers and names.

/** 16 MiB: `initdb`'s default `--wal-segsize`. */
export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

export const COMPRESSIONS = ['gz', 'zst', 'lz4', 'bz2', 'xz'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** A WAL segment: `000000010000000A000000FF`, possibly compressed, possibly `.partial` (pg_receivewal, promotion). */
export interface SegmentFileName {
  kind: 'segment';
  name: string;
  tli: number;
  /** The middle 8 hex digits ("log" in PostgreSQL's sources): the high half of the segment's start LSN. */
  log: number;
  /** The last 8 hex digits: the segment within its log, 0 to segmentsPerLog − 1. */
  seg: number;
  compression?: Compression;
  partial: boolean;
}

/** A timeline history file: `00000002.history`. */
export interface HistoryFileName {
  kind: 'history';
  name: string;
  tli: number;
  compression?: Compression;
}

/** A backup history file: `<segment of the start LSN>.<offset of the start LSN in it>.backup`. */
export interface BackupFileName {
  kind: 'backup';
  name: string;
  /** The timeline the backup stopped on (PostgreSQL names the file with it). */
  tli: number;
  log: number;
  seg: number;
  /** Offset of the start LSN within its segment. */
  offset: number;
  compression?: Compression;
}

export type WalFileName = SegmentFileName | HistoryFileName | BackupFileName;

// PostgreSQL writes upper-case hex only; restore_command asks for exactly these names, so lower case is not accepted.
const SEGMENT_RE = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(?:\.(gz|zst|lz4|bz2|xz))?(\.partial)?(?:\.(gz|zst|lz4|bz2|xz))?$/;
const HISTORY_RE = /^([0-9A-F]{8})\.history(?:\.(gz|zst|lz4|bz2|xz))?$/;
const BACKUP_RE = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})\.([0-9A-F]{8})\.backup(?:\.(gz|zst|lz4|bz2|xz))?$/;

/**
 * What an archive file name is, or undefined for anything else. Segment names are checked against
 * the segment size later (see `segmentNumber`), since the size may not be known yet.
 */
export function parseWalFileName(name: string): WalFileName | undefined {
  // Segments are nearly every file of an archive: test the cheap shape first.
  if (name.length >= 24) {
    const m = SEGMENT_RE.exec(name);
    if (m) {
      const before = m[4] as Compression | undefined;
      const after = m[6] as Compression | undefined;
      // `.gz.partial` (pg_receivewal) and `.partial.gz` (an archive_command that compresses) both occur; two compressions do not.
      if (before && after) return undefined;
      const compression = before ?? after;
      const tli = parseInt(m[1] as string, 16);
      if (tli === 0) return undefined;
      return {
        kind: 'segment',
        name,
        tli,
        log: parseInt(m[2] as string, 16),
        seg: parseInt(m[3] as string, 16),
        ...(compression ? { compression } : {}),
        partial: m[5] !== undefined,
      };
    }
    const b = BACKUP_RE.exec(name);
    if (b) {
      const tli = parseInt(b[1] as string, 16);
      if (tli === 0) return undefined;
      const compression = b[5] as Compression | undefined;
      return {
        kind: 'backup',
        name,
        tli,
        log: parseInt(b[2] as string, 16),
        seg: parseInt(b[3] as string, 16),
        offset: parseInt(b[4] as string, 16),
        ...(compression ? { compression } : {}),
      };
    }
    return undefined;
  }
  const h = HISTORY_RE.exec(name);
  if (!h) return undefined;
  const tli = parseInt(h[1] as string, 16);
  // Timeline 1 never has a history file: it has no parent.
  if (tli < 2) return undefined;
  const compression = h[2] as Compression | undefined;
  return { kind: 'history', name, tli, ...(compression ? { compression } : {}) };
}

/** PostgreSQL accepts powers of two from 1 MiB to 1 GiB (`initdb --wal-segsize`). */
export function isValidSegmentSize(bytes: number): boolean {
  return Number.isInteger(bytes) && bytes >= 1024 * 1024 && bytes <= 1024 * 1024 * 1024 && (bytes & (bytes - 1)) === 0;
}

/** Segments per "log" (the middle 8 hex digits): 256 for 16 MiB segments. */
export function segmentsPerLog(segmentSize: number): number {
  return 0x1_0000_0000 / segmentSize;
}

/**
 * The segment number of a name's log and seg parts, or undefined when seg cannot occur at this
 * segment size (a sign the archive has a different segment size than assumed).
 * Segment numbers stay below 2^44 for 1 MiB segments, well within a double.
 */
export function segmentNumber(log: number, seg: number, segmentSize: number): number | undefined {
  const perLog = segmentsPerLog(segmentSize);
  return seg < perLog ? log * perLog + seg : undefined;
}

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

/** `segmentName(1, 0xA4, 16 MiB)` → `0000000100000000000000A4`. */
export function segmentName(tli: number, segno: number, segmentSize: number): string {
  const perLog = segmentsPerLog(segmentSize);
  return hex8(tli) + hex8(Math.floor(segno / perLog)) + hex8(segno % perLog);
}

export function historyFileName(tli: number): string {
  return `${hex8(tli)}.history`;
}

/**
 * LSNs are 64-bit, beyond a double's exact range, so they are bigints in arithmetic and `0/A3000000`
 * text in results (JSON has no bigint).
 */
export function parseLsn(text: string): bigint | undefined {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!m) return undefined;
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** As PostgreSQL prints it: `%X/%X`, upper case, no padding. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}

/** The segment that holds this LSN. */
export function lsnToSegment(lsn: bigint, segmentSize: number): number {
  return Number(lsn / BigInt(segmentSize));
}

/** The first LSN of a segment. */
export function segmentStartLsn(segno: number, segmentSize: number): bigint {
  return BigInt(segno) * BigInt(segmentSize);
}

/** `16 MiB`, `1 GiB`: segment sizes are powers of two. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  return `${bytes} bytes`;
}
