// `pgbr pitr`: checks a recovery target against the archive, then writes the recovery into a data directory or rehearses it in a drill.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PgbrError, errorMessage, abortOnSignals } from '../core/platform';
import { applyRecovery, planRecoveryChanges, readBaseBackupInfo, type RecoveryChange, type RecoveryPreview, resolveTarget, validateTarget, type RecoveryPlan, type RecoveryTimeline, type TargetCheck, runDrill, findServerBinDir } from '../core/pitr';
import { readRestorePoints, restorePointsFileFor, restorePointsOf, readRecord, recordPathFor, toKnownBaseBackup, type BaseBackupRecord } from '../core/physical';
import { type KnownBaseBackup, scanArchive } from '../core/wal';
import { jsonOption, workspaceOption } from './commands';
import { pitrBackrestCommand, type PitrBackrestOptions } from './pitrBackrest';
import { renderDrill, secs, targetFromOptions, type PitrOptions } from './pitrShared';

export { renderDrill, targetFromOptions, type PitrOptions } from './pitrShared';
import { Exit, makeOutput } from './output';
import type { CliContext, Io } from './io';
import { binPathOption, inventoryFor, stderrLogger, verboseOption } from './shared';


export function parseTimelineOption(value: string): RecoveryTimeline {
  if (value === 'latest' || value === 'current') return value;
  if (/^\d+$/.test(value) && Number(value) >= 1) return Number(value);
  throw new InvalidArgumentError('give latest, current, or a timeline number (1, 2, ...).');
}


/** The backup's record (this tool's `NAME.basebackup.json` beside the folder), with the server it was taken from. */
async function readRecordOf(file: string | undefined, baseBackupDir: string): Promise<(KnownBaseBackup & { server: { host: string; port: number } }) | undefined> {
  const candidate = file ?? recordPathFor(path.resolve(baseBackupDir));
  let text: string;
  try {
    text = await fs.readFile(candidate, 'utf8');
  } catch (e) {
    if (file === undefined) return undefined;
    throw new PgbrError('usage', `cannot read the base backup record ${candidate}: ${errorMessage(e)}`, { cause: e });
  }
  let record: BaseBackupRecord;
  try {
    record = readRecord(text);
  } catch (e) {
    throw new PgbrError('config', `${candidate} is not a base backup record: ${errorMessage(e)}`, { cause: e });
  }
  return { ...toKnownBaseBackup(record), server: { host: record.host, port: record.port } };
}

function renderCheck(check: TargetCheck): string {
  return `Target check: ${check.ok ? 'OK' : 'outside the recoverable window'}${check.estimate ? ' (estimate)' : ''}: ${check.message}`;
}

function renderChange(c: RecoveryChange): string[] {
  const lines = [`  ${c.action.padEnd(9)}  ${c.file}: ${c.detail}${c.backupCopy ? ` (previous copy kept as ${path.basename(c.backupCopy)})` : ''}`];
  if (c.action === 'modify' || c.action === 'create') {
    const split = (text: string | undefined) => (text ? text.replace(/\n$/, '').split('\n') : []);
    const before = split(c.before);
    // The rewrite only comments lines out in place and appends, so a line-by-line comparison is the whole diff.
    split(c.after).forEach((line, i) => {
      const old = before[i];
      if (old === line) return;
      if (old !== undefined) lines.push(`      - ${old}`);
      lines.push(`      + ${line}`.trimEnd());
    });
  }
  return lines;
}

