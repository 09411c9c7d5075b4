// Archiver health of one server: WAL lag, RPO and RTO against the targets declared in pgbackup.yaml, and a pass/warn/fail checklist with fixes.
//
// The policy keys of pgbackup.yaml (all optional):
//
//   rpo: 5m                  # newest archived WAL at most this old (recovery point objective)
//   rto: 1h                  # last measured restore (dump verification) at most this long
//   baseBackupMaxAge: 7d     # newest base backup at most this old
//   dumpMaxAge: 1d           # newest dump that passed verification at most this old
//   retention: { keepDumps: 14, keepBaseBackups: 4 }   # any value counts as "retention defined"
//   offsite: s3://bucket/pg  # or { target: s3://bucket/pg, command: "rclone sync …" }
//
// Durations are a number and a unit: 90s, 5m, 1h, 2d, 1w, or combined like 1h30m.
//
// The rule for the checklist: an item FAILs when something is broken now (archiving off or failing)
// or when a target the user declared is violated. A missing declaration, or something not looked at,
// is a WARN with the fix: a fresh workspace without policies is not an alarm for cron.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type pg from 'pg';
import type { CatalogEntry } from '../logical/catalog';
import { PgbrError, errorMessage } from '../platform/errors';
import type { WorkspaceConfig } from '../profiles/yamlConfig';
import { formatBytes, getArchiverStatus, getServerInfo, type ArchiverStatus, type ServerInfo } from '../postgres/server';
import { formatWhen } from '../platform/when';
import { archivingBlock, archivingOn, archivingVia, failingNow } from './archiving';
import { parseLsn } from '../wal/names';

// ---------------------------------------------------------------------------------------------
// Durations

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400, w: 604800, week: 604800, weeks: 604800,
};

const DURATION_EXAMPLE = 'a number and a unit, like 90s, 5m, 1h, 2d or 1w';

/**
 * `90s`, `5m`, `1h`, `2d`, `1w`, `1h30m` → seconds. A bare number is refused: `rpo: 5` could mean
 * seconds or minutes, and a wrong guess makes every check meaningless.
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    throw new PgbrError('config', `${what} ${value} has no unit: write ${DURATION_EXAMPLE}`);
  }
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/iy;
  let seconds = 0;
  let parts = 0;
  part.lastIndex = 0;
  while (part.lastIndex < text.length) {
    const m = part.exec(text);
    const unit = m ? UNIT_SECONDS[(m[2] as string).toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      parts = 0;
      break;
    }
    seconds += Number(m[1]) * unit;
    parts++;
  }
  if (parts === 0 || !(seconds > 0)) {
    throw new PgbrError('config', `${what} "${value}" is not a duration: write ${DURATION_EXAMPLE}`);
  }
  return Math.round(seconds);
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `45 s`, `4 min`, `2 h 5 min`, `1 day 3 h`, `3 days`: rounded down, as an age is read. Negative (clock skew) shows as 0 s. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  // Past a few days the hours are noise.
  return d < 3 && h ? `${plural(d, 'day')} ${h} h` : plural(d, 'day');
}

/** `archive_timeout` as SHOW prints it (`0`, `60s`, `5min`, `1h`) → seconds; 0 when off or unreadable. */
export function archiveTimeoutSeconds(text: string): number {
  const m = /^(\d+)\s*(ms|s|min|h|d)?$/.exec(text.trim());
  if (!m) return 0;
  const factor: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 };
  return Number(m[1]) * (factor[m[2] ?? 's'] ?? 1);
}

// ---------------------------------------------------------------------------------------------
// Policy

/** Where copies go off this machine; pgbr records the declaration, it does not check the copy. */
export interface OffsiteTarget {
  target?: string;
  command?: string;
}

export interface HealthPolicy {
  rpoSeconds?: number;
  rtoSeconds?: number;
  baseBackupMaxAgeSeconds?: number;
  dumpMaxAgeSeconds?: number;
  /** As written in pgbackup.yaml; any value means a retention policy is defined. */
  retention?: unknown;
  offsite?: OffsiteTarget;
}

