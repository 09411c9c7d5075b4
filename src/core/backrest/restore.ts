// `pgbackrest restore` from a recovery plan: the target as --type/--target options, the set the target needs, checked against the repository's window, and run with archiving off.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError, errorMessage } from '../platform/errors';
import { runTool } from '../platform/runner';
import { RECOVERY_SETTING_PATTERN, type RecoveryPlan, resolveTarget, type TargetCheck } from '../pitr/config';
import { refuseLiveServer } from '../pitr/apply';
import type { BackrestCallOptions } from './commands';
import { backrestInfo } from './commands';
import { type BackrestBackup, type BackrestStanzaInfo, stanzaProblem } from './info';
import { posixRepoPath } from './confFile';
import { backrestFailure, backrestUser, runBackrest, type BackrestTarget } from './run';
import { checkBackrestTarget, chooseBackupSet, listPosixArchive } from './window';

/** What of a recovery plan pgBackRest takes: its restore_command is its own archive-get, and archiving is its --archive-mode. */
export type BackrestRecovery = Pick<RecoveryPlan, 'target' | 'inclusive' | 'timeline' | 'action'>;

export interface BackrestRestoreRequest {
  recovery: BackrestRecovery;
  /** The data directory to restore into (`--pg1-path`). */
  dataDir: string;
  /** A backup label; absent: the set the target needs (see `chooseBackupSet`). */
  set?: string;
  /** The caller agreed that a non-empty data directory may be overwritten where it differs (`--delta`). */
  delta?: boolean;
  /**
   * Databases to restore (`--db-include`). pgBackRest restores the others as sparse, zeroed files: they
   * cannot be connected to and must be dropped once the server is up; template0, template1 and postgres
   * always come back. Only a whole cluster restore is a backup of everything.
   */
  dbInclude?: string[];
  /**
   * `off` (the default) writes archive_mode = off, so the restored server never pushes its WAL into the
   * production repository; `preserve` keeps the backup's archive settings, and with them its archive_command.
   */
  archiveMode?: 'off' | 'preserve';
  /** Restores every tablespace under this folder (`--tablespace-map-all`) instead of its original path. */
  tablespaceMapAll?: string;
}

/** `--type` and its companions for a target, as pgBackRest 2.45 accepts them (an action, an exclusive target or a timeline only where one is valid). */
export function targetOptions(recovery: BackrestRecovery): string[] {
  const target = recovery.target;
  const resolved = resolveTarget(target);
  const out: string[] = [];
  switch (target.kind) {
    case 'latest':
      out.push('--type=default');
      break;
    case 'immediate':
      out.push('--type=immediate');
      break;
    case 'time':
    case 'lsn':
    case 'xid':
    case 'name':
      out.push(`--type=${target.kind}`, `--target=${resolved.setting?.value ?? ''}`);
      if (target.kind !== 'name' && recovery.inclusive === false) out.push('--target-exclusive');
      break;
  }
  if (target.kind !== 'latest') out.push(`--target-action=${recovery.action ?? 'pause'}`);
  const timeline = recovery.timeline ?? 'latest';
  if (typeof timeline === 'number' && (!Number.isInteger(timeline) || timeline < 1)) {
    throw new PgbrError('usage', `${timeline} is not a timeline: timelines are whole numbers from 1.`);
  }
  // 2.45 refuses --target-timeline with an immediate target, which stops at the backup's consistency point anyway.
  if (target.kind !== 'immediate') out.push(`--target-timeline=${timeline}`);
  return out;
}

/** Every option of the restore, in the order passed (the stanza and config come from `backrestArgs`). */
export function restoreOptions(req: BackrestRestoreRequest, ctx: { dataDirEmpty: boolean; set?: string }): string[] {
  if (!ctx.dataDirEmpty && !req.delta) {
    throw new PgbrError('usage', `${req.dataDir} is not empty: choose an empty or new folder, or agree to --delta to let pgBackRest overwrite only the files that differ from the backup.`);
  }
  const out = [`--pg1-path=${path.resolve(req.dataDir)}`, ...targetOptions(req.recovery)];
  const set = req.set ?? ctx.set;
  if (set) out.push(`--set=${set}`);
  if (!ctx.dataDirEmpty) out.push('--delta');
  for (const db of req.dbInclude ?? []) {
    if (db.trim() === '' || /[\s=]/.test(db)) throw new PgbrError('usage', `"${db}" is not a database name --db-include takes: give it without spaces or "=".`);
    out.push(`--db-include=${db}`);
  }
  out.push(`--archive-mode=${req.archiveMode ?? 'off'}`);
  if (req.tablespaceMapAll) out.push(`--tablespace-map-all=${path.resolve(req.tablespaceMapAll)}`);
  out.push('--log-level-console=detail');
  return out;
}

