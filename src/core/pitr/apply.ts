// Writes a point-in-time recovery into a stopped data directory: base backup restored, settings, recovery.signal; previewed first.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError, errorMessage } from '../platform/errors';
import { pathExists, writeFileAtomic } from '../platform/fsutil';
import type { Logger } from '../platform/log';
import { runTool } from '../platform/runner';
import { renderRecoverySettings, rewriteConf, type RecoveryPlan } from './config';
import { archivingChange, sourceArchiveCommand, sourcePort } from './archiving';
import { isRoot } from './scratchServer';

export { sourceArchiveCommand, sourcePort } from './archiving';
export { recoveryAsText, type RecoveryTextOptions } from './recoveryText';

export type BaseBackupFormat = 'plain' | 'tar';

export interface RecoveryChange {
  file: string;
  /**
   * `disable`: a file that would change the kind of recovery (standby.signal) is renamed to its backup copy.
   * `setting`: a setting written as part of another change to the same file, listed on its own because
   * it changes what the server does after recovery (archive_mode); nothing more is written for it.
   */
  action: 'create' | 'modify' | 'copy-tree' | 'extract' | 'disable' | 'setting';
  /** What a tree is copied or extracted from. */
  from?: string;
  before?: string;
  after?: string;
  /** Where the file's previous content is kept. */
  backupCopy?: string;
  /** One line for people. */
  detail: string;
}

export interface BaseBackupInfo {
  format: BaseBackupFormat;
  /** From backup_manifest's WAL-Ranges: where recovery must at least replay to. */
  startLsn?: string;
  stopLsn?: string;
  timeline?: number;
  /** PG_VERSION of a plain backup (a tar backup's is only known once extracted). */
  pgVersion?: string;
}

export interface RecoveryPreview {
  dataDir: string;
  /** Restoring a base backup, or only writing settings into a data directory that already holds one. */
  mode: 'restore' | 'settings-only';
  backup?: BaseBackupInfo;
  /** Who will own the data directory: set as root, since PostgreSQL refuses to run as root. */
  owner?: { user: string; uid: number; gid: number };
  settings: string[];
  changes: RecoveryChange[];
  warnings: string[];
  /** The timestamp in the header and in backup-copy names, so the preview and the write match. */
  now: Date;
}

export interface ApplyOptions {
  /** A pg_basebackup output folder; without it, only the settings are written into `dataDir`. */
  baseBackupDir?: string;
  /** Detected from the folder when absent. */
  format?: BaseBackupFormat;
  dataDir: string;
  plan: RecoveryPlan;
  now?: Date;
  logger?: Logger;
  signal?: AbortSignal;
}


/** `base.tar`, `base.tar.gz`, ...: tar reads the compression from the file itself. */
const TAR_SUFFIXES = ['', '.gz', '.zst', '.lz4', '.bz2', '.xz'];

async function readIfExists(p: string): Promise<string | undefined> {
  try {
    return await fs.readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PgbrError('io', `cannot read ${p}: ${errorMessage(e)}`, { cause: e });
  }
}

async function findTar(dir: string, stem: string): Promise<string | undefined> {
  for (const suffix of TAR_SUFFIXES) {
    const file = path.join(dir, `${stem}.tar${suffix}`);
    if (await pathExists(file)) return file;
  }
  return undefined;
}

/** What kind of pg_basebackup output a folder holds. */
export async function detectFormat(baseBackupDir: string): Promise<BaseBackupFormat> {
  if (await findTar(baseBackupDir, 'base')) return 'tar';
  if (await pathExists(path.join(baseBackupDir, 'PG_VERSION'))) return 'plain';
  if (!(await pathExists(baseBackupDir))) throw new PgbrError('usage', `the base backup folder ${baseBackupDir} does not exist.`);
  throw new PgbrError('usage', `${baseBackupDir} is not a base backup: it has neither PG_VERSION (plain format) nor base.tar (tar format). Point at the folder pg_basebackup wrote.`);
}

