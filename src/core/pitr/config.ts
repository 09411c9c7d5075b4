// Point-in-time recovery settings: targets, restore_command, the postgresql.auto.conf lines, and the check against the recoverable window.
import { PgbrError } from '../platform/errors';
import type { RestorePoint } from '../physical/restorePoints';
import type { BackupWindow, RecoverableWindow, WindowPoint } from '../wal/check';
import { formatWhen, type WhenOptions } from '../platform/when';
import { formatLsn, parseLsn } from '../wal/names';
import { compareToInstant, describeTime, formatTargetTime, formatUtc, parseTargetTime, type TargetTime } from './time';
import { shellQuote } from '../platform/shell';

export type RecoveryTarget =
  | { kind: 'latest' }
  | { kind: 'immediate' }
  /** A date, a time and an explicit zone: `2026-11-22 14:30 Europe/Berlin`, `2026-11-22T14:30:00+01:00`; `zone` applies when the text names none. */
  | { kind: 'time'; time: string; zone?: string }
  | { kind: 'lsn'; lsn: string }
  | { kind: 'xid'; xid: string }
  /** A restore point made with pg_create_restore_point(). */
  | { kind: 'name'; name: string };

export type RecoveryTimeline = 'latest' | 'current' | number;
export type RecoveryAction = 'pause' | 'promote' | 'shutdown';

export type RestoreSource =
  /** WAL archived by `cp` (or the extension) into a folder this host can read. */
  | { kind: 'copy'; archiveDir: string }
  /** Any command, with PostgreSQL's `%f` (file name) and `%p` (destination path). */
  | { kind: 'custom'; template: string };

/**
 * What the recovered server does with WAL once promoted. Its data directory is a copy of the source's,
 * so without a change it would run the source's archive_command and push its new timeline into the
 * source's archive. `off` (the default) writes archive_mode = off, as pgBackRest's --archive-mode=off
 * does; `keep` archives with a command the user names, which should not write into the source's archive.
 */
export type RecoveryArchiving = { kind: 'off' } | { kind: 'keep'; command: string };

export interface RecoveryPlan {
  target: RecoveryTarget;
  /** Stop just after the target (true, the default) or just before it; for time, LSN and xid targets. */
  inclusive?: boolean;
  /** Default `latest`, as PostgreSQL 12+ does. */
  timeline?: RecoveryTimeline;
  /** What the server does at the target; default `pause`, so the result can be looked at before it is made permanent. */
  action?: RecoveryAction;
  restore: RestoreSource;
  /** Default `{ kind: 'off' }`. */
  archiving?: RecoveryArchiving;
}

/** The archive settings a recovery writes, `[name, value as written]`; checks a kept command. */
export function archivingSettings(archiving: RecoveryArchiving = { kind: 'off' }): [string, string][] {
  if (archiving.kind === 'off') return [['archive_mode', confString('off')]];
  const command = archiving.command.trim();
  if (command === '') {
    throw new PgbrError('usage', 'keeping archiving needs the archive_command to use: give a command that copies %p to an archive other than the source\'s.');
  }
  if (!command.includes('%p')) {
    throw new PgbrError('usage', `the archive_command "${command}" must use %p (the WAL file to archive), and usually %f (its name).`);
  }
  return [
    ['archive_mode', confString('on')],
    ['archive_command', confString(command)],
  ];
}

export interface RestoreTemplate {
  id: 'pgbackrest' | 'wal-g';
  label: string;
  template: string;
}

/** restore_command for other archivers, offered as text to edit (the stanza name is the user's). */
export const RESTORE_TEMPLATES: readonly RestoreTemplate[] = [
  { id: 'pgbackrest', label: 'pgBackRest', template: 'pgbackrest --stanza=main archive-get %f "%p"' },
  { id: 'wal-g', label: 'WAL-G', template: 'wal-g wal-fetch %f %p' },
];

/**
 * The restore_command for a source. The copy form tests for the file first so a missing segment is a
 * clean non-zero exit (the end of the archive), not a `cp` error in the log for every probe PostgreSQL makes.
 * `%` in a path is doubled: PostgreSQL would read `%f` in a folder name as its own placeholder.
 */