export interface BackrestRestorePlan {
  stanza: string;
  /** The backup restored, and whether the target chose it or the caller named it. */
  backup: BackrestBackup;
  chosenBy: 'set' | 'target' | 'newest';
  check: TargetCheck;
  options: string[];
  dataDir: string;
  warnings: string[];
}

async function dirEmpty(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw new PgbrError('io', `cannot read ${dir}: ${errorMessage(e)}`, { cause: e });
  }
}

/** Reads the stanza, picks the set, checks the target and builds the options; nothing is written. */
export async function planBackrestRestore(target: BackrestTarget, req: BackrestRestoreRequest, opts: BackrestCallOptions & { info?: BackrestStanzaInfo; now?: Date } = {}): Promise<BackrestRestorePlan> {
  resolveTarget(req.recovery.target);
  const info = opts.info ?? (await backrestInfo(target, opts));
  const problem = stanzaProblem(info, target.config);
  if (problem) throw new PgbrError('tool-failed', problem);
  const backup = chooseBackupSet(info, req.recovery.target, req.set);
  const chosenBy = req.set ? 'set' : req.recovery.target.kind === 'time' || req.recovery.target.kind === 'lsn' ? 'target' : 'newest';
  const listing = await listPosixArchive(await posixRepoPath(target), info);
  const check = checkBackrestTarget(req.recovery.target, info, backup, { ...(req.recovery.timeline !== undefined ? { timeline: req.recovery.timeline } : {}), ...(listing ? { listing } : {}), ...(opts.now ? { now: opts.now } : {}) });
  const dataDir = path.resolve(req.dataDir);
  await refuseLiveServer(dataDir);
  const options = restoreOptions(req, { dataDirEmpty: await dirEmpty(dataDir), set: backup.label });
  const warnings: string[] = [];
  if (req.dbInclude?.length) {
    warnings.push(`only ${req.dbInclude.join(', ')} (and template0, template1, postgres) are restored: every other database comes back as sparse, zeroed files that cannot be connected to; drop them once the server is up.`);
  }
  if (req.archiveMode === 'preserve') warnings.push("archive_mode is kept: once promoted, the restored server runs the backup's archive_command, which may push a new timeline into the production repository.");
  if (backup.error) warnings.push(`backup ${backup.label} recorded page checksum errors: the restored data may be damaged; run pgbr backrest verify.`);
  return { stanza: target.stanza, backup, chosenBy, check, options, dataDir, warnings };
}

export interface RestoreProgress {
  /** Of the backup's bytes, from pgBackRest's per-file `restore file … (size, NN.NN%)` lines. */
  percent: number;
}

export interface BackrestRestoreResult {
  /** The recovery lines pgBackRest wrote into postgresql.auto.conf. */
  settings: string[];
  durationMs: number;
}

/** Who writes the data directory as root (pgBackRest runs as the repository's owner), and that user's ids. */
export async function restoreOwner(target: BackrestTarget): Promise<{ user: string; uid: number; gid: number } | undefined> {
  const user = await backrestUser(target);
  if (!user) return undefined;
  const id = async (flag: string) => {
    const r = await runTool({ file: 'id', args: [flag, user], collectStdout: true });
    if (r.status !== 'succeeded') throw new PgbrError('io', `cannot look up the user ${user}, who runs pgbackrest.`);
    return Number(r.stdout.trim());
  };
  return { user, uid: await id('-u'), gid: await id('-g') };
}

/** Runs the planned restore: the data directory is made (0700, as root owned by pgBackRest's user) when it does not exist. */
export async function runBackrestRestore(
  target: BackrestTarget,
  plan: BackrestRestorePlan,
  opts: BackrestCallOptions & { onProgress?: (p: RestoreProgress) => void } = {},
): Promise<BackrestRestoreResult> {
  const owner = await restoreOwner(target);
  if (!existsSync(plan.dataDir)) {
    await fs.mkdir(plan.dataDir, { recursive: true, mode: 0o700 });
    if (owner) await fs.chown(plan.dataDir, owner.uid, owner.gid);
  }
  const onLine = (line: string) => {
    const m = /DETAIL: restore file .*\((?:bundle \d+\/\d+, )?[^,()]*, (\d+\.\d\d)%\)/.exec(line);
    if (m) opts.onProgress?.({ percent: Number(m[1]) });
  };
  const result = await runBackrest(target, 'restore', plan.options, { ...opts, ...(owner ? { user: owner.user } : {}), onStdoutLine: onLine, onStderrLine: onLine });
  if (result.status !== 'succeeded') throw backrestFailure('restore', result, target);
  const auto = await fs.readFile(path.join(plan.dataDir, 'postgresql.auto.conf'), 'utf8').catch(() => '');
  const settings = auto.split('\n').filter((l) => RECOVERY_SETTING_PATTERN.test(l));
  return { settings, durationMs: result.durationMs };
}
