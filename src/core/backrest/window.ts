// The recoverable window of a pgBackRest stanza, from `info` (each backup's stop, the archive's max) and, for a posix repository, its archive folder; the backup set a target needs; the target checked against it.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import { type RecoveryTarget, type RecoveryTimeline, resolveTarget, type TargetCheck, validateTarget } from '../pitr/config';
import { compareToInstant, formatUtc, type TargetTime } from '../pitr/time';
import type { BackupWindow, RecoverableWindow, WindowPoint } from '../wal/check';
import { DEFAULT_SEGMENT_SIZE, formatLsn, isValidSegmentSize, parseLsn, parseWalFileName, segmentNumber, segmentStartLsn } from '../wal/names';
import type { BackrestArchive, BackrestBackup, BackrestStanzaInfo } from './info';

/** What a posix repository's archive folder adds: when the newest segment arrived, and which timelines it holds. */
export interface ArchiveListing {
  /** Modification time of the file of `info`'s archive max: an estimate of the window's end. */
  maxTime?: Date;
  timelines: number[];
}

/**
 * The segment size that makes a backup's stop LSN fall in its stop segment: pgBackRest's info does not
 * print it, and 16 MiB (initdb's default) is tried first.
 */
export function segmentSizeOf(backups: readonly BackrestBackup[]): number {
  const candidates = [DEFAULT_SEGMENT_SIZE];
  for (let s = 1024 * 1024; s <= 1024 * 1024 * 1024; s *= 2) if (s !== DEFAULT_SEGMENT_SIZE) candidates.push(s);
  for (const b of backups) {
    const lsn = b.lsnStop ? parseLsn(b.lsnStop) : undefined;
    const name = b.walStop ? parseWalFileName(b.walStop) : undefined;
    if (lsn === undefined || name?.kind !== 'segment') continue;
    const fits = candidates.filter((size) => isValidSegmentSize(size) && segmentNumber(name.log, name.seg, size) === Number(lsn / BigInt(size)));
    if (fits.length) return fits[0] as number;
  }
  return DEFAULT_SEGMENT_SIZE;
}

/** The end of a segment: recovery from this archive cannot replay past it. */
function segmentEnd(name: string, segmentSize: number): { lsn: string; timeline: number } | undefined {
  const parsed = parseWalFileName(name);
  if (parsed?.kind !== 'segment') return undefined;
  const segno = segmentNumber(parsed.log, parsed.seg, segmentSize);
  return segno === undefined ? undefined : { lsn: formatLsn(segmentStartLsn(segno + 1, segmentSize)), timeline: parsed.tli };
}

/** Each backup's window: from its stop (pgBackRest's record, to the second) to the end of the archive's newest segment. */
export function backrestWindow(info: BackrestStanzaInfo, listing?: ArchiveListing): RecoverableWindow {
  const segmentSize = segmentSizeOf(info.backups);
  const backups: BackupWindow[] = [];
  for (const b of info.backups) {
    if (!b.lsnStop || !b.walStop) continue;
    const archive: BackrestArchive | undefined = info.archives.find((a) => a.dbId === b.dbId && a.repoKey === b.repoKey);
    const stopTli = parseInt(b.walStop.slice(0, 8), 16);
    const from: WindowPoint = { lsn: b.lsnStop, timeline: stopTli, time: b.stopTime, exact: true, source: `backup ${b.label}'s stop time as pgBackRest recorded it` };
    const end = archive?.max ? segmentEnd(archive.max, segmentSize) : undefined;
    const newest = info.archives.at(-1) === archive;
    const to: WindowPoint = end
      ? { ...end, ...(listing?.maxTime && newest ? { time: listing.maxTime } : {}), exact: false, source: `the end of segment ${archive?.max}, the newest in the repository's archive` }
      : { ...from, source: 'no archived WAL after the backup' };
    backups.push({ label: b.label, origin: 'known', from, to, walAfterStop: !!archive?.max && archive.max.slice(8) >= b.walStop.slice(8) });
  }
  const usable = backups.filter((b) => b.walAfterStop);
  const first = usable[0];
  const last = usable.at(-1);
  return {
    backups,
    ...(first ? { earliest: { ...first.from, backup: first.label } } : {}),
    ...(last ? { latest: { ...last.to, backup: last.label } } : {}),
    ...(usable.length ? {} : { note: info.backups.length ? `no backup of stanza "${info.name}" has archived WAL after it` : `stanza "${info.name}" has no backup` }),
  };
}

/**
 * The backup set a target recovers from: the one named, else for a time or LSN the newest that stopped
 * at or before it (pgBackRest 2.45 picks by time itself but not by LSN, so both are picked here and
 * passed as --set, which the check and the restore then agree on), else the newest (pgBackRest's default).
 */
