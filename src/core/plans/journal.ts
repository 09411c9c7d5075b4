// The run journal: one JSON line per run of a plan, appended beside the plan's backups, read from the end.
//
// Appending is one write(2) of a whole line on a file opened with O_APPEND: the kernel puts the offset
// at the end and writes the line there in one go, so lines of concurrent runs never interleave. POSIX
// promises that only for pipes up to PIPE_BUF (4 KiB on Linux); for regular files on local Linux file
// systems a single write is done under the file's lock whatever its length, so a longer line is still
// whole. Records are kept short anyway (an error message is cut at MAX_ERROR_CHARS) because NFS has no
// atomic append, and a reader may see a line another process is writing at that moment. What can go
// wrong, a half-written line (a full disk, a killed writer, a read racing a write), is skipped and
// reported by the reader instead of failing it.

import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PgbrError } from '../platform/errors';
import { planFile } from './files';
import type { BackrestBackupType } from '../backrest/info';

export const JOURNAL_VERSION = 1;
/** Longer error texts (a tool's stderr, a stack) are cut so a record stays one short line. */
export const MAX_ERROR_CHARS = 2000;
const READ_CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

/** `skipped`: the run took no backup and changed nothing; `journalSummary` does not count it as the last run. */
export type RunOutcome = 'succeeded' | 'failed' | 'skipped';

export interface JournalRecord {
  v: number;
  plan: string;
  runId: string;
  host: string;
  pid: number;
  /** ISO times. */
  startedAt: string;
  endedAt: string;
  outcome: RunOutcome;
  backup?: { path: string; bytes: number; seconds: number };
  /** A pgbackrest plan's backup: its stanza, label and type (`asked`: the type asked for, when pgBackRest took a full instead). */
  backrest?: { stanza: string; label: string; type: BackrestBackupType; asked?: BackrestBackupType };
  verification?: { what: string; outcome: 'passed' | 'failed'; seconds: number };
  retention?: { kept: number; removed: string[]; errors: string[] };
  /** Per offsite target: the copy made, whether it verified, the copies removed there by its keep rules. */
  offsite?: { target: string; copied?: string; verified: boolean; kept: number; removed: string[]; errors: string[] }[];
  error?: { message: string };
  /** Whether the notification that was due went out; absent when none was due. */
  notified?: { ok: boolean; error?: string };
}

/** What the journal needs of a plan. */
export interface JournalPlan {
  name: string;
  /** The folder the plan's backups go to. */
  folder: string;
}

export function journalPath(plan: JournalPlan): string {
  return planFile(plan.folder, plan.name, 'journal.jsonl');
}

/** The fields that name a run, fixed when it starts. */
export function runIdentity(plan: string, startedAt: Date): Pick<JournalRecord, 'v' | 'plan' | 'runId' | 'host' | 'pid' | 'startedAt'> {
  return { v: JOURNAL_VERSION, plan, runId: randomUUID(), host: os.hostname(), pid: process.pid, startedAt: startedAt.toISOString() };
}

async function endsWithoutNewline(handle: fs.FileHandle): Promise<boolean> {
  const { size } = await handle.stat();
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] !== NEWLINE;
}

function shortened(record: JournalRecord): JournalRecord {
  const message = record.error?.message;
  if (message === undefined || message.length <= MAX_ERROR_CHARS) return record;
  return { ...record, error: { message: `${message.slice(0, MAX_ERROR_CHARS)}…` } };
}