/** The policy declared in pgbackup.yaml; an empty policy when there is no file. Throws a config error for a malformed duration. */
export function healthPolicy(config: WorkspaceConfig | undefined): HealthPolicy {
  const policy: HealthPolicy = {};
  if (!config) return policy;
  if (config.rpo !== undefined) policy.rpoSeconds = parseDuration(config.rpo, 'rpo');
  if (config.rto !== undefined) policy.rtoSeconds = parseDuration(config.rto, 'rto');
  if (config.baseBackupMaxAge !== undefined) policy.baseBackupMaxAgeSeconds = parseDuration(config.baseBackupMaxAge, 'baseBackupMaxAge');
  if (config.dumpMaxAge !== undefined) policy.dumpMaxAgeSeconds = parseDuration(config.dumpMaxAge, 'dumpMaxAge');
  if (config.retention !== undefined && config.retention !== null) policy.retention = config.retention;
  if (typeof config.offsite === 'string') policy.offsite = { target: config.offsite };
  else if (config.offsite) policy.offsite = { ...config.offsite };
  return policy;
}

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
const SEGMENT_HEADER_BYTES = 40;

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
function failuresBetween(previous: ArchiverPoll, current: ArchiverPoll): number {
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

// ---------------------------------------------------------------------------------------------
// The snapshot

export type CheckStatus = 'pass' | 'warn' | 'fail';
export type CheckId = 'archiving-on' | 'recent-archive' | 'no-failure-since-success' | 'base-backup' | 'verified-dump' | 'retention' | 'offsite';

export interface CheckItem {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** What was found, in one sentence. */
  detail: string;
  /** One actionable sentence; absent when the item passes. */
  fix?: string;
}

/** `no-target`: nothing declared in pgbackup.yaml; `no-data`: nothing found to measure. */
export type TargetStatus = 'met' | 'missed' | 'no-target' | 'no-data';

export interface AgeAgainstTarget {
  ageSeconds: number | null;
  targetSeconds?: number;
  status: TargetStatus;
  /** The newest item measured: a WAL file name, a dump name, a backup label. */
  newest?: string;
  at?: Date;
  note?: string;
}

export interface RtoEvidence {
  /** The duration of the newest passed verification (a full restore into a scratch database). */
  lastRestoreSeconds?: number;
  /** The dump whose verification measured it. */
  from?: string;
  at?: Date;
  targetSeconds?: number;
  status: TargetStatus;
}

export interface WalLag {
  currentWal: string | null;
  lastArchivedWal: string | null;
  /** Null when either WAL is unknown (nothing archived, a standby) or is no segment name. */
  distance: WalDistance | null;
  /** WAL written past the last archived segment, from the insert position; null when unknown. */
  unarchivedBytes: number | null;
  lastArchiveAgeSeconds: number | null;
}

export type OverallState = 'ok' | 'lagging' | 'failing';

export interface BaseBackupSeen {
  label?: string;
  stopTime: Date;
}

export interface HealthSnapshot {
  at: Date;
  server: ServerInfo;
  archiver: ArchiverStatus;
  inRecovery: boolean;
  /** Failures since the previous snapshot; null without one. */
  failedSincePrevious: number | null;
  lag: WalLag;
  /** `.ready` files in pg_wal/archive_status: WAL waiting for the archiver. */
  readyFiles: number | null;
  /** Why `readyFiles` is null. */
  readyFilesNote?: string;
  rpo: { wal: AgeAgainstTarget; dump: AgeAgainstTarget; baseBackup: AgeAgainstTarget };
  rto: RtoEvidence;
  checklist: CheckItem[];
  overall: OverallState;
  /** Why the state is not ok, one sentence each. */
  reasons: string[];
  policy: HealthPolicy;
  activity?: ArchiveActivityHour[];
}

/** What the previous snapshot must have for `failedSincePrevious`; a snapshot read back from JSON (dates as text) will do. */
export interface PreviousSnapshot {
  at: Date | string;
  archiver: { failedCount: number; statsReset: Date | string | null };
}

/** What the server said, gathered by `collectHealth`; the rest is pure. */
export interface HealthFacts {
  server: ServerInfo;
  archiver: ArchiverStatus;
  inRecovery: boolean;
  /** `pg_current_wal_insert_lsn()`; null on a standby. */
  insertLsn: string | null;
  /** The server's clock when asked: archive times are the server's, so their ages are measured on its clock. */
  serverNow?: Date;
  readyFiles: number | null;
  readyFilesNote?: string;
}

export interface HealthInputs {
  policy: HealthPolicy;
  previous?: PreviousSnapshot;
  /** The dumps of this server, newest first or not; undefined when no dump folder was looked at. */
  dumps?: readonly CatalogEntry[];
  /** Base backups seen (archive backup history files, the extension's own); undefined when none was looked for. */
  baseBackups?: readonly BaseBackupSeen[];
  archiveActivity?: ArchiveActivityHour[];
  now?: Date;
}

/** More than this many segments waiting for the archiver (128 MiB at the default size) is lagging. */
export const LAGGING_SEGMENTS = 8;
/** Without a declared RPO, a last archive older than this, with WAL written since, is no longer "recent". */
const DEFAULT_RECENT_SECONDS = 86400;

export async function collectHealth(client: pg.Client, opts: HealthInputs): Promise<HealthSnapshot> {
  const server = await getServerInfo(client);
  const archiver = await getArchiverStatus(client);
  const position = await client.query<{ in_recovery: boolean; insert_lsn: string | null; server_now: Date }>(
    `SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
            CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL ELSE pg_catalog.pg_current_wal_insert_lsn()::text END AS insert_lsn,
            pg_catalog.statement_timestamp() AS server_now`,
  );
  const row = position.rows[0];
  const ready = await countReadyFiles(client, server);
  const facts: HealthFacts = {
    server,
    archiver,
    inRecovery: row?.in_recovery ?? false,
    insertLsn: row?.insert_lsn ?? null,
    readyFiles: ready.count,
  };
  if (row?.server_now) facts.serverNow = row.server_now;
  if (ready.note) facts.readyFilesNote = ready.note;
  return assessHealth(facts, opts);
}

/** pg_ls_archive_statusdir() (PostgreSQL 12+) needs superuser or pg_monitor; without it the count is unknown, and says why. */
async function countReadyFiles(client: pg.Client, server: ServerInfo): Promise<{ count: number | null; note?: string }> {
  if (server.versionNum < 120000) {
    return { count: null, note: 'counting .ready files needs pg_ls_archive_statusdir(), new in PostgreSQL 12' };
  }
  try {
    const r = await client.query<{ ready: string }>(
      `SELECT count(*) FILTER (WHERE name LIKE '%.ready') AS ready FROM pg_catalog.pg_ls_archive_statusdir()`,
    );
    return { count: Number(r.rows[0]?.ready ?? 0) };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === '42501') {
      return { count: null, note: 'the .ready files cannot be counted by this user: as a superuser, run GRANT pg_monitor TO it (a role grant: any database will do), or connect as a superuser' };
    }
    return { count: null, note: `the .ready files cannot be counted: ${errorMessage(e)}` };
  }
}

