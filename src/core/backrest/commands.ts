// The pgbackrest commands pgbr offers: info, check, backup (with progress from pgBackRest's own per-file lines) and verify, each with a result a user can act on.
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { type BackrestBackup, type BackrestBackupType, type BackrestStanzaInfo, parseBackrestInfo, usableStanza } from './info';
import { backrestFailure, backrestUser, runBackrest, type BackrestTarget } from './run';
import { parseVerifyOutput, type VerifyReport } from './verify';

export interface BackrestCallOptions {
  signal?: AbortSignal;
  logger?: Logger;
}

/** The stanza as `pgbackrest info --output=json` reports it; its status may be any code (info exits 0 for a missing stanza). */
export async function backrestInfo(target: BackrestTarget, opts: BackrestCallOptions & { user?: string } = {}): Promise<BackrestStanzaInfo> {
  const result = await runBackrest(target, 'info', ['--output=json'], { ...opts, collectStdout: true });
  if (result.status !== 'succeeded') throw backrestFailure('info', result, target);
  return usableStanza(parseBackrestInfo(result.stdout), target.stanza);
}

export interface CheckProgress {
  /** `configuration`: the config and the server; `archive`: a WAL switch, then waiting for the segment in the repository. */
  phase: 'configuration' | 'archive';
  repo: string;
}

export interface CheckResult {
  /** The segment check switched to and found archived, per repository (`repo1`). */
  archived: { segment: string; repo: string }[];
  durationMs: number;
}

/** `pgbackrest check`: it switches WAL and waits (up to archive-timeout) for that segment to reach every repository. */
export async function backrestCheck(target: BackrestTarget, opts: BackrestCallOptions & { onProgress?: (p: CheckProgress) => void } = {}): Promise<CheckResult> {
  const archived: CheckResult['archived'] = [];
  const onLine = (line: string) => {
    let m: RegExpExecArray | null;
    if ((m = /INFO: check (repo\d+) (configuration|archive for WAL)/.exec(line))) {
      opts.onProgress?.({ phase: m[2] === 'configuration' ? 'configuration' : 'archive', repo: m[1] ?? '' });
    } else if ((m = /INFO: WAL segment ([0-9A-F]{24}) successfully archived to .* on (repo\d+)/.exec(line))) {
      archived.push({ segment: m[1] ?? '', repo: m[2] ?? '' });
    }
  };
  const result = await runBackrest(target, 'check', ['--log-level-console=info'], { ...opts, onStdoutLine: onLine, onStderrLine: onLine });
  if (result.status !== 'succeeded') throw backrestFailure('check', result, target);
  return { archived, durationMs: result.durationMs };
}

export interface BackupProgress {
  phase: 'starting' | 'copying' | 'stopping' | 'archiving' | 'expiring';
  /** Of the database's bytes, from pgBackRest's per-file lines (`backup file … (8KB, 40.67%)`). */
  percent?: number;
}

/** One line of `pgbackrest backup --log-level-console=detail` as progress, or undefined. Exported for its tests. */
export function readBackupLine(line: string): BackupProgress | { label: string } | undefined {
  let m: RegExpExecArray | null;
  // backup.c's per-file lines: `backup file`, `match file from prior backup`, `checksum resumed file`, each `(size, NN.NN%)`.
  if ((m = /DETAIL: (?:backup file|match file from prior backup|checksum resumed file) .*\((?:bundle \d+\/\d+, )?[^,()]*, (\d+\.\d\d)%\)/.exec(line))) return { phase: 'copying', percent: Number(m[1]) };
  if ((m = /INFO: new backup label = (\S+)/.exec(line))) return { label: m[1] ?? '' };
  if (/INFO: execute (non-)?exclusive backup start/.test(line)) return { phase: 'starting' };
  if (/INFO: execute (non-)?exclusive backup stop/.test(line)) return { phase: 'stopping' };
  // `check archive for segment X` at the start is pgBackRest waiting for the start segment; `segment(s) X:Y` is the end.
  if (/INFO: check archive for segment\(s\)/.test(line)) return { phase: 'archiving' };
  if (/INFO: expire command begin/.test(line)) return { phase: 'expiring' };
  return undefined;
}

export interface BackupResult {
  backup: BackrestBackup;
  durationMs: number;
}

/**
 * `pgbackrest backup --type …`, then the new backup as info lists it. Cancelling stops pgBackRest
 * (SIGTERM to its process group, SIGKILL after 15 s); what it copied stays in the repository as a
 * partial backup, which pgBackRest's next backup of the same type resumes or removes.
 */
export async function backrestBackup(
  target: BackrestTarget,
  type: BackrestBackupType,
  opts: BackrestCallOptions & { onProgress?: (p: BackupProgress) => void } = {},
): Promise<BackupResult> {
  let label: string | undefined;
  const onLine = (line: string) => {
    const read = readBackupLine(line);
    if (!read) return;
    if ('label' in read) label = read.label;
    else opts.onProgress?.(read);
  };
  // Who runs pgbackrest (as root) is looked up once for the backup and the info after it.
  const user = await backrestUser(target);
  const run = { ...opts, ...(user ? { user } : {}) };
  const result = await runBackrest(target, 'backup', [`--type=${type}`, '--log-level-console=detail'], { ...run, onStdoutLine: onLine, onStderrLine: onLine });
  if (result.status !== 'succeeded') throw backrestFailure('backup', result, target);
  const info = await backrestInfo(target, { ...run, signal: undefined });
  const backup = label ? info.backups.find((b) => b.label === label) : info.backups.at(-1);
  if (!backup) throw new PgbrError('tool-failed', `pgbackrest backup ended without error, but info does not list ${label ? `backup ${label}` : 'any backup'}: run pgbackrest info for stanza "${target.stanza}" to see why.`);
  return { backup, durationMs: result.durationMs };
}

/** `pgbackrest verify`, read from its text (2.45 has no JSON for it, and exits 0 when it finds damage). */
export async function backrestVerify(target: BackrestTarget, opts: BackrestCallOptions = {}): Promise<VerifyReport> {
  const result = await runBackrest(target, 'verify', ['--output=text', '--verbose'], { ...opts, collectStdout: true });
  if (result.status !== 'succeeded') throw backrestFailure('verify', result, target);
  return parseVerifyOutput(result.stdout);
}
