// Reads a WAL archive folder (one listing, a size per file, the small history files) and hands it to the checks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { PgbrError, errorMessage } from '../platform/errors';
import {
  analyzeArchive,
  type ArchiveInventory,
  type ArchiveProblem,
  type BackupEntry,
  type HistoryEntry,
  type KnownBaseBackup,
  type RecoverableWindow,
  type TimelineSummary,
} from './check';
import { parseBackupHistory, parseTimelineHistory, type BackupHistory, type TimelineSwitch } from './history';
import { COMPRESSIONS, DEFAULT_SEGMENT_SIZE, isValidSegmentSize, parseWalFileName, segmentNumber, segmentsPerLog, type Compression, type WalFileName } from './names';
import { SegmentTable } from './segmentTable';
import { statNames, statThreads } from './statNames';

export type { ArchiveProblem, KnownBaseBackup, RecoverableWindow, TimelineSummary } from './check';

export interface ScanOptions {
  /** The server's `wal_segment_size`. Without it, the size most plain segments have is used when it is a valid one, else 16 MiB. */
  segmentSize?: number;
  /** Base backups the extension made: their windows count even without a `.backup` file in the archive. */
  knownBaseBackups?: KnownBaseBackup[];
  /** Read `.history` and `.backup` files (default true); without them, switches are not checked and archive backups are unknown. */
  readHistory?: boolean;
  signal?: AbortSignal;
  /** The clock that file times are compared with (tests). */
  now?: () => Date;
  /**
   * When the stat pass runs on worker threads: from `threshold` names (default 100,000), on `threads`
   * threads (default the available parallelism, at most 4). Tests force it on small folders.
   */
  parallelStat?: { threshold?: number; threads?: number };
}

export interface ArchiveScan {
  location: string;
  segmentSize: number;
  /** Where the segment size came from. */
  segmentSizeFrom: 'option' | 'detected' | 'default';
  scannedAt: Date;
  totals: {
    /** Every entry of the folder. */
    files: number;
    /** Complete segment files, plain or compressed. */
    segments: number;
    compressed: number;
    partial: number;
    bytes: number;
  };
  timelines: TimelineSummary[];
  /** Timeline history files; `error` says why one could not be read. */
  histories: { file: string; tli: number; switches?: TimelineSwitch[]; error?: string }[];
  /** Backup history files, with what they record; `error` says why one could not be read. */
  backups: ({ file: string; error?: string } & Partial<BackupHistory>)[];
  problems: ArchiveProblem[];
  window: RecoverableWindow;
}

export async function scanArchive(dir: string, opts: ScanOptions = {}): Promise<ArchiveScan> {
  const read = await readArchiveInventory(dir, opts);
  const { inventory } = read;
  const analysis = analyzeArchive(inventory);
  return {
    location: read.location,
    segmentSize: inventory.segmentSize,
    segmentSizeFrom: read.segmentSizeFrom,
    scannedAt: read.now(),
    totals: read.totals,
    timelines: analysis.timelines,
    histories: inventory.histories.map((h) => ({ file: h.file, tli: h.tli, ...(h.switches ? { switches: h.switches } : {}), ...(h.error ? { error: h.error } : {}) })),
    backups: inventory.backups.map((b) => ({ file: b.file, ...b.backup, ...(b.error ? { error: b.error } : {}) })),
    problems: analysis.problems,
    window: analysis.window,
  };
}

export interface ArchiveInventoryRead {
  location: string;
  inventory: ArchiveInventory;
  segmentSizeFrom: ArchiveScan['segmentSizeFrom'];
  totals: ArchiveScan['totals'];
  now: () => Date;
}