/** The backup's WAL range from its manifest: the stop LSN picks its window in the archive. */
export async function readBaseBackupInfo(baseBackupDir: string, format?: BaseBackupFormat): Promise<BaseBackupInfo> {
  const fmt = format ?? (await detectFormat(baseBackupDir));
  const info: BaseBackupInfo = { format: fmt };
  const manifest = await readIfExists(path.join(baseBackupDir, 'backup_manifest'));
  if (manifest) {
    try {
      const parsed = JSON.parse(manifest) as { 'WAL-Ranges'?: { Timeline?: number; 'Start-LSN'?: string; 'End-LSN'?: string }[] };
      const ranges = parsed['WAL-Ranges'] ?? [];
      const first = ranges[0];
      const last = ranges.at(-1);
      if (first?.['Start-LSN']) info.startLsn = first['Start-LSN'];
      if (last?.['End-LSN']) info.stopLsn = last['End-LSN'];
      if (last?.Timeline !== undefined) info.timeline = last.Timeline;
    } catch {
      // A damaged manifest only costs the window check its backup; pg_verifybackup is the tool that judges it.
    }
  }
  if (fmt === 'plain') {
    const version = await readIfExists(path.join(baseBackupDir, 'PG_VERSION'));
    if (version) info.pgVersion = version.trim();
  }
  return info;
}

/** Refuses a data directory a running server owns: writing under it would corrupt that server. */
export async function refuseLiveServer(dataDir: string): Promise<void> {
  const text = await readIfExists(path.join(dataDir, 'postmaster.pid'));
  if (text === undefined) return;
  const pid = Number(text.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  let alive = true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: the process exists but belongs to another user, so it is alive.
    alive = (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (alive) {
    throw new PgbrError('usage', `${dataDir} belongs to a running server (postmaster.pid names process ${pid}): stop it first (pg_ctl -D "${dataDir}" stop -m fast), then write the recovery.`);
  }
}

async function isEmptyDir(dir: string): Promise<boolean | undefined> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PgbrError('io', `cannot read ${dir}: ${errorMessage(e)}`, { cause: e });
  }
}

async function idOf(args: string[], what: string): Promise<string> {
  const r = await runTool({ file: 'id', args, collectStdout: true });
  if (r.status !== 'succeeded') throw new PgbrError('io', `cannot look up ${what}: ${r.status === 'failed' ? r.message : 'cancelled'}`);
  return r.stdout.trim();
}

/**
 * As root, who must own the data directory: its current owner, else its parent folder's, else `postgres`
 * — never root, since the server will not run as root. Not root: undefined, the files stay ours.
 */
export async function resolveDataDirOwner(dataDir: string): Promise<{ user: string; uid: number; gid: number } | undefined> {
  if (!isRoot()) return undefined;
  for (const p of [dataDir, path.dirname(path.resolve(dataDir))]) {
    const st = await fs.stat(p).catch(() => undefined);
    if (st && st.uid !== 0) {
      const user = await idOf(['-nu', String(st.uid)], `the user with id ${st.uid}`).catch(() => String(st.uid));
      return { user, uid: st.uid, gid: st.gid };
    }
  }
  try {
    const uid = Number(await idOf(['-u', 'postgres'], 'the postgres user'));
    const gid = Number(await idOf(['-g', 'postgres'], 'the postgres user'));
    return { user: 'postgres', uid, gid };
  } catch {
    throw new PgbrError(
      'io',
      `running as root, and neither ${dataDir}'s folder nor a "postgres" user can own the data directory: PostgreSQL refuses to run as root. Create the postgres user, or put the data directory in a folder that belongs to the user that runs the server.`,
    );
  }
}

