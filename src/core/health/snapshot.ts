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
import type pg from 'pg';
import type { CatalogEntry } from '../logical/catalog';
import { errorMessage } from '../platform/errors';
import { getArchiverStatus, getServerInfo, type ArchiverStatus, type ServerInfo } from '../postgres/server';
import { type ArchiveActivityHour, failuresBetween } from './activity';
import { type ChecklistInput, buildChecklist, overallState } from './checklist';
import { isDatabaseDump, nothingUnarchived, passedVerifications } from './measures';
import type { HealthPolicy } from './policy';
import { type WalDistance, unarchivedBytes, walDistance } from './walPosition';
import type { PlanHealth } from './plans';

// ---------------------------------------------------------------------------------------------
// The snapshot

export type CheckStatus = 'pass' | 'warn' | 'fail';
export type CheckId = 'archiving-on' | 'recent-archive' | 'no-failure-since-success' | 'base-backup' | 'verified-dump' | 'plans' | 'retention' | 'offsite';

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
  /** The WAL RPO measured at a pgBackRest repository behind what the server reports archived: its stanza. */
  behindStanza?: string;
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

/** The newest WAL in a pgBackRest repository the server archives into, and when it arrived (posix repositories only). */
export interface RepositoryWal {
  stanza: string;
  newest?: string;
  at?: Date;
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
  /** The workspace's plans with their last runs; undefined when none were looked for. */
  plans?: readonly PlanHealth[];
  /** The pgBackRest repositories this server archives into: WAL counts as archived once it is in each of them. */
  repositoryWal?: readonly RepositoryWal[];
  now?: Date;
}

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

  const rpoWal = walRpo(lag, archiver, policy, behindRepository(inputs.repositoryWal, archiver, now, seconds));
  const dumpRpo = newestAgainst(inputs.dumps?.filter(isDatabaseDump), (d) => ({ time: d.time, name: d.name }), policy.dumpMaxAgeSeconds, now, seconds, 'no dump folder was looked at');
  const baseRpo = newestAgainst(inputs.baseBackups, (b) => ({ time: b.stopTime, name: b.label }), policy.baseBackupMaxAgeSeconds, now, seconds, 'no WAL archive was looked at for backup history files');
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
    plans: inputs.plans,
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

/**
 * The repository furthest behind what pg_stat_archiver reports archived, with the age of its newest WAL:
 * with archive-async, pgBackRest tells the server a segment is archived once it is queued locally.
 */
function behindRepository(repositories: readonly RepositoryWal[] | undefined, archiver: ArchiverStatus, now: Date, seconds: (from: Date, to: Date) => number): { repository: RepositoryWal; ageSeconds: number } | undefined {
  let worst: { repository: RepositoryWal; ageSeconds: number } | undefined;
  for (const r of repositories ?? []) {
    if (!r.at || !r.newest) continue;
    const behind = archiver.lastArchivedWal ? r.newest.slice(8) < archiver.lastArchivedWal.slice(8) : false;
    const age = seconds(r.at, now);
    if (behind && (!worst || age > worst.ageSeconds)) worst = { repository: r, ageSeconds: age };
  }
  return worst;
}

function walRpo(lag: WalLag, archiver: ArchiverStatus, policy: HealthPolicy, behind?: { repository: RepositoryWal; ageSeconds: number }): AgeAgainstTarget {
  if (behind && (lag.lastArchiveAgeSeconds === null || behind.ageSeconds > lag.lastArchiveAgeSeconds)) {
    const r = behind.repository;
    const result: AgeAgainstTarget = { ageSeconds: behind.ageSeconds, status: againstTarget(behind.ageSeconds, policy.rpoSeconds), newest: r.newest, at: r.at, behindStanza: r.stanza };
    if (policy.rpoSeconds !== undefined) result.targetSeconds = policy.rpoSeconds;
    result.note = `the newest WAL in pgBackRest stanza ${r.stanza}'s repository; the server reports ${archiver.lastArchivedWal ?? 'later WAL'} archived, which has not reached it`;
    return result;
  }
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

/** The age of the newest of `items` against `maxAge`; `note` says why nothing was looked at when `items` is absent. */
function newestAgainst<T>(
  items: readonly T[] | undefined,
  of: (item: T) => { time: Date; name?: string | undefined },
  maxAge: number | undefined,
  now: Date,
  seconds: (from: Date, to: Date) => number,
  note: string,
): AgeAgainstTarget {
  const newest = items?.map(of).reduce<{ time: Date; name?: string | undefined } | undefined>((a, b) => (!a || b.time > a.time ? b : a), undefined);
  const age = newest ? seconds(newest.time, now) : null;
  const result: AgeAgainstTarget = { ageSeconds: age, status: againstTarget(age, maxAge) };
  if (maxAge !== undefined) result.targetSeconds = maxAge;
  if (newest) {
    if (newest.name) result.newest = newest.name;
    result.at = newest.time;
  }
  if (!items) result.note = note;
  return result;
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