/** Everything derived from the facts and the workspace's inputs: pure, so every rule is tested without a server. */
export function assessHealth(facts: HealthFacts, inputs: HealthInputs): HealthSnapshot {
  const now = inputs.now ?? new Date();
  // Archive times are the server's, dump and backup times this machine's: each age on its own clock.
  const serverNow = facts.serverNow ?? now;
  const { server, archiver } = facts;
  const { policy } = inputs;
  const seconds = (from: Date, to: Date) => Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));

  const distance =
    archiver.currentWal && archiver.lastArchivedWal ? walDistance(archiver.currentWal, archiver.lastArchivedWal, server.segmentSize) : undefined;
  const unarchived =
    facts.insertLsn && archiver.currentWal && archiver.lastArchivedWal
      ? unarchivedBytes(facts.insertLsn, archiver.currentWal, archiver.lastArchivedWal, server.segmentSize)
      : undefined;
  const lag: WalLag = {
    currentWal: archiver.currentWal,
    lastArchivedWal: archiver.lastArchivedWal,
    distance: distance ?? null,
    unarchivedBytes: unarchived ?? null,
    lastArchiveAgeSeconds: archiver.lastArchivedTime ? seconds(archiver.lastArchivedTime, serverNow) : null,
  };

  const rpoWal = walRpo(lag, archiver, policy);
  const dumpRpo = newestDumpRpo(inputs.dumps, policy, now, seconds);
  const baseRpo = baseBackupRpo(inputs.baseBackups, policy, now, seconds);
  const rto = rtoEvidence(inputs.dumps, policy);

  let failedSincePrevious: number | null = null;
  if (inputs.previous) {
    failedSincePrevious = failuresBetween(
      { at: inputs.previous.at, failedCount: inputs.previous.archiver.failedCount, statsReset: inputs.previous.archiver.statsReset },
      { at: now, failedCount: archiver.failedCount, statsReset: archiver.statsReset },
    );
  }

  const input: ChecklistInput = {
    now,
    server,
    archiver,
    inRecovery: facts.inRecovery,
    lag,
    readyFiles: facts.readyFiles,
    failedSincePrevious,
    policy,
    rpoWal,
    dumps: inputs.dumps,
    dumpRpo,
    baseBackups: inputs.baseBackups,
    baseRpo,
  };
  const checklist = buildChecklist(input);
  const { state, reasons } = overallState(input);
  const snapshot: HealthSnapshot = {
    at: now,
    server,
    archiver,
    inRecovery: facts.inRecovery,
    failedSincePrevious,
    lag,
    readyFiles: facts.readyFiles,
    rpo: { wal: rpoWal, dump: dumpRpo, baseBackup: baseRpo },
    rto,
    checklist,
    overall: state,
    reasons,
    policy,
  };
  if (facts.readyFilesNote !== undefined) snapshot.readyFilesNote = facts.readyFilesNote;
  if (inputs.archiveActivity) snapshot.activity = inputs.archiveActivity;
  return snapshot;
}

