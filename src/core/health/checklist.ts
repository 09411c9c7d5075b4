// The health checklist, each item pass, warn or fail with its fix, and the overall state of a server.
import type { CatalogEntry } from '../logical/catalog';
import type { ArchiverStatus, ServerInfo } from '../postgres/server';
import { formatBytes } from '../platform/bytes';
import { archivingBlock, archivingOn, archivingVia, failingNow } from './archiving';
import { archiveTimeoutSeconds, formatDuration } from '../platform/duration';
import { plural } from '../platform/plural';
import type { HealthPolicy } from './policy';
import { checkPlans, checkRetention, type PlanHealth } from './plans';
import { checkOffsite } from './offsite';
import type { AgeAgainstTarget, BaseBackupSeen, CheckId, CheckItem, CheckStatus, OverallState, WalLag } from './snapshot';
import { DEFAULT_RECENT_SECONDS, LAGGING_SEGMENTS, at, isDatabaseDump, nothingUnarchived, passedVerifications } from './measures';

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
  plans?: readonly PlanHealth[] | undefined;
}

export const CHECK_TITLES: Record<CheckId, string> = {
  'archiving-on': 'WAL archiving is on',
  'recent-archive': 'a recent successful archive',
  'no-failure-since-success': 'no archive failure since the last success',
  'base-backup': 'a base backup within policy',
  'verified-dump': 'a verified dump within policy',
  plans: 'backup plans run on schedule',
  retention: 'retention is applied',
  offsite: 'a verified offsite copy of each plan\'s newest backup',
};

export function buildChecklist(input: ChecklistInput): CheckItem[] {
  return [
    checkArchivingOn(input),
    checkRecentArchive(input),
    checkNoFailure(input),
    checkBaseBackup(input),
    checkVerifiedDump(input),
    checkPlans(input.plans, input.now, (status, detail, fix) => item('plans', status, detail, fix)),
    checkRetention(input.plans, input.policy.retention, input.now, (status, detail, fix) => item('retention', status, detail, fix)),
    checkOffsite(input.plans, input.policy, input.now, (status, detail, fix) => item('offsite', status, detail, fix)),
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
  if (rpoWal.behindStanza !== undefined && rpoWal.ageSeconds !== null) {
    const detail = `${rpoWal.note}: ${rpoWal.newest ?? 'its newest segment'} arrived ${formatDuration(rpoWal.ageSeconds)} ago`;
    const fix = "look at pgBackRest's log for archive-push (with archive-async, its spool queue) and at the repository's reachability; pgbr backrest check tells whether a new segment gets there.";
    if (rpoWal.status === 'missed') return item(id, 'fail', `${detail}, longer than the rpo of ${formatDuration(rpoWal.targetSeconds ?? 0)}.`, fix);
    if (rpoWal.status === 'met') return item(id, 'pass', `${detail}; the rpo is ${formatDuration(rpoWal.targetSeconds ?? 0)}.`);
    if (rpoWal.ageSeconds > DEFAULT_RECENT_SECONDS) return item(id, 'warn', `${detail}; no rpo is declared to judge it by.`, fix);
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