/** What an archive folder holds, read but not judged: the input of `analyzeArchive` and of WAL retention's preview. */
export async function readArchiveInventory(dir: string, opts: ScanOptions = {}): Promise<ArchiveInventoryRead> {
  const location = path.resolve(dir);
  if (opts.segmentSize !== undefined && !isValidSegmentSize(opts.segmentSize)) {
    throw new PgbrError(
      'usage',
      `${opts.segmentSize} is not a WAL segment size: PostgreSQL uses a power of two from 1 MiB (1048576) to 1 GiB (1073741824), 16 MiB (16777216) by default.`,
    );
  }
  const now = opts.now ?? (() => new Date());
  const listedAtMs = now().getTime();
  const names = await listNames(location);
  // Same-length upper-case hex names sort in WAL order as plain strings.
  names.sort();

  const prefix = location.endsWith(path.sep) ? location : location + path.sep;
  // Nearly every name is a segment: its numbers go into typed arrays rather than an object per file
  // (1,000,000 objects were about 90 MB of a scan's peak); the few other archive files keep theirs.
  const parsedSegments = new ParsedSegments(names.length);
  const others = new Map<number, WalFileName>();
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (!parsedSegments.setPlain(i, name)) {
      const p = parseWalFileName(name);
      if (p?.kind === 'segment') parsedSegments.set(i, p, !name.endsWith('.partial'));
      else if (p) others.set(i, p);
    }
  }
  const threads = statThreads(names.length, opts.parallelStat);
  const { kinds, sizes, mtimes } = await statNames(prefix, names, { threads }, location, opts.signal);

  let segmentSize = opts.segmentSize;
  let segmentSizeFrom: ArchiveScan['segmentSizeFrom'] = 'option';
  if (segmentSize === undefined) {
    segmentSize = detectSegmentSize(parsedSegments, kinds, sizes);
    segmentSizeFrom = segmentSize === undefined ? 'default' : 'detected';
    segmentSize ??= DEFAULT_SEGMENT_SIZE;
  }

  const size = segmentSize;
  let segmentRows = 0;
  for (let i = 0; i < names.length; i++) {
    if (kinds[i] === 1 && parsedSegments.isSegment(i) && (parsedSegments.seg[i] as number) < segmentsPerLog(size)) segmentRows++;
  }
  const segments = new SegmentTable(size, segmentRows);
  const historyFiles: { file: string; tli: number; compression?: Compression; mtimeMs: number }[] = [];
  const backupFiles: { file: string; tli: number; compression?: Compression; mtimeMs: number }[] = [];
  const stray: { name: string; directory: boolean }[] = [];
  const misnamed: string[] = [];
  const totals = { files: 0, segments: 0, compressed: 0, partial: 0, bytes: 0 };
  for (let i = 0; i < names.length; i++) {
    const kind = kinds[i];
    if (kind === 0) continue;
    const isSegment = parsedSegments.isSegment(i);
    const p = isSegment ? undefined : others.get(i);
    const fileSize = sizes[i] as number;
    const mtimeMs = mtimes[i] as number;
    totals.files++;
    if (kind === 1) totals.bytes += fileSize;
    if (kind !== 1 || (!isSegment && !p)) {
      stray.push({ name: names[i] as string, directory: kind === 2 });
      continue;
    }
    if (isSegment) {
      const segno = segmentNumber(parsedSegments.log[i] as number, parsedSegments.seg[i] as number, size);
      if (segno === undefined) {
        misnamed.push(names[i] as string);
        continue;
      }
      const partial = parsedSegments.partial(i);
      const compression = parsedSegments.compression(i);
      segments.push(parsedSegments.tli[i] as number, segno, fileSize, mtimeMs, partial, compression, parsedSegments.compressedAfterPartial(i));
      if (partial) totals.partial++;
      else {
        totals.segments++;
        if (compression) totals.compressed++;
      }
    } else if (p) {
      const file = { file: names[i] as string, tli: p.tli, mtimeMs, ...(p.compression ? { compression: p.compression } : {}) };
      (p.kind === 'history' ? historyFiles : backupFiles).push(file);
    }
  }

  const read = opts.readHistory !== false;
  const histories: HistoryEntry[] = await Promise.all(
    historyFiles.map(async (h): Promise<HistoryEntry> => {
      const entry: HistoryEntry = { file: h.file, tli: h.tli, mtimeMs: h.mtimeMs };
      if (!read) return entry;
      const text = await readSmall(prefix + h.file, h.compression);
      if (!text.ok) return { ...entry, error: text.reason };
      const result = parseTimelineHistory(text.value, h.tli);
      return result.ok ? { ...entry, switches: result.value } : { ...entry, error: result.reason };
    }),
  );
  const backups: BackupEntry[] = await Promise.all(
    backupFiles.map(async (b): Promise<BackupEntry> => {
      const entry: BackupEntry = { file: b.file, tli: b.tli, mtimeMs: b.mtimeMs };
      if (!read) return entry;
      const text = await readSmall(prefix + b.file, b.compression);
      if (!text.ok) return { ...entry, error: text.reason };
      const result = parseBackupHistory(text.value);
      return result.ok ? { ...entry, backup: result.value } : { ...entry, error: result.reason };
    }),
  );

  const inventory: ArchiveInventory = {
    segmentSize,
    segments,
    histories,
    backups,
    stray,
    misnamed,
    knownBaseBackups: opts.knownBaseBackups ?? [],
    listedAtMs,
  };
  return { location, inventory, segmentSizeFrom, totals, now };
}

/**
 * The segment names of a listing, by index: numbers in typed arrays, flags in one byte (1 segment,
 * 2 partial, 4 compressed after `.partial`, the compression's index + 1 from bit 3).
 */