function againstTarget(age: number | null, target: number | undefined): TargetStatus {
  if (target === undefined) return 'no-target';
  if (age === null) return 'no-data';
  return age <= target ? 'met' : 'missed';
}

/** Nothing written since the last archived segment: the archive holds everything, however old the last archive is. */
export function nothingUnarchived(lag: WalLag): boolean {
  return lag.unarchivedBytes !== null && lag.unarchivedBytes <= SEGMENT_HEADER_BYTES;
}

function walRpo(lag: WalLag, archiver: ArchiverStatus, policy: HealthPolicy): AgeAgainstTarget {
  const result: AgeAgainstTarget = { ageSeconds: lag.lastArchiveAgeSeconds, status: againstTarget(lag.lastArchiveAgeSeconds, policy.rpoSeconds) };
  if (policy.rpoSeconds !== undefined) result.targetSeconds = policy.rpoSeconds;
  if (archiver.lastArchivedWal) result.newest = archiver.lastArchivedWal;
  if (archiver.lastArchivedTime) result.at = archiver.lastArchivedTime;
  if (result.status === 'missed' && nothingUnarchived(lag)) {
    result.status = 'met';
    result.note = 'no WAL has been written since the last archived segment';
  }
  return result;
}

function isDatabaseDump(d: CatalogEntry): boolean {
  return d.manifest?.kind !== 'globals';
}