export function restoreCommand(source: RestoreSource, platform: NodeJS.Platform = process.platform): string {
  if (source.kind === 'custom') {
    if (source.template.trim() === '') throw new PgbrError('usage', 'the restore_command is empty: give the command that fetches %f from the archive into %p.');
    if (!source.template.includes('%f') || !source.template.includes('%p')) {
      throw new PgbrError('usage', `the restore_command "${source.template}" must use %f (the WAL file asked for) and %p (where to put it).`);
    }
    return source.template;
  }
  const dir = source.archiveDir.replace(/%/g, '%%');
  if (platform === 'win32') {
    if (dir.includes('"')) throw new PgbrError('usage', `the archive folder ${source.archiveDir} contains a double quote, which cmd.exe cannot quote.`);
    return `copy "${dir.replace(/[\\/]+$/, '')}\\%f" "%p"`;
  }
  const file = shellQuote(`${dir.replace(/\/+$/, '')}/%f`);
  return `test -f ${file} && cp ${file} "%p"`;
}

/** A postgresql.conf string: backslashes and single quotes doubled, as its lexer reads them. */
export function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export interface ResolvedTarget {
  /** The `recovery_target*` setting and its raw value, or none for `latest`. */
  setting?: { name: string; value: string };
  time?: TargetTime;
}

/** Checks a target's value and puts it in the form PostgreSQL is given. */
export function resolveTarget(target: RecoveryTarget): ResolvedTarget {
  switch (target.kind) {
    case 'latest':
      return {};
    case 'immediate':
      return { setting: { name: 'recovery_target', value: 'immediate' } };
    case 'time': {
      const time = parseTargetTime(target.time, target.zone);
      return { setting: { name: 'recovery_target_time', value: formatTargetTime(time) }, time };
    }
    case 'lsn': {
      const lsn = parseLsn(target.lsn);
      if (lsn === undefined) throw new PgbrError('usage', `"${target.lsn}" is not an LSN: give it as PostgreSQL prints it, like 0/3000060.`);
      return { setting: { name: 'recovery_target_lsn', value: formatLsn(lsn) } };
    }
    case 'xid': {
      const xid = target.xid.trim();
      if (!/^\d+$/.test(xid) || BigInt(xid) < 3n) throw new PgbrError('usage', `"${target.xid}" is not a transaction id: give the number txid_current() or pg_current_xact_id() returned.`);
      return { setting: { name: 'recovery_target_xid', value: xid } };
    }
    case 'name': {
      if (target.name === '') throw new PgbrError('usage', 'the restore point name is empty: give the name passed to pg_create_restore_point().');
      // MAXFNAMELEN - 1: pg_create_restore_point() refuses longer names, so none can be in the WAL.
      if (Buffer.byteLength(target.name) > 63) throw new PgbrError('usage', `the restore point name "${target.name}" is longer than 63 bytes, so no restore point can have it.`);
      return { setting: { name: 'recovery_target_name', value: target.name } };
    }
  }
}

/** Settings in the order they are written: `[name, value as written in the file]`. */
export function recoverySettings(plan: RecoveryPlan, platform: NodeJS.Platform = process.platform): [string, string][] {
  const resolved = resolveTarget(plan.target);
  const lines: [string, string][] = [['restore_command', confString(restoreCommand(plan.restore, platform))]];
  if (resolved.setting) {
    lines.push([resolved.setting.name, confString(resolved.setting.value)]);
    // Inclusiveness only means something for a target that falls between records.
    if (plan.target.kind === 'time' || plan.target.kind === 'lsn' || plan.target.kind === 'xid') {
      lines.push(['recovery_target_inclusive', plan.inclusive === false ? 'off' : 'on']);
    }
  }
  const timeline = plan.timeline ?? 'latest';
  if (typeof timeline === 'number' && (!Number.isInteger(timeline) || timeline < 1)) {
    throw new PgbrError('usage', `${timeline} is not a timeline: timelines are whole numbers from 1.`);
  }
  lines.push(['recovery_target_timeline', confString(String(timeline))]);
  // Without a target, recovery runs to the end of the archive and promotes; an action would be ignored.
  if (resolved.setting) lines.push(['recovery_target_action', confString(plan.action ?? 'pause')]);
  lines.push(...archivingSettings(plan.archiving));
  return lines;
}

/** The lines for postgresql.auto.conf, without the header. */
export function renderRecoverySettings(plan: RecoveryPlan, platform: NodeJS.Platform = process.platform): string[] {
  return recoverySettings(plan, platform).map(([name, value]) => `${name} = ${value}`);
}

/** The settings a recovery writes: any earlier line setting one of them would fight with the new ones. */
export const RECOVERY_SETTING_PATTERN = /^\s*(recovery_target\w*|restore_command|archive_mode|archive_command)\s*(=|\s)/;