/** Appends one record as one line (see the top of this file); the folder is made if it is missing. */
export async function appendRecord(file: string, record: JournalRecord): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // 'a+': O_APPEND, and readable for the look at the last byte.
  const handle = await fs.open(file, 'a+', 0o644);
  try {
    // After a killed writer's fragment, start a new line so this record is not glued to it. Seeing a
    // concurrent write half done only adds an empty line, which readers skip.
    const separator = (await endsWithoutNewline(handle)) ? '\n' : '';
    const line = Buffer.from(`${separator}${JSON.stringify(shortened(record))}\n`, 'utf8');
    const { bytesWritten } = await handle.write(line, 0, line.length, null);
    if (bytesWritten !== line.length) {
      throw new PgbrError(
        'io',
        `Only ${bytesWritten} of ${line.length} bytes of this run's record reached the journal ${file}: free space on that disk; the incomplete line is skipped when the journal is read.`,
      );
    }
    // The record is what proves a run happened (Health reads it): it must survive a power cut.
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export interface JournalQuery {
  /** How many records to return at most (default: all). */
  last?: number;
  /** Only records this accepts count towards `last`. */
  match?: (record: JournalRecord) => boolean;
}

export interface JournalRead {
  /** Newest first. */
  records: JournalRecord[];
  /** Lines that are not records, said in one sentence each (a torn last line, a damaged line). */
  problems: string[];
  /** How much of the file was read: the end only, when the records asked for are near it. */
  bytesRead: number;
}

interface Segment {
  bytes: Buffer;
  /** Offset of the line in the file. */
  offset: number;
  /** False for the file's last line when it has no newline yet. */
  terminated: boolean;
}

/** The file's lines from the last to the first, read in chunks from the end. */
async function* linesFromEnd(handle: fs.FileHandle, size: number, counter: { bytes: number }): AsyncGenerator<Segment> {
  let pos = size;
  let rest: Buffer = Buffer.alloc(0);
  let atFileEnd = true;
  while (pos > 0) {
    const n = Math.min(READ_CHUNK_BYTES, pos);
    pos -= n;
    const chunk = Buffer.alloc(n);
    const { bytesRead } = await handle.read(chunk, 0, n, pos);
    counter.bytes += bytesRead;
    const buf = Buffer.concat([chunk.subarray(0, bytesRead), rest]);
    let end = buf.length;
    let nl = buf.lastIndexOf(NEWLINE, end - 1);
    while (nl !== -1) {
      yield { bytes: buf.subarray(nl + 1, end), offset: pos + nl + 1, terminated: !atFileEnd };
      atFileEnd = false;
      end = nl;
      nl = end > 0 ? buf.lastIndexOf(NEWLINE, end - 1) : -1;
    }
    rest = Buffer.from(buf.subarray(0, end));
  }
  if (rest.length > 0) yield { bytes: rest, offset: 0, terminated: !atFileEnd };
}

const OUTCOMES: ReadonlySet<string> = new Set<RunOutcome>(['succeeded', 'failed', 'skipped']);

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function asRecord(value: unknown): JournalRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    typeof r.v === 'number' &&
    typeof r.plan === 'string' &&
    typeof r.runId === 'string' &&
    isTime(r.startedAt) &&
    isTime(r.endedAt) &&
    typeof r.outcome === 'string' &&
    OUTCOMES.has(r.outcome);
  return ok ? (value as JournalRecord) : undefined;
}