function newestDumpRpo(
  dumps: readonly CatalogEntry[] | undefined,
  policy: HealthPolicy,
  now: Date,
  seconds: (from: Date, to: Date) => number,
): AgeAgainstTarget {
  const newest = dumps?.filter(isDatabaseDump).reduce<CatalogEntry | undefined>((a, d) => (!a || d.time > a.time ? d : a), undefined);
  const age = newest ? seconds(newest.time, now) : null;
  const result: AgeAgainstTarget = { ageSeconds: age, status: againstTarget(age, policy.dumpMaxAgeSeconds) };
  if (policy.dumpMaxAgeSeconds !== undefined) result.targetSeconds = policy.dumpMaxAgeSeconds;
  if (newest) {
    result.newest = newest.name;
    result.at = newest.time;
  }
  if (!dumps) result.note = 'no dump folder was looked at';
  return result;
}

function baseBackupRpo(
  backups: readonly BaseBackupSeen[] | undefined,
  policy: HealthPolicy,
  now: Date,
  seconds: (from: Date, to: Date) => number,
): AgeAgainstTarget {
  const newest = backups?.reduce<BaseBackupSeen | undefined>((a, b) => (!a || b.stopTime > a.stopTime ? b : a), undefined);
  const age = newest ? seconds(newest.stopTime, now) : null;
  const result: AgeAgainstTarget = { ageSeconds: age, status: againstTarget(age, policy.baseBackupMaxAgeSeconds) };
  if (policy.baseBackupMaxAgeSeconds !== undefined) result.targetSeconds = policy.baseBackupMaxAgeSeconds;
  if (newest) {
    if (newest.label) result.newest = newest.label;
    result.at = newest.stopTime;
  }
  if (!backups) result.note = 'no WAL archive was looked at for backup history files';
  return result;
}

function passedVerifications(dumps: readonly CatalogEntry[] | undefined): { dump: CatalogEntry; at: Date; durationMs: number }[] {
  const found: { dump: CatalogEntry; at: Date; durationMs: number }[] = [];
  for (const dump of dumps ?? []) {
    const v = dump.manifest?.verification;
    if (v?.status === 'passed' && isDatabaseDump(dump)) found.push({ dump, at: new Date(v.at), durationMs: v.durationMs });
  }
  return found.sort((a, b) => b.at.getTime() - a.at.getTime());
}

function rtoEvidence(dumps: readonly CatalogEntry[] | undefined, policy: HealthPolicy): RtoEvidence {
  const newest = passedVerifications(dumps)[0];
  const restore = newest ? Math.round(newest.durationMs / 1000) : null;
  const evidence: RtoEvidence = { status: againstTarget(restore, policy.rtoSeconds) };
  if (policy.rtoSeconds !== undefined) evidence.targetSeconds = policy.rtoSeconds;
  if (newest && restore !== null) {
    evidence.lastRestoreSeconds = restore;
    evidence.from = newest.dump.name;
    evidence.at = newest.at;
  }
  return evidence;
}

// ---------------------------------------------------------------------------------------------
// Checklist and overall state

export interface ChecklistInput {
  /** The local clock, for the ages of files (dumps, backups). */
  now: Date;
  server: ServerInfo;
  archiver: ArchiverStatus;
  inRecovery: boolean;
  lag: WalLag;
  readyFiles: number | null;
  failedSincePrevious: number | null;
  policy: HealthPolicy;
  rpoWal: AgeAgainstTarget;
  dumps?: readonly CatalogEntry[];
  dumpRpo: AgeAgainstTarget;
  baseBackups?: readonly BaseBackupSeen[];
  baseRpo: AgeAgainstTarget;
}

export const CHECK_TITLES: Record<CheckId, string> = {
  'archiving-on': 'WAL archiving is on',
  'recent-archive': 'a recent successful archive',
  'no-failure-since-success': 'no archive failure since the last success',
  'base-backup': 'a base backup within policy',
  'verified-dump': 'a verified dump within policy',
  retention: 'a retention policy is defined',
  offsite: 'an offsite copy is configured',
};

const at = (d: Date | null | undefined, now: Date): string => (d ? formatWhen(d, { now }) : 'never');