export function headerLine(now: Date): string {
  return `# Recovery settings written by PG Backup on ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

/**
 * A configuration file with earlier recovery settings commented out (kept, so a person can see what
 * was there) and, when `settings` is given, the new ones appended under a dated header.
 */
export function rewriteConf(text: string | undefined, settings: string[] | undefined, now: Date): { text: string; disabled: string[] } {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const disabled: string[] = [];
  const lines = (text ?? '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const kept = lines.map((line) => {
    if (!RECOVERY_SETTING_PATTERN.test(line)) return line;
    disabled.push(line.trim());
    return `# (disabled by PG Backup on ${stamp}) ${line}`;
  });
  if (settings) {
    if (kept.length > 0 && kept.at(-1) !== '') kept.push('');
    kept.push(headerLine(now), ...settings);
  }
  return { text: kept.length ? `${kept.join('\n')}\n` : '', disabled };
}

export interface TargetCheck {
  ok: boolean;
  message: string;
  /** True when the verdict rests on a guess: a window end known only from file times, or a target (xid, name) the archive listing cannot place. */
  estimate: boolean;
}

export interface ValidationContext {
  /** The timeline the plan asks for. */
  timeline?: RecoveryTimeline;
  /** Timelines that have WAL or a history file in the archive. */
  archiveTimelines?: number[];
  /** The base backup being restored (from its backup_manifest or record), to pick its window. */
  backup?: { stopLsn: string; timeline: number };
  /** The server's `TimeZone`, to show a time target in it too. */
  serverTimeZone?: string;
  /** Restore points recorded when they were made, on the backup's server: a name target is placed by its LSN. */
  restorePoints?: readonly Pick<RestorePoint, 'name' | 'lsn' | 'time' | 'walFile'>[];
  /** The clock and zone for times in the messages. */
  when?: WhenOptions;
}

const windowTime = (p: WindowPoint): string => (p.time ? formatUtc(p.time) : `LSN ${p.lsn}`);

/** Whether recovery from the chosen backup can reach the target, in words a person can act on. */
export function validateTarget(target: RecoveryTarget, window: RecoverableWindow, ctx: ValidationContext = {}): TargetCheck {
  let resolved: ResolvedTarget;
  try {
    resolved = resolveTarget(target);
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e), estimate: false };
  }

  const timeline = ctx.timeline;
  if (typeof timeline === 'number' && ctx.archiveTimelines && !ctx.archiveTimelines.includes(timeline)) {
    const have = [...new Set(ctx.archiveTimelines)].sort((a, b) => a - b).join(', ') || 'none';
    return { ok: false, message: `timeline ${timeline} is not in the archive (it has ${have}): recovery could not follow it. Choose latest or one of those.`, estimate: false };
  }

  const wanted = ctx.backup ? parseLsn(ctx.backup.stopLsn) : undefined;
  const candidates = window.backups.filter((b) => b.walAfterStop || target.kind === 'immediate');
  const b =
    (wanted !== undefined ? window.backups.find((w) => parseLsn(w.from.lsn) === wanted && w.from.timeline === ctx.backup?.timeline) : undefined) ??
    (wanted === undefined ? candidates.at(-1) : undefined);
  if (!b) {
    const why = ctx.backup
      ? `the base backup that ended at ${ctx.backup.stopLsn} has no archived WAL after it in this archive`
      : window.note ?? 'the archive has no base backup with WAL after it';
    return { ok: false, message: `${why}: recovery from it cannot start. Check the archive folder, or take a new base backup.`, estimate: false };
  }
  if (!b.walAfterStop && target.kind !== 'immediate') {
    return { ok: false, message: `the archive has no WAL after base backup "${b.label}" ended at ${b.from.lsn}: only an immediate target can be reached.`, estimate: false };
  }
  const from = b.from;
  const to = b.to;
  const endEstimate = !to.exact;
  const endWord = `the last archived WAL at ${windowTime(to)}`;

  switch (target.kind) {
    case 'latest':
      return { ok: true, message: `recovers everything archived: to ${endWord} (${to.lsn} on timeline ${to.timeline}).`, estimate: endEstimate };
    case 'immediate':
      return { ok: true, message: `stops as soon as base backup "${b.label}" is consistent: ${windowTime(from)} (${from.lsn}).`, estimate: !from.exact };
    case 'time': {
      const t = resolved.time as TargetTime;
      const d = describeTime(t, ctx.serverTimeZone);
      const shown = d.utc;
      if (from.time && compareToInstant(t, from.time) < 0) {
        return {
          ok: false,
          message: `${shown} is before base backup "${b.label}" ended at ${formatUtc(from.time)}: recovery cannot stop before a backup is consistent. Use an older base backup, or a later time.`,
          estimate: !from.exact,
        };
      }
      if (to.time && compareToInstant(t, to.time) > 0) {
        return {
          ok: false,
          message: `${shown} is after ${endWord}: recovery would end early and the server would stop. Pick an earlier time, or archive the current WAL first (SELECT pg_switch_wal()).`,
          estimate: endEstimate,
        };
      }
      const inZone = d.server ? ` = ${d.server}` : '';
      return {
        ok: true,
        message: `${d.given}${d.given.includes('UTC') ? '' : ` = ${shown}`}${inZone} lies within the window ${from.time ? formatUtc(from.time) : from.lsn} – ${windowTime(to)}${endEstimate ? ' (the end is when the last segment was archived, so a target just before it may still be past the last commit)' : ''}.`,
        estimate: endEstimate,
      };
    }
    case 'lsn': {
      const lsn = parseLsn(target.lsn) as bigint;
      const start = parseLsn(from.lsn) ?? 0n;
      const end = parseLsn(to.lsn) ?? 0n;
      const shown = formatLsn(lsn);
      if (lsn < start) {
        return { ok: false, message: `LSN ${shown} is before base backup "${b.label}" ended at ${from.lsn}: recovery cannot stop before a backup is consistent. Use an older base backup.`, estimate: false };
      }
      if (lsn > end) {
        return { ok: false, message: `LSN ${shown} is after the last archived WAL, which ends at ${to.lsn}: recovery would end early and the server would stop.`, estimate: false };
      }
      return { ok: true, message: `LSN ${shown} lies within the window ${from.lsn} – ${to.lsn}.`, estimate: false };
    }
    case 'name': {
      const point = recordedPoint(target.name, ctx.restorePoints, from);
      if (point) return placeRestorePoint(point, b, ctx.when);
      return unplaced(`restore point "${target.name}"`, from, to);
    }
    case 'xid':
      return unplaced(`transaction ${target.xid}`, from, to);
  }
}

