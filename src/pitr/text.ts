// How the PITR panel writes backups, restore points, the recoverable window and drill reports for people.
import type { PitrDrillReport } from '../../webview/protocol';
import type { BaseBackupRecord, RecordedRestorePoint } from '../core/physical';
import { type DrillReport, stopLineText } from '../core/pitr';
import type { RecoverableWindow, WindowPoint } from '../core/wal';
import { formatWhen, type WhenOptions } from '../core/platform';

/** A moment where the second matters (backup ends, restore points, window edges): `today 19:19:05 UTC+1 · 3 min ago`. */
export function moment(d: Date | string, when?: WhenOptions): string {
  return formatWhen(d, { seconds: true, ...when });
}

/** The base backup dropdown's text after the name: `e2e, ended today 19:19:05 UTC+1 · 3 min ago at 0/5000100`. */
export function baseBackupDetail(r: BaseBackupRecord, when?: WhenOptions): string {
  return `${r.profile}, ended ${moment(r.stopTime, when)} at ${r.stopLsn}`;
}

/** The restore point dropdown's text after the name. */
export function restorePointDetail(p: RecordedRestorePoint, when?: WhenOptions): string {
  return `${p.profile}, made ${moment(p.time, when)} at ${p.lsn}`;
}

function edge(p: WindowPoint, when?: WhenOptions): string {
  return p.time ? `${moment(p.time, when)} (${p.lsn})` : p.lsn;
}

/** Step 2's line on what can be recovered: from the first backup's end to the end of the archive. */
export function windowLines(w: RecoverableWindow, when?: WhenOptions): string[] {
  if (w.earliest && w.latest) {
    return [`recoverable from ${edge(w.earliest, when)} to ${edge(w.latest, when)}${w.latest.exact ? '' : ' (end estimated from file times)'}`];
  }
  return w.note ? [w.note] : [];
}

/** The drill report as the panel lays it out. */
export function drillView(r: DrillReport, when?: WhenOptions): PitrDrillReport {
  return {
    status: r.status,
    message: r.message,
    ...(r.recoveredLsn ? { recoveredLsn: r.recoveredLsn } : {}),
    ...(r.recoveredTime ? { recoveredTime: moment(r.recoveredTime, when) } : {}),
    ...(r.timeline !== undefined ? { timeline: r.timeline } : {}),
    ...(r.stopLine ? { stopLine: stopLineText(r.stopLine, when) } : {}),
    tables: r.databases.flatMap((d) => d.tables.map((t) => ({ name: `${d.name}: ${t.schema}.${t.table}`, rows: t.rows === null ? 'unreadable' : t.rows.toLocaleString('en-US') }))),
    durationText: `${(r.durations.totalMs / 1000).toFixed(1)} s (recovery ${(r.durations.recoverMs / 1000).toFixed(1)} s)`,
    logTail: r.logTail,
  };
}