export function buildChecklist(input: ChecklistInput): CheckItem[] {
  return [
    checkArchivingOn(input),
    checkRecentArchive(input),
    checkNoFailure(input),
    checkBaseBackup(input),
    checkVerifiedDump(input),
    checkRetention(input.policy),
    checkOffsite(input.policy),
  ];
}

function item(id: CheckId, status: CheckStatus, detail: string, fix?: string): CheckItem {
  const result: CheckItem = { id, title: CHECK_TITLES[id], status, detail };
  if (status !== 'pass' && fix) result.fix = fix;
  return result;
}

function checkArchivingOn({ server, inRecovery }: ChecklistInput): CheckItem {
  const id = 'archiving-on';
  const block = archivingBlock(server);
  if (block) return item(id, 'fail', block.detail, block.fix);
  if (inRecovery && server.archiveMode === 'on') {
    return item(
      id,
      'warn',
      'this server is a standby: with archive_mode = on it archives nothing until it is promoted.',
      'check the primary\'s archiving, or set archive_mode = always here to archive from the standby too.',
    );
  }
  return item(id, 'pass', `archive_mode = ${server.archiveMode}, wal_level = ${server.walLevel}, ${archivingVia(server) ?? ''}.`);
}

function checkRecentArchive(input: ChecklistInput): CheckItem {
  const { server, archiver, lag, policy, rpoWal } = input;
  const id = 'recent-archive';
  if (!archivingOn(server)) {
    return item(id, 'warn', 'archiving is off, so nothing is archived.', `turn archiving on first (see "${CHECK_TITLES['archiving-on']}").`);
  }
  if (!archiver.lastArchivedTime) {
    const since = archiver.statsReset ? ` since the statistics were reset ${at(archiver.statsReset, input.now)}` : '';
    if (archiver.failedCount > 0) {
      return item(
        id,
        'fail',
        `no WAL has been archived${since}, and ${plural(archiver.failedCount, 'attempt')} failed.`,
        'run archive_command by hand as the server\'s OS user to see why it fails, and fix it.',
      );
    }
    return item(
      id,
      policy.rpoSeconds !== undefined ? 'fail' : 'warn',
      `no WAL has been archived yet${since}.`,
      'run SELECT pg_switch_wal(); and check that a file arrives in the archive.',
    );
  }
  const age = lag.lastArchiveAgeSeconds ?? 0;
  const last = `the last archive, ${archiver.lastArchivedWal ?? 'a WAL file'}, was ${formatDuration(age)} ago`;
  const idle = nothingUnarchived(lag) ? ' and no WAL has been written since' : '';
  if (policy.rpoSeconds !== undefined) {
    if (rpoWal.status === 'met') return item(id, 'pass', `${last}${idle}; the rpo is ${formatDuration(policy.rpoSeconds)}.`);
    const timeout = archiveTimeoutSeconds(server.archiveTimeout);
    const fix =
      timeout === 0 || timeout > policy.rpoSeconds
        ? `set archive_timeout = ${Math.max(60, Math.floor(policy.rpoSeconds / 60) * 60)}s (at most the rpo) in postgresql.conf and reload, so WAL is archived that often even when traffic is low.`
        : 'check that archive_command keeps up (the server log and the .ready files in pg_wal/archive_status tell).';
    return item(id, 'fail', `${last}, longer than the rpo of ${formatDuration(policy.rpoSeconds)}, with WAL written since.`, fix);
  }
  if (age > DEFAULT_RECENT_SECONDS && !nothingUnarchived(lag)) {
    return item(
      id,
      'warn',
      `${last}, with WAL written since; no rpo is declared to judge it by.`,
      'declare rpo (e.g. rpo: 15m) in pgbackup.yaml and set archive_timeout to at most that.',
    );
  }
  return item(id, 'pass', `${last}${idle}.`);
}

