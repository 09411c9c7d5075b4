// What the WAL Archive view, the Health checklist and `pgbr backrest info` show of a stanza: its info,
// backups as chains (full → diff → incr), each backup's recoverable window, the archive's own scan where
// the repository is a posix folder, and the problems worth a row.
import { formatDuration } from '../platform/duration';
import type { RecoverableWindow } from '../wal/check';
import { type BackrestArchiveScan, scanBackrestArchive } from './archiveScan';
import { backrestInfo, type BackrestCallOptions } from './commands';
import { posixRepoPath } from './confFile';
import { type BackrestBackup, type BackrestStanzaInfo, stanzaProblem } from './info';
import type { BackrestTarget } from './run';
import { type ArchiveListing, backrestWindow, listPosixArchive } from './window';

/** A backup and the backups taken on it: a full's diffs and incrs, an incr's next incr. */
export interface BackupChain {
  backup: BackrestBackup;
  dependents: BackupChain[];
}

export interface RepositoryProblem {
  severity: 'error' | 'warning';
  message: string;
  /** The backup it is about. */
  backup?: string;
}

export interface BackrestOverview {
  info: BackrestStanzaInfo;
  window: RecoverableWindow;
  chains: BackupChain[];
  /** repo1's folder when it is posix and readable here; then `listing` and `archive` are filled. */
  repoPath?: string;
  listing?: ArchiveListing;
  archive?: BackrestArchiveScan[];
  problems: RepositoryProblem[];
}

/** Chains by `prior`: each full is a root, and a backup whose prior is gone (expired) is one too. */
export function backupChains(backups: readonly BackrestBackup[]): BackupChain[] {
  const nodes = new Map(backups.map((b) => [b.label, { backup: b, dependents: [] as BackupChain[] }]));
  const roots: BackupChain[] = [];
  for (const b of backups) {
    const node = nodes.get(b.label) as BackupChain;
    const prior = b.prior !== undefined ? nodes.get(b.prior) : undefined;
    if (b.type !== 'full' && prior) prior.dependents.push(node);
    else roots.push(node);
  }
  return roots;
}

/** What is wrong: the stanza's status, backups with checksum errors, WAL older than the RPO, and the archive scan's own findings. */
export function repositoryProblems(
  info: BackrestStanzaInfo,
  ctx: { config?: string; listing?: ArchiveListing; archive?: readonly BackrestArchiveScan[]; rpoSeconds?: number; now?: Date },
): RepositoryProblem[] {
  const problems: RepositoryProblem[] = [];
  const stanza = stanzaProblem(info, ctx.config);
  if (stanza) problems.push({ severity: 'error', message: stanza });
  for (const b of info.backups) {
    if (b.error) problems.push({ severity: 'warning', backup: b.label, message: `backup ${b.label} has files with page checksum errors: run pgbackrest verify, and take a new full backup once the damaged pages are dealt with.` });
  }
  const maxTime = ctx.listing?.maxTime;
  if (maxTime && ctx.rpoSeconds !== undefined) {
    const age = Math.round(((ctx.now ?? new Date()).getTime() - maxTime.getTime()) / 1000);
    if (age > ctx.rpoSeconds) {
      problems.push({
        severity: 'error',
        message: `the newest WAL in the repository arrived ${formatDuration(age)} ago, longer than the RPO of ${formatDuration(ctx.rpoSeconds)}: check the server's archive_command (pgbackrest archive-push) and pg_stat_archiver.`,
      });
    }
  }
  for (const scan of ctx.archive ?? []) {
    for (const p of scan.problems) if (p.severity !== 'info') problems.push({ severity: p.severity, message: `archive ${scan.archiveId}: ${p.message}` });
  }
  return problems;
}

/** Runs `pgbackrest info`, then reads the posix archive where there is one; a failure of info is the caller's (it is thrown). */
export async function backrestOverview(target: BackrestTarget, opts: BackrestCallOptions & { rpoSeconds?: number; now?: Date; scanArchive?: boolean } = {}): Promise<BackrestOverview> {
  const info = await backrestInfo(target, opts);
  const repoPath = await posixRepoPath(target);
  const listing = repoPath ? await listPosixArchive(repoPath, info) : undefined;
  // The scan reads every segment's file: callers that need only the window (a target check) leave it out.
  const archive = repoPath && listing && opts.scanArchive !== false ? await scanBackrestArchive(repoPath, info) : undefined;
  return {
    info,
    window: backrestWindow(info, listing),
    chains: backupChains(info.backups),
    ...(repoPath && listing ? { repoPath, listing } : {}),
    ...(archive ? { archive } : {}),
    problems: repositoryProblems(info, { ...(target.config ? { config: target.config } : {}), ...(listing ? { listing } : {}), ...(archive ? { archive } : {}), ...(opts.rpoSeconds !== undefined ? { rpoSeconds: opts.rpoSeconds } : {}), ...(opts.now ? { now: opts.now } : {}) }),
  };
}
