// The 24-hour chart: segments archived per hour from file times, and archive failures per hour from polls.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError, errorMessage } from '../platform/errors';

// ---------------------------------------------------------------------------------------------
// Activity for the chart

export interface ArchiveActivityHour {
  /** ISO time of the hour's start (UTC). */
  hour: string;
  segments: number;
}

export interface FailureHour {
  hour: string;
  failures: number;
}

const HOUR_MS = 3_600_000;
/** Polls older than this are dropped from the history (the editor's and pgbr status --state alike): the chart shows a day. */
export const POLL_HISTORY_MS = 48 * HOUR_MS;
// Complete segments only: history, backup and .partial files are not "WAL archived".
const ARCHIVED_SEGMENT_RE = /^[0-9A-F]{24}(?:\.(?:gz|zst|lz4|bz2|xz))?$/;

function hourBuckets(now: Date, hours: number): { start: number; hour: string }[] {
  const current = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return Array.from({ length: hours }, (_, i) => {
    const start = current - (hours - 1 - i) * HOUR_MS;
    return { start, hour: new Date(start).toISOString() };
  });
}

/** Segments archived per hour over the last `hours` hours (oldest first, the current hour last), by file modification time. */
export function archivedPerHour(files: readonly { name: string; mtime: Date }[], now: Date, hours = 24): ArchiveActivityHour[] {
  const buckets = hourBuckets(now, hours).map((b) => ({ ...b, segments: 0 }));
  const first = buckets[0]?.start ?? 0;
  for (const file of files) {
    if (!ARCHIVED_SEGMENT_RE.test(file.name)) continue;
    const index = Math.floor((file.mtime.getTime() - first) / HOUR_MS);
    const bucket = buckets[index];
    if (bucket) bucket.segments++;
  }
  return buckets.map(({ hour, segments }) => ({ hour, segments }));
}

/** Polls of pg_stat_archiver, as the caller kept them. */
export interface ArchiverPoll {
  at: Date | string;
  failedCount: number;
  statsReset?: Date | string | null;
}

/** New failures per hour from successive polls: each rise of failed_count is put in the hour of the poll that saw it. */
export function failuresPerHour(polls: readonly ArchiverPoll[], now: Date, hours = 24): FailureHour[] {
  const buckets = hourBuckets(now, hours).map((b) => ({ ...b, failures: 0 }));
  const first = buckets[0]?.start ?? 0;
  const sorted = [...polls].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  for (let i = 1; i < sorted.length; i++) {
    const poll = sorted[i] as ArchiverPoll;
    const added = failuresBetween(sorted[i - 1] as ArchiverPoll, poll);
    const bucket = buckets[Math.floor((new Date(poll.at).getTime() - first) / HOUR_MS)];
    if (bucket && added > 0) bucket.failures += added;
  }
  return buckets.map(({ hour, failures }) => ({ hour, failures }));
}

/** After a statistics reset (or a restart that lost them) the count starts over: all of it is new. */
export function failuresBetween(previous: ArchiverPoll, current: ArchiverPoll): number {
  const time = (d: Date | string | null | undefined) => (d ? new Date(d).getTime() : null);
  const reset = time(previous.statsReset) !== time(current.statsReset) || current.failedCount < previous.failedCount;
  return reset ? current.failedCount : current.failedCount - previous.failedCount;
}

/** Past this many files older than the window in a row, older names are not looked at: archives are written in name order. */
const OLD_IN_A_ROW = 16;

/**
 * The archive's segment files modified since `since`, for `archivedPerHour`. Only the newest names
 * are stat-ed (an archive may hold 100,000 segments): names sort in WAL order, newest last.
 */
export async function recentArchiveFiles(dir: string, since: Date): Promise<{ name: string; mtime: Date }[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => ARCHIVED_SEGMENT_RE.test(n)).sort();
  } catch (e) {
    throw new PgbrError('io', `cannot list the WAL archive ${dir}: ${errorMessage(e)}; run as a user who can read it.`, { cause: e });
  }
  const files: { name: string; mtime: Date }[] = [];
  let older = 0;
  for (let i = names.length - 1; i >= 0 && older < OLD_IN_A_ROW; i--) {
    const name = names[i] as string;
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (!stat) continue;
    if (stat.mtime < since) older++;
    else {
      older = 0;
      files.push({ name, mtime: stat.mtime });
    }
  }
  return files.reverse();
}
