// `pgbr backrest info|check|backup|expire|verify` (and setup, in its own file): pgBackRest's stanzas from the command line, with its results read exactly and exit codes for cron.
import { Option, type Command } from 'commander';
import {
  backrestBackup,
  backrestCheck,
  backrestInfo,
  backrestVerify,
  expireSets,
  type ExpirePreview,
  previewExpire,
  type BackrestBackup,
  type BackrestStanzaInfo,
  type BackrestTarget,
  type BackupProgress,
  stanzaProblem,
  type VerifyReport,
} from '../core/backrest';
import { PgbrError, abortOnSignals, formatBytes, formatStamp } from '../core/platform';
import { jsonOption, workspaceOption } from './commands';
import { Exit, makeOutput, table } from './output';
import type { CliContext, Io } from './io';
import { phasePrinter, stderrLogger, verboseOption } from './shared';
import { profilesFor } from './workspace';
import { machineZone } from '../core/plans';
import { keepRulesFrom, parseKeepCount, parseKeepWithin, type KeepOptions } from './backrestKeep';
import { addBackrestSetupCommand } from './backrestSetup';

interface BackrestOptions {
  stanza?: string;
  config?: string;
  workspace: string;
  json?: boolean;
  verbose?: boolean;
}

interface BackupOptions extends BackrestOptions {
  type: 'full' | 'diff' | 'incr';
}

/** `--stanza`, else the one repository of pgbackup.yaml; `--config`, else that repository's config (else pgBackRest's default). */
export async function backrestTarget(opts: BackrestOptions, io: Io): Promise<BackrestTarget> {
  const repositories = (await profilesFor(opts.workspace, io)).config?.repositories ?? [];
  if (opts.stanza === undefined && repositories.length !== 1) {
    const listed = repositories.map((r) => r.stanza).join(', ');
    throw new PgbrError(
      'usage',
      repositories.length === 0
        ? 'no stanza given and pgbackup.yaml lists no repositories: pass --stanza NAME, or add "repositories: [{ kind: pgbackrest, stanza: NAME }]".'
        : `no stanza given and pgbackup.yaml lists ${repositories.length} repositories (${listed}): pass --stanza with one of them.`,
    );
  }
  const stanza = opts.stanza ?? repositories[0]?.stanza ?? '';
  const config = opts.config ?? repositories.find((r) => r.stanza === stanza)?.config;
  return { stanza, ...(config !== undefined ? { config } : {}) };
}

/** The info as JSON: the system id as a decimal string, because a JSON number cannot hold it exactly for most readers. */
export function infoDocument(info: BackrestStanzaInfo): unknown {
  return { ...info, db: info.db.map((d) => ({ ...d, systemId: d.systemId.toString() })) };
}

const when = (d: Date): string => formatStamp(d);

function chainOf(b: BackrestBackup): string {
  return b.type === 'full' ? 'full' : `${b.type} on ${b.prior ?? '?'}`;
}