function checkNoFailure({ archiver, failedSincePrevious, now }: ChecklistInput): CheckItem {
  const id = 'no-failure-since-success';
  const a = archiver;
  if (failingNow(a)) {
    return item(
      id,
      'fail',
      `archiving is failing: ${plural(a.failedCount, 'failure')}, the last for ${a.lastFailedWal ?? 'a WAL file'} ${at(a.lastFailedTime, now)}, after the last success (${at(a.lastArchivedTime, now)}).`,
      'run archive_command by hand as the server\'s OS user to see why it fails (permissions, free space, the target path), fix it, and PostgreSQL retries by itself.',
    );
  }
  if (failedSincePrevious !== null && failedSincePrevious > 0) {
    return item(
      id,
      'warn',
      `${plural(failedSincePrevious, 'failure')} since the previous check, though archiving has succeeded since (last ${at(a.lastArchivedTime, now)}).`,
      'read the server log around the failures: an archive target that fails now and then will fail again.',
    );
  }
  if (a.failedCount > 0) {
    return item(id, 'pass', `${plural(a.failedCount, 'failure')} since ${a.statsReset ? at(a.statsReset, now) : 'the statistics began'}, the last ${at(a.lastFailedTime, now)}; archiving has succeeded since.`);
  }
  return item(id, 'pass', 'no archive failure recorded.');
}

function checkBaseBackup({ baseBackups, baseRpo, policy }: ChecklistInput): CheckItem {
  const id = 'base-backup';
  const max = policy.baseBackupMaxAgeSeconds;
  const declare = 'declare baseBackupMaxAge (e.g. baseBackupMaxAge: 7d) in pgbackup.yaml to check base backups against a policy.';
  if (!baseBackups) {
    return item(
      id,
      'warn',
      'base backups were not looked for: no WAL archive folder was given.',
      'give the WAL archive folder (pgbr status --archive DIR, or archives: in pgbackup.yaml) so its backup history files are found.',
    );
  }
  if (baseRpo.ageSeconds === null) {
    const every = max !== undefined ? ` at least every ${formatDuration(max)}` : '';
    return item(
      id,
      max !== undefined ? 'fail' : 'warn',
      'no base backup was found, so archived WAL has nothing to be replayed onto.',
      `take a base backup with pg_basebackup${every}${max === undefined ? ', and declare baseBackupMaxAge in pgbackup.yaml' : ''}.`,
    );
  }
  const what = `the newest base backup${baseRpo.newest ? ` (${baseRpo.newest})` : ''} finished ${formatDuration(baseRpo.ageSeconds)} ago`;
  if (max === undefined) return item(id, 'warn', `${what}; no baseBackupMaxAge is declared.`, declare);
  if (baseRpo.status === 'met') return item(id, 'pass', `${what}, within baseBackupMaxAge ${formatDuration(max)}.`);
  return item(
    id,
    'fail',
    `${what}, older than baseBackupMaxAge ${formatDuration(max)}.`,
    `take a new base backup with pg_basebackup, and schedule one at least every ${formatDuration(max)}.`,
  );
}