export function renderPreview(p: RecoveryPreview): string {
  const lines = [
    `${p.mode === 'restore' ? 'Restore the base backup and write the recovery' : 'Write the recovery'} into ${p.dataDir}${p.owner ? ` (owned by ${p.owner.user})` : ''}:`,
  ];
  for (const c of p.changes) lines.push(...renderChange(c));
  for (const w of p.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}



export async function pitrCommand(o: PitrOptions, io: Io): Promise<number> {
  const out = makeOutput(!!o.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    if (!!o.dataDir === !!o.drill) throw new PgbrError('usage', 'give either --data-dir DIR (write the recovery there) or --drill (rehearse it on a scratch server).');
    const target = targetFromOptions(o);
    // A malformed target is a usage error before anything is read, not a target outside the window.
    resolveTarget(target);
    const plan: RecoveryPlan = {
      target,
      inclusive: !o.exclusive,
      timeline: o.timeline ?? 'latest',
      action: o.action ?? 'pause',
      restore: o.restoreCommand ? { kind: 'custom', template: o.restoreCommand } : { kind: 'copy', archiveDir: path.resolve(o.archive) },
      archiving: o.keepArchiving !== undefined ? { kind: 'keep', command: o.keepArchiving } : { kind: 'off' },
    };
    const logger = stderrLogger(io, o.verbose);

    const record = await readRecordOf(o.record, o.baseBackup);
    const info = await readBaseBackupInfo(o.baseBackup);
    const scan = await scanArchive(o.archive, { ...(record ? { knownBaseBackups: [record] } : {}), signal: interrupt.signal });
    const archiveTimelines = [...new Set([...scan.timelines.map((t) => t.tli), ...scan.histories.map((h) => h.tli)])];
    const backup = info.stopLsn && info.timeline !== undefined ? { stopLsn: info.stopLsn, timeline: info.timeline } : record ? { stopLsn: record.stopLsn, timeline: record.timeline } : undefined;
    // Restore points recorded beside the base backups (pgbr restore-point): a name target is placed by its LSN.
    const restorePoints = target.kind === 'name' ? restorePointsOf(await readRestorePoints(restorePointsFileFor(path.dirname(path.resolve(o.baseBackup)))), record?.server) : [];
    const check = validateTarget(target, scan.window, {
      timeline: plan.timeline,
      archiveTimelines,
      restorePoints,
      ...(backup ? { backup } : {}),
      ...(o.serverTimeZone ? { serverTimeZone: o.serverTimeZone } : {}),
    });
    if (!check.ok && !o.force) {
      out.result({ check, plan, written: false }, () => `${renderCheck(check)}\nNothing was done: fix the target, or pass --force to go ahead anyway.`);
      return Exit.Problem;
    }
    if (!o.json) io.err(`${renderCheck(check)}\n`);

    if (o.dataDir) {
      const now = new Date();
      const preview = await planRecoveryChanges({ baseBackupDir: o.baseBackup, dataDir: o.dataDir, plan, now, logger, signal: interrupt.signal });
      if (!o.json) io.out(`${renderPreview(preview)}\n`);
      const result = await applyRecovery({ baseBackupDir: o.baseBackup, dataDir: o.dataDir, plan, now, logger, signal: interrupt.signal });
      out.result({ check, plan, preview: result.preview, written: true, durationMs: result.durationMs }, () =>
        [`Written in ${secs(result.durationMs)}. Start the server on ${result.preview.dataDir} to recover; watch its log for "recovery stopping".`].join('\n'),
      );
      return Exit.Ok;
    }

    const binDir = o.binDir ?? (await findServerBinDir(await inventoryFor(o.binPath, io), info.pgVersion ? Number(info.pgVersion) : undefined));
    const report = await runDrill({
      baseBackupDir: o.baseBackup,
      plan,
      binDir,
      signal: interrupt.signal,
      logger,
      onProgress: o.json ? undefined : (p) => io.err(`pgbr: ${p.phase}: ${p.message}\n`),
    });
    out.result({ check, plan, drill: report }, () => renderDrill(report));
    return report.status === 'reached' ? Exit.Ok : Exit.Problem;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

export function addPitrCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('pitr')
    .description('point-in-time recovery: check the target against the archive, then write it into a stopped data directory (--data-dir) or rehearse it on a scratch server (--drill); exit 1 when the target is outside the window or the drill does not reach it')
    .option('--base-backup <dir>', 'the folder pg_basebackup wrote (plain or tar format)')
    .option('--archive <dir>', 'the WAL archive folder')
    .option('--backrest <stanza>', 'restore from this pgBackRest stanza instead of --base-backup and --archive')
    .option('--config <file>', "with --backrest: pgBackRest's config file (default: the repository's in pgbackup.yaml, else pgBackRest's own)")
    .option('--set <label>', 'with --backrest: the backup set to restore (default: the newest that stopped before a time or LSN target, else the newest)')
    .option('--db-include <name...>', 'with --backrest: restore only these databases; the others come back as zeroed files that cannot be connected to')
    .option('--delta', 'with --backrest --data-dir: let pgbackrest overwrite a non-empty data directory where it differs from the backup')
    .addOption(workspaceOption())
    .option('--target-time <time>', 'date, time and time zone: "2026-11-22 14:30 Europe/Berlin" or 2026-11-22T14:30:00+01:00')
    .option('--time-zone <zone>', 'the zone of --target-time when it names none (IANA name or offset)')
    .option('--target-lsn <lsn>', 'a WAL location, like 0/3000060')
    .option('--target-xid <xid>', 'a transaction id')
    .option('--target-name <name>', 'a restore point made with pg_create_restore_point()')
    .option('--latest', 'recover everything archived')
    .option('--immediate', 'stop as soon as the base backup is consistent')
    .option('--exclusive', 'stop just before the target instead of just after it')
    .addOption(new Option('--timeline <tli>', 'latest, current, or a number').argParser(parseTimelineOption))
    .addOption(new Option('--action <action>', 'what the server does at the target').choices(['pause', 'promote', 'shutdown']))
    .option('--restore-command <cmd>', 'fetch WAL with this command (%f, %p) instead of copying from --archive')
    .option(
      '--keep-archiving <archive_command>',
      "with --data-dir: once promoted, archive with this command (%p, %f) instead of writing archive_mode = off; never the source's archive",
    )
    .option('--record <file>', 'the base backup record (<name>.basebackup.json; found beside the folder when absent)')
    .option('--data-dir <dir>', 'write the recovery into this stopped (or new, empty) data directory')
    .option('--drill', 'rehearse the recovery on a scratch server and report what it recovered')
    .option('--bin-dir <dir>', 'the folder with the postgres server binary for --drill')
    .option('--server-time-zone <zone>', "the server's TimeZone, to show a time target in it")
    .option('--force', 'go ahead even when the target is outside the recoverable window')
    .addOption(binPathOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (opts: PitrOptions & { backrest?: string }) => {
      if (opts.backrest !== undefined) return exit(await pitrBackrestCommand(opts as PitrBackrestOptions, io));
      if (opts.baseBackup === undefined || opts.archive === undefined) {
        io.err('pgbr: give --base-backup DIR and --archive DIR, or --backrest STANZA.\n');
        return exit(Exit.Error);
      }
      return exit(await pitrCommand(opts, io));
    });
}
