// The words and times of WAL Archive and base backup rows: local wall time with its zone, never raw ISO.
import type { SegmentRun, WindowPoint } from '../core/wal';
import type { BaseBackupRecord, RecordedRestorePoint } from '../core/physical';
import { formatBytes, formatWhen, type WhenOptions } from '../core/platform';

/** The clock and zone times are shown against; the machine's own unless a test sets them. */
export type Clock = Pick<WhenOptions, 'now' | 'timeZone'>;

/** `today 14:12 UTC+1`, with `~` for times estimated from file dates; the age too with `age`. */
export function pointText(p: WindowPoint, clock: Clock = {}, age = false): string {
  if (!p.time) return p.lsn;
  return `${p.exact ? '' : '~'}${formatWhen(p.time, { ...clock, noAge: !age })}`;
}

/** When a run's first and last segments were archived (their file times): the run's tooltip. */
export function runTooltip(run: SegmentRun, clock: Clock = {}): string {
  return `${run.startLsn} – ${run.endLsn}\narchived ${formatWhen(run.firstTime, clock)} – ${formatWhen(run.lastTime, clock)}`;
}

/** `today 19:19 UTC+1 · 3 min ago · 25.1 MB · tar gzip:6 · verified`. */
export function baseBackupDescription(r: BaseBackupRecord, clock: Clock = {}): string {
  const v = r.verification.status;
  const verified = v === 'passed' ? 'verified' : v === 'failed' ? 'verification FAILED' : 'not verified';
  return `${formatWhen(r.stopTime, clock)} · ${formatBytes(r.sizeBytes)} · ${r.format}${r.compression !== 'none' ? ` ${r.compression}` : ''} · ${verified}`;
}

/** `shop · 0/3000090 · today 19:19:05 UTC+1 · 3 min ago`: to the second, as a recovery target is. */
export function restorePointDescription(p: RecordedRestorePoint, clock: Clock = {}): string {
  return `${p.profile} · ${p.lsn} · ${formatWhen(p.time, { ...clock, seconds: true })}`;
}

/** `segment X is missing on timeline 1: PITR past … is impossible` → `segment X is missing on timeline 1`. */
export function problemHeadline(message: string): string {
  const cut = message.search(/: |; /);
  return cut > 0 ? message.slice(0, cut) : message;
}