export function chooseBackupSet(info: BackrestStanzaInfo, target: RecoveryTarget, set?: string): BackrestBackup {
  const backups = info.backups.filter((b) => b.lsnStop && b.walStop);
  if (set !== undefined) {
    const named = info.backups.find((b) => b.label === set);
    if (!named) {
      const labels = info.backups.map((b) => b.label);
      throw new PgbrError('usage', `stanza "${info.name}" has no backup set ${set}${labels.length ? ` (it has ${labels.join(', ')})` : ''}: pass one of its labels to --set, or leave --set out to let the target choose.`);
    }
    return named;
  }
  const newest = backups.at(-1);
  if (!newest) throw new PgbrError('usage', `stanza "${info.name}" has no backup to restore: take one with pgbr backrest backup --type full.`);
  const resolved = resolveTarget(target);
  if (target.kind === 'time') {
    const t = resolved.time as TargetTime;
    const fit = backups.filter((b) => compareToInstant(t, b.stopTime) >= 0).at(-1);
    if (!fit) {
      throw new PgbrError('usage', `${formatUtc(t.epochMs)} is before the oldest backup of stanza "${info.name}" stopped (${formatUtc(backups[0]?.stopTime ?? newest.stopTime)}): no backup in the repository can recover to it.`);
    }
    return fit;
  }
  if (target.kind === 'lsn') {
    const lsn = parseLsn(target.lsn) as bigint;
    const fit = backups.filter((b) => (parseLsn(b.lsnStop ?? '') ?? 0n) <= lsn).at(-1);
    if (!fit) throw new PgbrError('usage', `LSN ${formatLsn(lsn)} is before the oldest backup of stanza "${info.name}" stopped (${backups[0]?.lsnStop}): no backup in the repository can recover to it.`);
    return fit;
  }
  return newest;
}

/** The target against the chosen backup's window; a time after now is refused even where the window's end time is unknown. */
export function checkBackrestTarget(
  target: RecoveryTarget,
  info: BackrestStanzaInfo,
  backup: BackrestBackup,
  ctx: { timeline?: RecoveryTimeline; listing?: ArchiveListing; now?: Date; serverTimeZone?: string } = {},
): TargetCheck {
  const window = backrestWindow(info, ctx.listing);
  const check = validateTarget(target, window, {
    backup: { stopLsn: backup.lsnStop ?? '', timeline: parseInt((backup.walStop ?? '').slice(0, 8), 16) },
    ...(ctx.timeline !== undefined ? { timeline: ctx.timeline } : {}),
    ...(ctx.listing?.timelines.length ? { archiveTimelines: ctx.listing.timelines } : {}),
    ...(ctx.serverTimeZone ? { serverTimeZone: ctx.serverTimeZone } : {}),
  });
  if (check.ok && target.kind === 'time' && !ctx.listing?.maxTime) {
    const t = resolveTarget(target).time as TargetTime;
    const now = ctx.now ?? new Date();
    if (compareToInstant(t, now) > 0) {
      return { ok: false, message: `${formatUtc(t.epochMs)} is in the future (now is ${formatUtc(now)}): recovery would end early and the server would stop. Pick an earlier time.`, estimate: false };
    }
    return { ...check, message: `${check.message} The repository does not say when its newest segment arrived, so a time after it cannot be ruled out before the restore.`, estimate: true };
  }
  return check;
}

/**
 * For a posix repository this host can read: when the archive's max segment was written and the
 * timelines of the stanza's archive folder. Undefined for object stores, or a path that cannot be read.
 */
export async function listPosixArchive(repoPath: string | undefined, info: BackrestStanzaInfo): Promise<ArchiveListing | undefined> {
  const archive = info.archives.at(-1);
  if (!repoPath || !archive) return undefined;
  const dir = path.join(repoPath, 'archive', info.name, archive.id);
  const entries = await fs.readdir(dir).catch(() => undefined);
  if (!entries) return undefined;
  const timelines = new Set<number>();
  for (const e of entries) {
    const m = /^([0-9A-F]{8})(?:[0-9A-F]{8}|\.history)/.exec(e);
    if (m) timelines.add(parseInt(m[1] as string, 16));
  }
  let maxTime: Date | undefined;
  if (archive.max) {
    const sub = path.join(dir, archive.max.slice(0, 16));
    const file = (await fs.readdir(sub).catch(() => [] as string[])).find((f) => f.startsWith(`${archive.max}-`));
    if (file) maxTime = (await fs.stat(path.join(sub, file)).catch(() => undefined))?.mtime;
  }
  return { timelines: [...timelines].sort((a, b) => a - b), ...(maxTime ? { maxTime } : {}) };
}