function checkVerifiedDump({ dumps, policy, now }: ChecklistInput): CheckItem {
  const id = 'verified-dump';
  const max = policy.dumpMaxAgeSeconds;
  if (!dumps) {
    return item(id, 'warn', 'dumps were not looked for: no dump folder was read.', 'set dumpFolders in pgbackup.yaml to the folders your dumps are written to.');
  }
  const verified = passedVerifications(dumps).map((v) => v.dump).sort((a, b) => b.time.getTime() - a.time.getTime())[0];
  const newest = dumps.filter(isDatabaseDump).sort((a, b) => b.time.getTime() - a.time.getTime())[0];
  const failedNote =
    newest?.manifest?.verification?.status === 'failed' ? ` The newest dump, ${newest.name}, failed its verification.` : '';
  if (!verified) {
    const found = newest ? `${dumps.filter(isDatabaseDump).length === 1 ? '1 dump' : `${dumps.filter(isDatabaseDump).length} dumps`}, none verified` : 'no dump';
    return item(
      id,
      max !== undefined ? 'fail' : 'warn',
      `${found} in the dump folders.${failedNote}`,
      newest
        ? `verify the newest dump (pgbr verify, or "Verify dump" in the Dumps view) to prove it restores${max === undefined ? ', and declare dumpMaxAge in pgbackup.yaml' : ''}.`
        : `take a dump with pgbr dump and verify it${max === undefined ? ', then declare dumpMaxAge (e.g. dumpMaxAge: 1d) in pgbackup.yaml' : ''}.`,
    );
  }
  const age = Math.max(0, Math.round((now.getTime() - verified.time.getTime()) / 1000));
  const what = `the newest verified dump, ${verified.name}, was taken ${formatDuration(age)} ago`;
  if (max === undefined) {
    return item(id, 'warn', `${what}; no dumpMaxAge is declared.${failedNote}`, 'declare dumpMaxAge (e.g. dumpMaxAge: 1d) in pgbackup.yaml to check dumps against a policy.');
  }
  if (age <= max) return item(id, 'pass', `${what}, within dumpMaxAge ${formatDuration(max)}.${failedNote}`);
  return item(
    id,
    'fail',
    `${what}, older than dumpMaxAge ${formatDuration(max)}.${failedNote}`,
    `take and verify a new dump, and schedule both at least every ${formatDuration(max)}.`,
  );
}

function checkRetention(policy: HealthPolicy): CheckItem {
  if (policy.retention !== undefined) return item('retention', 'pass', `retention is declared: ${JSON.stringify(policy.retention)}.`);
  return item(
    'retention',
    'warn',
    'no retention is declared, so old dumps and WAL are kept until the disk fills.',
    'declare retention in pgbackup.yaml, e.g. retention: { keepDumps: 14, keepBaseBackups: 4 }.',
  );
}

function checkOffsite(policy: HealthPolicy): CheckItem {
  const o = policy.offsite;
  if (o && (o.target || o.command)) {
    return item('offsite', 'pass', `an offsite copy is declared (${o.target ?? o.command ?? ''}); pgbr does not check the copy itself.`);
  }
  return item(
    'offsite',
    'warn',
    'no offsite copy is declared: a lost machine takes its backups with it.',
    'copy backups off this machine and declare where in pgbackup.yaml, e.g. offsite: s3://bucket/pg.',
  );
}

/** failing: archiving off or failing now; lagging: older than the rpo with WAL written since, or WAL piling up; else ok. */
export function overallState(input: ChecklistInput): { state: OverallState; reasons: string[] } {
  const { server, archiver, lag, readyFiles, rpoWal, inRecovery, now } = input;
  const failing: string[] = [];
  // A standby with archive_mode = on archives nothing by design: only its own settings can fail it.
  if (!archivingOn(server)) failing.push('WAL archiving is off or has no archive_command.');
  if (failingNow(archiver)) failing.push(`archiving is failing: the last attempt, for ${archiver.lastFailedWal ?? 'a WAL file'}, failed ${at(archiver.lastFailedTime, now)}.`);
  if (failing.length) return { state: 'failing', reasons: failing };
  if (inRecovery) return { state: 'ok', reasons: [] };
  const lagging: string[] = [];
  if (rpoWal.status === 'missed' && rpoWal.ageSeconds !== null && rpoWal.targetSeconds !== undefined) {
    lagging.push(`the last archive was ${formatDuration(rpoWal.ageSeconds)} ago, longer than the rpo of ${formatDuration(rpoWal.targetSeconds)}.`);
  }
  if (lag.distance && lag.distance.segments > LAGGING_SEGMENTS) {
    lagging.push(`the current WAL is ${plural(lag.distance.segments, 'segment')} (${formatBytes(lag.distance.bytes)}) past the last archived one.`);
  }
  if (readyFiles !== null && readyFiles > LAGGING_SEGMENTS) lagging.push(`${readyFiles} WAL files are waiting for the archiver (.ready).`);
  return lagging.length ? { state: 'lagging', reasons: lagging } : { state: 'ok', reasons: [] };
}