async function tarMember(tarFile: string, member: string, signal?: AbortSignal): Promise<string | undefined> {
  for (const name of [member, `./${member}`]) {
    const r = await runTool({ file: 'tar', args: ['-xOf', tarFile, name], collectStdout: true, signal });
    if (r.status === 'succeeded') return r.stdout;
    if (r.status === 'cancelled') throw new PgbrError('cancelled', 'the recovery was cancelled.');
  }
  return undefined;
}

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** Every file the recovery will create or change, with the exact text, before anything is written. */
export async function planRecoveryChanges(opts: ApplyOptions): Promise<RecoveryPreview> {
  const now = opts.now ?? new Date();
  const dataDir = path.resolve(opts.dataDir);
  const settings = renderRecoverySettings(opts.plan);
  await refuseLiveServer(dataDir);
  const changes: RecoveryChange[] = [];
  const warnings: string[] = [];
  const owner = await resolveDataDirOwner(dataDir);
  const bak = (file: string) => `${file}.pgbr-${stamp(now)}.bak`;

  let backup: BaseBackupInfo | undefined;
  /** Reads a file as it will be once the base backup is in place. */
  let readRestored: (name: string) => Promise<string | undefined>;
  const ownedBy = owner ? `, owned by ${owner.user}` : '';

  if (opts.baseBackupDir !== undefined) {
    const src = path.resolve(opts.baseBackupDir);
    const format = opts.format ?? (await detectFormat(src));
    backup = await readBaseBackupInfo(src, format);
    const empty = await isEmptyDir(dataDir);
    if (empty === false) {
      throw new PgbrError('usage', `${dataDir} is not empty: move it aside (mv "${dataDir}" "${dataDir}.old") so the base backup can be restored into an empty folder; nothing was written.`);
    }
    if (format === 'plain') {
      if (!(await pathExists(path.join(src, 'PG_VERSION')))) throw new PgbrError('usage', `${src} is not a plain-format base backup: it has no PG_VERSION.`);
      if (!(await pathExists(path.join(src, 'backup_label')))) {
        warnings.push(`${src} has no backup_label: without it PostgreSQL starts from the last checkpoint in the copy, which is only safe for a copy of a cleanly stopped server.`);
      }
      const spaces = await fs.readdir(path.join(src, 'pg_tblspc')).catch(() => [] as string[]);
      if (spaces.length > 0) {
        throw new PgbrError('usage', `${src} has tablespaces (pg_tblspc/${spaces.join(', pg_tblspc/')}): their files live outside the backup folder, so restore this backup by hand.`);
      }
      changes.push({ file: dataDir, action: 'copy-tree', from: src, detail: `copy the base backup ${src} into ${dataDir} (modes kept${ownedBy}, folder mode 0700)` });
      readRestored = (name) => readIfExists(path.join(src, name));
    } else {
      const baseTar = await findTar(src, 'base');
      if (!baseTar) throw new PgbrError('usage', `${src} has no base.tar: it is not a tar-format base backup.`);
      const names = await fs.readdir(src);
      const spaces = names.filter((n) => /^\d+\.tar(\.\w+)?$/.test(n));
      if (spaces.length > 0) {
        throw new PgbrError('usage', `${src} has tablespace archives (${spaces.join(', ')}): they must be extracted to the folders tablespace_map names, so restore this backup by hand.`);
      }
      changes.push({ file: dataDir, action: 'extract', from: baseTar, detail: `extract ${path.basename(baseTar)} into ${dataDir}${ownedBy}, folder mode 0700` });
      const walTar = await findTar(src, 'pg_wal');
      if (walTar) changes.push({ file: path.join(dataDir, 'pg_wal'), action: 'extract', from: walTar, detail: `extract ${path.basename(walTar)} into pg_wal` });
      else warnings.push(`${src} has no pg_wal.tar: the WAL written during the backup must come from the archive.`);
      readRestored = (name) => tarMember(baseTar, name, opts.signal);
    }
  } else {
    const empty = await isEmptyDir(dataDir);
    if (empty !== false || !(await pathExists(path.join(dataDir, 'PG_VERSION')))) {
      throw new PgbrError('usage', `${dataDir} holds no data directory (no PG_VERSION): restore a base backup into it first, or give the base backup folder.`);
    }
    readRestored = (name) => readIfExists(path.join(dataDir, name));
  }

  const target = (name: string) => path.join(dataDir, name);
  const standby = await readRestored('standby.signal');
  if (standby !== undefined) {
    changes.push({
      file: target('standby.signal'),
      action: 'disable',
      backupCopy: bak(target('standby.signal')),
      detail: 'rename standby.signal to a backup copy: with it the server would stay a standby and never stop at the target',
    });
  }

  const mainConf = await readRestored('postgresql.conf');
  if (mainConf !== undefined) {
    const rewritten = rewriteConf(mainConf, undefined, now);
    if (rewritten.disabled.length > 0) {
      changes.push({
        file: target('postgresql.conf'),
        action: 'modify',
        before: mainConf,
        after: rewritten.text,
        backupCopy: bak(target('postgresql.conf')),
        detail: `comment out ${rewritten.disabled.length} earlier recovery or archiving setting${rewritten.disabled.length === 1 ? '' : 's'}`,
      });
    }
  }
  const autoConf = await readRestored('postgresql.auto.conf');
  const rewrittenAuto = rewriteConf(autoConf, settings, now);
  changes.push({
    file: target('postgresql.auto.conf'),
    action: autoConf === undefined ? 'create' : 'modify',
    ...(autoConf !== undefined ? { before: autoConf, backupCopy: bak(target('postgresql.auto.conf')) } : {}),
    after: rewrittenAuto.text,
    detail:
      `add the recovery settings` +
      (rewrittenAuto.disabled.length ? ` and comment out ${rewrittenAuto.disabled.length} earlier one${rewrittenAuto.disabled.length === 1 ? '' : 's'}` : ''),
  });
  changes.push(archivingChange(target('postgresql.auto.conf'), opts.plan, sourceArchiveCommand(mainConf, autoConf)));
  const port = sourcePort(mainConf, autoConf);
  warnings.push(
    `the recovered server listens on the source's port ${port ?? '5432 (the default)'}: on the source's host it cannot start beside it, so start it on another port (pg_ctl -o "-p PORT") or stop the source first.`,
  );
  const signalExists = opts.baseBackupDir === undefined && (await pathExists(target('recovery.signal')));
  if (!signalExists) changes.push({ file: target('recovery.signal'), action: 'create', after: '', detail: 'ask the server for targeted recovery from the archive when it starts' });

  return { dataDir, mode: opts.baseBackupDir !== undefined ? 'restore' : 'settings-only', ...(backup ? { backup } : {}), ...(owner ? { owner } : {}), settings, changes, warnings, now };
}