class ParsedSegments {
  readonly tli: Uint32Array;
  readonly log: Uint32Array;
  readonly seg: Uint32Array;
  private readonly flags: Uint8Array;
  constructor(n: number) {
    this.tli = new Uint32Array(n);
    this.log = new Uint32Array(n);
    this.seg = new Uint32Array(n);
    this.flags = new Uint8Array(n);
  }
  /**
   * A plain segment name (24 upper-case hex digits, nearly every name of an archive) read without a
   * regular expression or an object; false for any other name, which `parseWalFileName` then reads.
   */
  setPlain(i: number, name: string): boolean {
    if (name.length !== 24) return false;
    const tli = hex8At(name, 0);
    const log = hex8At(name, 8);
    const seg = hex8At(name, 16);
    if (tli < 0 || log < 0 || seg < 0) return false;
    // Timeline 0 does not exist: such a name is no archive file, as parseWalFileName says.
    if (tli === 0) return false;
    this.tli[i] = tli;
    this.log[i] = log;
    this.seg[i] = seg;
    this.flags[i] = 1;
    return true;
  }
  set(i: number, p: { tli: number; log: number; seg: number; partial: boolean; compression?: Compression }, compressedAfterPartial: boolean): void {
    this.tli[i] = p.tli;
    this.log[i] = p.log;
    this.seg[i] = p.seg;
    this.flags[i] = 1 | (p.partial ? 2 : 0) | (p.partial && p.compression && compressedAfterPartial ? 4 : 0) | ((p.compression ? COMPRESSIONS.indexOf(p.compression) + 1 : 0) << 3);
  }
  isSegment(i: number): boolean {
    return ((this.flags[i] as number) & 1) === 1;
  }
  partial(i: number): boolean {
    return ((this.flags[i] as number) & 2) === 2;
  }
  compressedAfterPartial(i: number): boolean {
    return ((this.flags[i] as number) & 4) === 4;
  }
  compression(i: number): Compression | undefined {
    const c = (this.flags[i] as number) >> 3;
    return c === 0 ? undefined : COMPRESSIONS[c - 1];
  }
}

/** The value of 8 upper-case hex digits from `at`, or -1 when one is anything else. */
function hex8At(name: string, at: number): number {
  let v = 0;
  for (let k = at; k < at + 8; k++) {
    const c = name.charCodeAt(k);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * The size most plain complete segments have, when it is one PostgreSQL allows: an archive of
 * 64 MiB segments should not be reported as 100,000 wrong-size files because nobody said so.
 */
function detectSegmentSize(parsed: ParsedSegments, kinds: Uint8Array, sizes: Float64Array): number | undefined {
  const counts = new Map<number, number>();
  for (let i = 0; i < kinds.length; i++) {
    if (!parsed.isSegment(i) || parsed.partial(i) || parsed.compression(i) || kinds[i] !== 1) continue;
    const size = sizes[i] as number;
    counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  let best: number | undefined;
  let bestCount = 0;
  for (const [size, count] of counts) {
    if (count > bestCount) {
      best = size;
      bestCount = count;
    }
  }
  return best !== undefined && isValidSegmentSize(best) ? best : undefined;
}

/**
 * The folder's names. `readdir` hands them over sorted (libuv sorts its listing in C, on a thread
 * of its pool), and sorting a sorted list costs next to nothing: on 1,000,000 names, 30 ms after
 * `readdir` against 0.9-1.2 s after `opendir`, whose names come in the directory's hash order, for
 * about 50 MB more peak memory (the listing is gathered natively before it is handed over).
 */
async function listNames(location: string): Promise<string[]> {
  try {
    return await fs.promises.readdir(location);
  } catch (e) {
    throw unreadable(location, e);
  }
}

/**
 * The base backups an archive records (its `.backup` files), read without listing sizes: what a
 * monitor polling every few seconds needs, for a fraction of a full scan of a large archive.
 */
export async function readBackupHistories(dir: string): Promise<({ file: string; error?: string } & Partial<BackupHistory>)[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (e) {
    throw unreadable(dir, e);
  }
  const files = names.flatMap((name) => {
    if (!name.includes('.backup')) return [];
    const p = parseWalFileName(name);
    return p?.kind === 'backup' ? [{ name, compression: p.compression }] : [];
  });
  return Promise.all(
    files.map(async (f) => {
      const text = await readSmall(path.join(dir, f.name), f.compression);
      if (!text.ok) return { file: f.name, error: text.reason };
      const result = parseBackupHistory(text.value);
      return result.ok ? { file: f.name, ...result.value } : { file: f.name, error: result.reason };
    }),
  );
}

/** History and backup files are a few hundred bytes; gzip is the only compression Node reads without a package. */
async function readSmall(file: string, compression: Compression | undefined): Promise<{ ok: true; value: string } | { ok: false; reason: string }> {
  if (compression && compression !== 'gz') return { ok: false, reason: `cannot read .${compression} files (only gzip)` };
  try {
    const data = await fs.promises.readFile(file);
    const text = compression === 'gz' ? (await promisify(gunzip)(data)).toString('utf8') : data.toString('utf8');
    return { ok: true, value: text };
  } catch (e) {
    return { ok: false, reason: `cannot read it: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function unreadable(location: string, e: unknown): PgbrError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'it does not exist: give the folder your archive_command copies WAL to'
      : code === 'ENOTDIR'
        ? 'it is not a folder: give the folder your archive_command copies WAL to'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied: run as a user who can read the archive (often postgres)'
          : errorMessage(e);
  return new PgbrError('io', `cannot read the WAL archive ${location}: ${why}.`, { cause: e });
}
