// `pgbr basebackup` and `pgbr restore-point`: physical backups and named recovery targets from the command line, for cron and CI.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { runBaseBackup, type BaseBackupFormat, type BaseBackupProgress, type BaseBackupRecord, type CheckpointMode, createRestorePoint, readRestorePoints, recordRestorePoint, restorePointsFileFor, validateRestorePointName } from '../core/physical';
import { PgbrError, formatBytes, abortOnSignals } from '../core/platform';
import { withClient } from '../core/postgres';
import { jsonOption, workspaceOption } from './commands';
import { baseBackupFolderFor, profilesFor } from './workspace';
import { Exit, makeOutput } from './output';
import type { CliContext, Io } from './io';
import { binPathOption, connOption, connectionFor, inventoryFor, phasePrinter, stderrLogger, verboseOption } from './shared';

interface CommonOptions {
  conn: string;
  workspace: string;
  out?: string;
  json?: boolean;
}

interface BaseBackupCliOptions extends CommonOptions {
  format: BaseBackupFormat;
  compress?: string;
  checkpoint: CheckpointMode;
  label?: string;
  maxRate?: string;
  binPath?: string;
  verbose?: boolean;
}

/** Problems with the server's set-up or the request exit 2, with the fix; a backup or check that failed exits 1. */
const SETUP_KINDS = new Set(['usage', 'config', 'connection', 'auth']);

function exitFor(e: unknown, printed: Exit): Exit {
  if (e instanceof PgbrError) return SETUP_KINDS.has(e.kind) ? Exit.Error : Exit.Problem;
  return printed;
}

/** `--out`, else `baseBackupFolder` from pgbackup.yaml, else `<workspace>/.pg-backups/base`. */
async function folderFor(out: string | undefined, workspace: string, io: Io): Promise<string> {
  if (out !== undefined) return path.resolve(workspace, out);
  return baseBackupFolderFor((await profilesFor(workspace, io)).config, workspace);
}

const PHASE_TEXT: Record<BaseBackupProgress['phase'], string> = {
  connecting: 'connecting',
  checkpoint: 'waiting for the checkpoint',
  copying: 'copying',
  finishing: 'waiting for the last WAL',
  syncing: 'syncing to disk',
  verifying: 'verifying',
  done: 'done',
};

function describeBackup(r: BaseBackupRecord, backupPath: string): string {
  const verification = r.verification.status === 'passed' ? 'verified by pg_verifybackup' : `verification ${r.verification.status}${r.verification.message ? `: ${r.verification.message}` : ''}`;
  return [
    `Base backup ${backupPath} (${r.format}${r.compression !== 'none' ? `, ${r.compression}` : ''}, ${formatBytes(r.sizeBytes)}, ${(r.durationMs / 1000).toFixed(1)} s)`,
    `  WAL ${r.startLsn} – ${r.stopLsn} on timeline ${r.timeline} (${r.startWal} – ${r.stopWal})`,
    `  consistent from ${r.stopTime}; label "${r.label}"`,
    `  ${verification}`,
  ].join('\n');
}

export async function baseBackupCommand(opts: BaseBackupCliOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const folder = await folderFor(opts.out, opts.workspace, io);
    const tools = await inventoryFor(opts.binPath, io);
    const result = await runBaseBackup({
      connection: { params: resolved.params, password: resolved.password },
      profile: name,
      tools,
      folder,
      format: opts.format,
      ...(opts.compress !== undefined ? { compression: opts.compress } : {}),
      checkpoint: opts.checkpoint,
      ...(opts.label !== undefined ? { label: opts.label } : {}),
      ...(opts.maxRate !== undefined ? { maxRate: opts.maxRate } : {}),
      signal: interrupt.signal,
      ...(opts.json ? {} : { onProgress: phasePrinter<BaseBackupProgress>(io, PHASE_TEXT, (p) => `copying: ${formatBytes(p.doneBytes)}${p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : ''} (${p.percent}%)`, ['done']) }),
      logger: stderrLogger(io, !!opts.verbose),
    });
    out.result({ path: result.path, recordPath: result.recordPath, ...result.record }, () => describeBackup(result.record, result.path));
    return Exit.Ok;
  } catch (e) {
    return exitFor(e, out.fail(e));
  } finally {
    interrupt.dispose();
  }
}

export async function restorePointCommand(pointName: string, opts: CommonOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    validateRestorePointName(pointName);
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const file = restorePointsFileFor(await folderFor(opts.out, opts.workspace, io));
    const { host, port } = resolved.params;
    // Recovery stops at the first restore point of a name: a second one by the same name can never be reached.
    const earlier = (await readRestorePoints(file)).filter((p) => p.name === pointName && p.host === host && p.port === port);
    const point = await withClient(resolved.params, { password: resolved.password, applicationName: 'pgbr restore-point' }, (c) => createRestorePoint(c, pointName));
    await recordRestorePoint(file, { ...point, profile: name, host, port });
    const warning =
      earlier.length > 0
        ? `a restore point named "${pointName}" already exists (at ${earlier[0]?.lsn ?? '?'}); recovery to this name stops at the first one, so prefer unique names`
        : undefined;
    out.result({ ...point, profile: name, host, port, file, ...(warning ? { warning } : {}) }, () =>
      [
        `Restore point "${point.name}" at ${point.lsn} on timeline ${point.timeline}, ${point.time}; recorded in ${file}`,
        `  a recovery can reach it once WAL segment ${point.walFile} is archived`, ...(warning ? [`warning: ${warning}`] : [])].join('\n'),
    );
    return Exit.Ok;
  } catch (e) {
    return exitFor(e, out.fail(e));
  }
}

const outOption = () =>
  new Option('--out <dir>', 'the base backup folder (default: baseBackupFolder in pgbackup.yaml, else <workspace>/.pg-backups/base)');

export function addBaseBackupCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('basebackup')
    .description('take a base backup with pg_basebackup (WAL streamed in), verify it, and record its WAL range for point-in-time recovery; exit 1 when it fails, 2 when the server is not set up for it')
    .addOption(connOption())
    .addOption(new Option('--format <format>', 'plain (a data directory) or tar').choices(['plain', 'tar']).default('plain'))
    .option('--compress <spec>', 'tar compression: none, gzip[:level], lz4[:level], zstd[:level] (lz4 and zstd need pg_basebackup 15+)')
    .addOption(new Option('--checkpoint <mode>', 'fast starts at once; spread spares a busy server').choices(['fast', 'spread']).default('fast'))
    .option('--label <label>', 'the backup label the server records (default: the backup name)')
    .option('--max-rate <rate>', 'limit the transfer rate, in kB/s or with k/M (32k-1024M)')
    .addOption(outOption())
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (opts: BaseBackupCliOptions) => exit(await baseBackupCommand(opts, io)));

  program
    .command('restore-point')
    .description('create a named restore point (pg_create_restore_point) and record it beside the base backups')
    .argument('<name>', `the restore point's name (at most 63 bytes)`)
    .addOption(connOption())
    .addOption(outOption())
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (pointName: string, opts: CommonOptions) => exit(await restorePointCommand(pointName, opts, io)));
}