function parseLine(text: string): JournalRecord | undefined {
  try {
    return asRecord(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Every record, newest first, read lazily from the end: stop early and the rest of the file is never
 * read. A missing journal has no records. Lines that are not records are skipped and said in `problems`.
 */
export async function* recordsFromEnd(file: string, problems: string[], counter = { bytes: 0 }): AsyncGenerator<JournalRecord> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    const { size } = await handle.stat();
    for await (const line of linesFromEnd(handle, size, counter)) {
      if (line.bytes.length === 0) continue;
      if (!line.terminated) {
        problems.push(`The last line of ${file} is incomplete (a run is writing it, or one stopped while writing it): it was skipped.`);
        continue;
      }
      const record = parseLine(line.bytes.toString('utf8'));
      if (record === undefined) {
        problems.push(`The line at byte ${line.offset} of ${file} is not a run record (damaged or cut short): it was skipped.`);
        continue;
      }
      yield record;
    }
  } finally {
    await handle.close();
  }
}

/** The newest records (all of them without `last`), newest first. */
export async function readJournal(file: string, query: JournalQuery = {}): Promise<JournalRead> {
  const result: JournalRead = { records: [], problems: [], bytesRead: 0 };
  const limit = query.last ?? Infinity;
  const counter = { bytes: 0 };
  if (limit > 0) {
    for await (const record of recordsFromEnd(file, result.problems, counter)) {
      if (query.match && !query.match(record)) continue;
      result.records.push(record);
      if (result.records.length >= limit) break;
    }
  }
  result.bytesRead = counter.bytes;
  return result;
}

export interface JournalSummary {
  /** The newest run that did something (succeeded or failed). */
  lastRun?: JournalRecord;
  lastSuccess?: JournalRecord;
  /** The newest run that applied the plan's keep rules without an error (looked for only when asked). */
  lastPrune?: JournalRecord;
  problems: string[];
  bytesRead: number;
}

export interface SummaryOptions {
  /** Also find the last clean prune. */
  prunes?: boolean;
  /** The clock a journal's times are judged by, in milliseconds (tests). */
  now?: () => number;
}

/** A summary kept while its journal keeps the inode, size and times it had when it was read. */
interface KeptSummary {
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  summary: JournalSummary;
}

/**
 * Summaries by question and journal. The Plans and Health views ask for every plan's on each refresh
 * and poll; a journal that ends in failures or has never pruned cleanly is read back a long way (in
 * `bench/journals.ts`, 50 such journals of 1,000 runs took 0.2-0.5 s a refresh, their stats 0.2 ms).
 */
const keptSummaries = new Map<string, KeptSummary>();
const KEPT_SUMMARIES = 1000;
/**
 * A journal changed less than this long ago is read again next time, not kept: a file system keeps
 * times in steps (a few milliseconds on Linux, 2 s on FAT), so a second change within the same step
 * could leave size and times as they were. Once a journal has been still this long, any change after
 * the summary was read moves its change time.
 */
const SETTLED_MS = 2000;

/**
 * The last run and the last success (and with `prunes`, the last clean prune), found in one read from
 * the end that stops once all are known. A plan without keep rules never prunes: do not ask, or the whole file is read.
 * Asked again while the journal is unchanged (same inode, size, modification and change time), the
 * answer comes from the last read, with `bytesRead` 0.
 */
export async function journalSummary(file: string, opts: SummaryOptions = {}): Promise<JournalSummary> {
  const key = `${opts.prunes ? 'prunes' : 'runs'}\0${file}`;
  // Taken before the read: a run appending meanwhile changes the size, so the next call reads again.
  const stat = await fs.stat(file).catch(() => undefined);
  const kept = keptSummaries.get(key);
  if (stat && kept && kept.ino === stat.ino && kept.size === stat.size && kept.mtimeMs === stat.mtimeMs && kept.ctimeMs === stat.ctimeMs) {
    return { ...kept.summary, problems: [...kept.summary.problems], bytesRead: 0 };
  }
  const summary = await readSummary(file, opts.prunes ?? false);
  const now = (opts.now ?? Date.now)();
  if (stat && Math.max(stat.mtimeMs, stat.ctimeMs) < now - SETTLED_MS) {
    keptSummaries.delete(key);
    if (keptSummaries.size >= KEPT_SUMMARIES) keptSummaries.delete(keptSummaries.keys().next().value as string);
    keptSummaries.set(key, { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, summary: { ...summary, problems: [...summary.problems] } });
  } else {
    keptSummaries.delete(key);
  }
  return summary;
}

async function readSummary(file: string, prunes: boolean): Promise<JournalSummary> {
  const summary: JournalSummary = { problems: [], bytesRead: 0 };
  const counter = { bytes: 0 };
  for await (const record of recordsFromEnd(file, summary.problems, counter)) {
    if (record.outcome !== 'skipped') summary.lastRun ??= record;
    if (record.outcome === 'succeeded') summary.lastSuccess ??= record;
    if (record.retention && record.retention.errors.length === 0) summary.lastPrune ??= record;
    if (summary.lastRun && summary.lastSuccess && (!prunes || summary.lastPrune)) break;
  }
  summary.bytesRead = counter.bytes;
  return summary;
}