export function renderInfo(info: BackrestStanzaInfo, config?: string): string {
  const lines = [`Stanza ${info.name}: ${info.status.message} (code ${info.status.code})${info.status.backupLockHeld ? ', a backup or expire is running' : ''}; cipher ${info.cipher}`];
  const problem = stanzaProblem(info, config);
  if (problem) lines.push(`  ${problem}`);
  for (const db of info.db) lines.push(`  database ${db.id}: PostgreSQL ${db.version}, system id ${db.systemId}`);
  for (const a of info.archives) lines.push(`  WAL archive ${a.id}: ${a.min && a.max ? `${a.min} – ${a.max}` : 'empty'}`);
  if (info.backups.length) {
    const rows = [['BACKUP', 'TYPE', 'STARTED', 'STOPPED', 'WAL', 'LSN', 'SIZE', 'IN REPO', 'ERRORS']];
    for (const b of info.backups) {
      rows.push([
        b.label,
        chainOf(b),
        when(b.startTime),
        when(b.stopTime),
        b.walStart && b.walStop ? `${b.walStart} – ${b.walStop}` : '-',
        b.lsnStart && b.lsnStop ? `${b.lsnStart} – ${b.lsnStop}` : '-',
        formatBytes(b.size),
        formatBytes(b.repositoryDelta),
        b.error === undefined ? 'unknown' : b.error ? 'checksum errors' : 'none',
      ]);
    }
    lines.push('', table(rows));
    for (const b of info.backups) {
      if (b.annotations) lines.push(`  ${b.label}: ${Object.entries(b.annotations).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    }
  }
  return lines.join('\n');
}

export async function backrestInfoCommand(opts: BackrestOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const target = await backrestTarget(opts, io);
    const info = await backrestInfo(target, { logger: stderrLogger(io, opts.verbose) });
    out.result(infoDocument(info), () => renderInfo(info, target.config));
    // A stanza that is missing or has no valid backup is a problem to report, whatever info's own exit code.
    return info.status.code === 0 ? Exit.Ok : Exit.Problem;
  } catch (e) {
    return out.fail(e);
  }
}

export async function backrestCheckCommand(opts: BackrestOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const target = await backrestTarget(opts, io);
    const result = await backrestCheck(target, {
      signal: interrupt.signal,
      logger: stderrLogger(io, opts.verbose),
      ...(opts.json ? {} : { onProgress: (p) => io.err(p.phase === 'configuration' ? `checking ${p.repo}'s configuration and the server…\n` : `switching WAL and waiting for the segment to reach ${p.repo}…\n`) }),
    });
    out.result({ stanza: target.stanza, ok: true, ...result }, () =>
      [`Stanza ${target.stanza}: check passed in ${(result.durationMs / 1000).toFixed(1)} s`, ...result.archived.map((a) => `  WAL segment ${a.segment} was archived to ${a.repo}`)].join('\n'),
    );
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

const PHASE_TEXT: Record<BackupProgress['phase'], string> = {
  starting: 'waiting for the checkpoint and starting the backup',
  copying: 'copying',
  stopping: 'stopping the backup',
  archiving: 'waiting for the backup\'s WAL to reach the repository',
  expiring: 'expiring by pgBackRest\'s own retention settings',
};

export async function backrestBackupCommand(opts: BackupOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals((signal) => io.err(`pgbr: ${signal}: stopping pgbackrest backup…\n`));
  try {
    const target = await backrestTarget(opts, io);
    const { backup, durationMs } = await backrestBackup(target, opts.type, {
      signal: interrupt.signal,
      logger: stderrLogger(io, opts.verbose),
      ...(opts.json ? {} : { onProgress: phasePrinter<BackupProgress>(io, PHASE_TEXT, (p) => `copying: ${p.percent.toFixed(0)}%`) }),
    });
    out.result({ stanza: target.stanza, durationMs, backup }, () =>
      [
        `Backup ${backup.label} (${chainOf(backup)}) of stanza ${target.stanza} in ${(durationMs / 1000).toFixed(1)} s`,
        `  ${formatBytes(backup.size)} of data, ${formatBytes(backup.delta)} copied, ${formatBytes(backup.repositoryDelta)} in the repository`,
        `  WAL ${backup.walStart ?? '?'} – ${backup.walStop ?? '?'}, LSN ${backup.lsnStart ?? '?'} – ${backup.lsnStop ?? '?'}`,
        `  consistent from ${when(backup.stopTime)}`,
      ].join('\n'),
    );
    return Exit.Ok;
  } catch (e) {
    if (e instanceof PgbrError && e.kind === 'cancelled') {
      out.fail(new PgbrError('cancelled', 'pgbackrest backup was stopped: what it copied stays in the repository as a partial backup, which the next backup of the same type resumes.'));
      return Exit.Problem;
    }
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

function renderVerify(r: VerifyReport): string {
  const lines = [`Stanza ${r.stanza}: verify ${r.status === 'ok' ? 'found no problem' : `found ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`}`];
  for (const a of r.archives) lines.push(`  WAL ${a.archiveId}: ${a.walValid} of ${a.walChecked} segments valid`);
  for (const b of r.backups) lines.push(`  backup ${b.label}: ${b.status === 'in-progress' ? 'in progress or left partial by a stopped backup, not checked' : `${b.status}, ${b.filesValid} of ${b.filesChecked} files valid`}`);
  for (const p of r.problems) lines.push(`  error: ${p}`);
  return lines.join('\n');
}

export async function backrestVerifyCommand(opts: BackrestOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const target = await backrestTarget(opts, io);
    const report = await backrestVerify(target, { signal: interrupt.signal, logger: stderrLogger(io, opts.verbose) });
    out.result(report, () => renderVerify(report));
    // pgBackRest 2.45 exits 0 whatever verify finds: the status line decides.
    return report.status === 'ok' ? Exit.Ok : Exit.Problem;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

interface ExpireOptions extends BackrestOptions, KeepOptions {
  dryRun?: boolean;
  timezone?: string;
}

function renderExpire(stanza: string, preview: ExpirePreview, timeZone: string, dryRun: boolean): string {
  const lines = [`Stanza ${stanza}: ${dryRun ? 'would expire' : 'expiring'} ${preview.expire.length} of ${preview.keep.length + preview.expire.length} backups (periods in ${timeZone})`];
  for (const k of preview.keep) lines.push(`  keep    ${k.backup.label}  ${k.backup.type}  ${when(k.backup.startTime)}  ${k.reasons.join(', ')}`);
  for (const b of preview.expire) lines.push(`  expire  ${b.label}  ${b.type}  ${when(b.startTime)}`);
  if (dryRun && preview.expire.length) lines.push('Nothing was expired: run again without --dry-run to expire these with pgbackrest expire --set.');
  return lines.join('\n');
}

export async function backrestExpireCommand(opts: ExpireOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const rules = keepRulesFrom(opts);
    const timeZone = opts.timezone ?? machineZone();
    try {
      new Intl.DateTimeFormat('en', { timeZone });
    } catch {
      throw new PgbrError('usage', `--timezone ${timeZone} is not a time zone this system knows: give an IANA name such as Europe/Berlin or UTC.`);
    }
    const target = await backrestTarget(opts, io);
    const logger = stderrLogger(io, opts.verbose);
    const info = await backrestInfo(target, { logger });
    const preview = previewExpire(info.backups, rules, timeZone);
    const document = (expired: string[]) => ({
      stanza: target.stanza,
      timeZone,
      dryRun: !!opts.dryRun,
      keep: preview.keep.map((k) => ({ label: k.backup.label, type: k.backup.type, startTime: k.backup.startTime, reasons: k.reasons })),
      expire: preview.expire.map((b) => ({ label: b.label, type: b.type, startTime: b.startTime })),
      expired,
    });
    if (opts.dryRun) {
      out.result(document([]), () => renderExpire(target.stanza, preview, timeZone, true));
      return Exit.Ok;
    }
    if (!opts.json) io.err(`${renderExpire(target.stanza, preview, timeZone, false)}\n`);
    const expired = await expireSets(target, preview, { signal: interrupt.signal, logger, ...(opts.json ? {} : { onExpired: (set) => io.err(`expired ${set.label}\n`) }) });
    out.result(document(expired.map((e) => e.label)), () => `Stanza ${target.stanza}: expired ${expired.length} backup${expired.length === 1 ? '' : 's'}; ${preview.keep.length} kept.`);
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}

const common = (command: Command): Command =>
  command
    .option('--stanza <name>', 'the stanza (default: the only one under repositories: in pgbackup.yaml)')
    .option('--config <file>', "pgBackRest's config file (default: the repository's in pgbackup.yaml, else pgBackRest's own)")
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption());

export function addBackrestCommands(program: Command, { io, exit }: CliContext): void {
  const backrest = program.command('backrest').description('pgBackRest stanzas: setup, info, check, backup, expire and verify; secrets stay in its config or PGBACKREST_* variables');
  addBackrestSetupCommand(backrest, { io, exit });
  common(backrest.command('info').description("the stanza's status, database history and backups; exit 1 when the stanza is missing or has no valid backup")).action(
    async (opts: BackrestOptions) => exit(await backrestInfoCommand(opts, io)),
  );
  common(backrest.command('check').description('check the configuration and that archiving works (switches WAL and waits for the segment); exit 1 when it fails')).action(
    async (opts: BackrestOptions) => exit(await backrestCheckCommand(opts, io)),
  );
  common(
    backrest
      .command('backup')
      .description('take a full, differential or incremental backup with progress; Ctrl-C or SIGTERM stops it; exit 1 when it fails')
      .addOption(new Option('--type <type>', 'full, diff (changes since the last full) or incr (since the last backup)').choices(['full', 'diff', 'incr']).makeOptionMandatory()),
  ).action(async (opts: BackupOptions) => exit(await backrestBackupCommand(opts, io)));
  const expire = backrest
    .command('expire')
    .description('expire the backups our keep rules (GFS, as plans keep dumps) do not keep, with pgbackrest expire --set each; a kept diff or incr keeps the backups it is built on; try --dry-run first')
    .option('--dry-run', 'show what would be kept (and why) and expired, and expire nothing');
  for (const rule of ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const) {
    expire.addOption(new Option(`--keep-${rule} <n>`, rule === 'last' ? 'keep the n newest backups' : `keep the newest backup of each of the last n ${rule === 'daily' ? 'days' : rule.replace(/ly$/, 's')}`).argParser(parseKeepCount));
  }
  expire
    .addOption(new Option('--keep-within <span>', 'keep every backup this close to the newest (36h, 2d, 4w, 6m, 1y)').argParser(parseKeepWithin))
    .option('--timezone <zone>', "the IANA zone days, weeks, months and years are counted in (default: the machine's)");
  common(expire).action(async (opts: ExpireOptions) => exit(await backrestExpireCommand(opts, io)));
  common(backrest.command('verify').description('check every file of the repository against its checksum; exit 1 when anything is damaged, which pgBackRest 2.45 does not do itself')).action(
    async (opts: BackrestOptions) => exit(await backrestVerifyCommand(opts, io)),
  );
}