async function mustSucceed(what: string, r: Awaited<ReturnType<typeof runTool>>): Promise<void> {
  if (r.status === 'cancelled') throw new PgbrError('cancelled', `${what} was cancelled.`);
  if (r.status === 'failed') throw new PgbrError('tool-failed', `${what} failed: ${r.message}`);
}

export interface ApplyResult {
  preview: RecoveryPreview;
  durationMs: number;
}

/** Writes what `planRecoveryChanges` shows. A restore that fails part-way empties the folder again, so no half-restored directory is left to start. */
export async function applyRecovery(opts: ApplyOptions): Promise<ApplyResult> {
  const started = performance.now();
  const preview = await planRecoveryChanges(opts);
  const { dataDir, owner } = preview;
  const logger = opts.logger;
  const createdDir = !(await pathExists(dataDir));
  let restored = false;
  try {
    if (preview.mode === 'restore') {
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      restored = true;
      for (const change of preview.changes) {
        if (opts.signal?.aborted) throw new PgbrError('cancelled', 'the recovery was cancelled.');
        if (change.action === 'copy-tree' && change.from) {
          await copyTree(change.from, dataDir, opts.signal, logger);
        } else if (change.action === 'extract' && change.from) {
          await fs.mkdir(change.file, { recursive: true, mode: 0o700 });
          await mustSucceed(`extracting ${change.from}`, await runTool({ file: 'tar', args: ['-xf', change.from, '-C', change.file], signal: opts.signal, logger }));
        }
      }
    }
    for (const change of preview.changes) {
      if (change.action === 'disable' && change.backupCopy) {
        await fs.rename(change.file, change.backupCopy);
      } else if (change.action === 'modify' || change.action === 'create') {
        if (change.backupCopy && change.before !== undefined) await fs.copyFile(change.file, change.backupCopy);
        if (change.backupCopy) await preserveMode(change.file, change.backupCopy);
        await writeFileAtomic(change.file, change.after ?? '', 0o600);
      }
    }
    await fs.chmod(dataDir, 0o700);
    if (owner) await mustSucceed(`giving ${dataDir} to ${owner.user}`, await runTool({ file: 'chown', args: ['-R', `${owner.uid}:${owner.gid}`, dataDir], signal: opts.signal, logger }));
  } catch (e) {
    if (restored) {
      if (createdDir) await fs.rm(dataDir, { recursive: true, force: true });
      else for (const name of await fs.readdir(dataDir).catch(() => [] as string[])) await fs.rm(path.join(dataDir, name), { recursive: true, force: true });
    }
    throw e instanceof PgbrError ? e : new PgbrError('io', `writing the recovery into ${dataDir} failed: ${errorMessage(e)}`, { cause: e });
  }
  return { preview, durationMs: Math.round(performance.now() - started) };
}

/**
 * The system's `cp -a` where there is one: a backup is hundreds of files and tens of megabytes, and
 * fs.cp walks them in JavaScript several times slower. Both keep modes, times and symbolic links as they are.
 */
async function copyTree(from: string, to: string, signal: AbortSignal | undefined, logger: Logger | undefined): Promise<void> {
  if (process.platform === 'win32') {
    logger?.info(`Copying ${from} into ${to}`);
    await fs.cp(from, to, { recursive: true, preserveTimestamps: true, errorOnExist: true, force: false, verbatimSymlinks: true });
    return;
  }
  await mustSucceed(`copying ${from}`, await runTool({ file: 'cp', args: ['-a', `${from}${path.sep}.`, to], signal, logger }));
}

async function preserveMode(from: string, to: string): Promise<void> {
  const st = await fs.stat(from).catch(() => undefined);
  if (st) await fs.chmod(to, st.mode & 0o777);
}