/** An xid or an unrecorded name: the archive listing cannot say where it lies. */
function unplaced(what: string, from: WindowPoint, to: WindowPoint): TargetCheck {
  return {
    ok: true,
    message: `${what} cannot be placed in the window from the archive listing alone: recovery stops there if it lies between ${windowTime(from)} and ${windowTime(to)}, and ends early otherwise. A drill shows where it stops.`,
    estimate: true,
  };
}

type PlacedPoint = NonNullable<ValidationContext['restorePoints']>[number];

/**
 * The recorded point recovery would stop at: PostgreSQL stops at the first restore point of the name it
 * replays, so the earliest at or after the backup's end; else the newest, to say it came too early.
 */
function recordedPoint(name: string, points: ValidationContext['restorePoints'], from: WindowPoint): PlacedPoint | undefined {
  const start = parseLsn(from.lsn) ?? 0n;
  const named = (points ?? [])
    .filter((p) => p.name === name && parseLsn(p.lsn) !== undefined)
    .sort((x, y) => ((parseLsn(x.lsn) as bigint) < (parseLsn(y.lsn) as bigint) ? -1 : 1));
  return named.find((p) => (parseLsn(p.lsn) as bigint) >= start) ?? named.at(-1);
}

/** A restore point whose LSN was recorded when it was made: placed in the window like an LSN target. */
function placeRestorePoint(p: PlacedPoint, b: BackupWindow, when: WhenOptions | undefined): TargetCheck {
  const lsn = parseLsn(p.lsn) as bigint;
  const what = `restore point "${p.name}" (made ${formatWhen(p.time, { seconds: true, ...when })} at LSN ${p.lsn})`;
  if (lsn < (parseLsn(b.from.lsn) ?? 0n)) {
    return { ok: false, message: `${what} is before base backup "${b.label}" ended at ${b.from.lsn}: recovery cannot stop before a backup is consistent. Use an older base backup.`, estimate: false };
  }
  if (lsn > (parseLsn(b.to.lsn) ?? 0n)) {
    return {
      ok: false,
      message: `${what} is after the last archived WAL, which ends at ${b.to.lsn}: ${p.walFile ? `its segment ${p.walFile}` : 'its WAL'} is not in the archive yet. Run SELECT pg_switch_wal() on the server, wait for the archiver, and check again.`,
      estimate: false,
    };
  }
  return { ok: true, message: `${what} lies within the window ${b.from.lsn} – ${b.to.lsn}: recovery stops there.`, estimate: false };
}
