// What pgbr pitr and pgbr pitr --backrest share: the options, the one target they name, and a drill report as text.
import { PgbrError } from '../core/platform';
import type { DrillReport, RecoveryAction, RecoveryTarget, RecoveryTimeline } from '../core/pitr';

export interface PitrOptions {
  baseBackup: string;
  archive: string;
  targetTime?: string;
  timeZone?: string;
  targetLsn?: string;
  targetXid?: string;
  targetName?: string;
  latest?: boolean;
  immediate?: boolean;
  exclusive?: boolean;
  timeline?: RecoveryTimeline;
  action?: RecoveryAction;
  restoreCommand?: string;
  /** The archive_command the recovered server archives with once promoted; without it, archive_mode = off. */
  keepArchiving?: string;
  record?: string;
  dataDir?: string;
  drill?: boolean;
  binDir?: string;
  binPath?: string;
  serverTimeZone?: string;
  force?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** The one target the options name; two or none is a usage error. */
export function targetFromOptions(o: PitrOptions): RecoveryTarget {
  const given: RecoveryTarget[] = [];
  if (o.targetTime !== undefined) given.push({ kind: 'time', time: o.targetTime, ...(o.timeZone ? { zone: o.timeZone } : {}) });
  if (o.targetLsn !== undefined) given.push({ kind: 'lsn', lsn: o.targetLsn });
  if (o.targetXid !== undefined) given.push({ kind: 'xid', xid: o.targetXid });
  if (o.targetName !== undefined) given.push({ kind: 'name', name: o.targetName });
  if (o.latest) given.push({ kind: 'latest' });
  if (o.immediate) given.push({ kind: 'immediate' });
  if (given.length !== 1) {
    throw new PgbrError('usage', `give exactly one target: --target-time, --target-lsn, --target-xid, --target-name, --latest or --immediate${given.length ? ` (${given.length} were given)` : ''}.`);
  }
  return given[0] as RecoveryTarget;
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function renderDrill(r: DrillReport): string {
  const lines = [`Drill ${r.status}: ${r.message}`];
  if (r.status === 'reached') {
    const where = [
      r.timeline !== undefined ? `timeline ${r.timeline}` : undefined,
      r.promoted ? `promoted${r.promoted.timeline !== undefined ? ` to timeline ${r.promoted.timeline}` : ''}` : 'paused at the target',
      r.serverTimeZone ? `server time zone ${r.serverTimeZone}` : undefined,
    ].filter(Boolean);
    lines.push(`  ${where.join(', ')}`);
    for (const db of r.databases) {
      lines.push(`  database ${db.name}: ${db.tables.length ? '' : 'no tables'}`);
      for (const t of db.tables) lines.push(`    ${t.schema}.${t.table}  ${t.rows === null ? 'unlogged, not readable during recovery' : `${t.rows} row${t.rows === 1 ? '' : 's'}`}`);
    }
  } else if (r.logTail.length) {
    lines.push('  server log (tail):', ...r.logTail.slice(-15).map((l) => `    ${l}`));
  }
  const d = r.durations;
  lines.push(`  restore ${secs(d.restoreMs)}, recovery ${secs(d.recoverMs)}, inspection ${secs(d.inspectMs)}, stop ${secs(d.stopMs)}, total ${secs(d.totalMs)}`);
  return lines.join('\n');
}
