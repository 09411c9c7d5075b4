// pgbr status for people: the health snapshot as aligned rows, a verdict, the checklist and notes.
import { nothingUnarchived, type AgeAgainstTarget, type FailureHour, type HealthSnapshot } from '../core/health';
import { formatDuration, plural, formatBytes, formatWhen } from '../core/platform';
import { table } from './output';

const BARS = '▁▂▃▄▅▆▇█';

/** One character per hour, `·` for none: enough to see a stall or a burst in a terminal. */
function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values.map((v) => (v <= 0 || max === 0 ? '·' : BARS[Math.min(BARS.length - 1, Math.ceil((v / max) * BARS.length) - 1)])).join('');
}

function targetText(t: AgeAgainstTarget, noData: string): string {
  const age = t.ageSeconds === null ? noData : `${formatDuration(t.ageSeconds)} ago${t.newest ? ` (${t.newest})` : ''}`;
  const target = t.targetSeconds !== undefined ? `; target ${formatDuration(t.targetSeconds)}: ${t.status}` : '; no target declared';
  return `${age}${target}${t.note ? ` (${t.note})` : ''}`;
}

export function renderStatus(name: string, h: HealthSnapshot, report: { problems: string[]; warnings: string[]; notes: string[] }, failures?: FailureHour[]): string {
  const { problems, warnings, notes } = report;
  const { server, archiver: a, lag } = h;
  const time = (d: Date | null): string => (d ? formatWhen(d) : 'never');
  const sincePrevious = h.failedSincePrevious === null ? '' : `, ${h.failedSincePrevious} since the previous check`;
  const distance = lag.distance
    ? `${plural(lag.distance.segments, 'segment')} (${formatBytes(lag.distance.bytes)}) behind the current WAL${lag.distance.note ? `; ${lag.distance.note}` : ''}`
    : 'unknown';
  const unarchived =
    lag.unarchivedBytes === null
      ? ''
      : nothingUnarchived(lag)
        ? '; nothing written since the last archived segment'
        : `; ${formatBytes(lag.unarchivedBytes)} written since the last archived segment`;
  const rto = h.rto.lastRestoreSeconds !== undefined
    ? `last measured restore ${formatDuration(h.rto.lastRestoreSeconds)} (verification of ${h.rto.from ?? 'a dump'} ${time(h.rto.at ?? null)})`
    : 'no verified restore yet';
  const rows = [
    ['connection', name],
    ['server', `PostgreSQL ${server.version}${h.inRecovery ? ' (standby)' : ''}`],
    ['wal_level', server.walLevel],
    ['archive_mode', server.archiveMode],
    ['archive_command', server.archiveCommand || '(empty)'],
    ['archive_timeout', server.archiveTimeout],
    ['max_wal_senders', String(server.maxWalSenders)],
    ['archived', `${a.archivedCount} (last ${a.lastArchivedWal ?? 'none'} at ${time(a.lastArchivedTime)})`],
    ['failed', `${a.failedCount} (last ${a.lastFailedWal ?? 'none'} at ${time(a.lastFailedTime)})${sincePrevious}`],
    ['stats reset', time(a.statsReset)],
    ['current WAL', a.currentWal ?? '(in recovery)'],
    ['archive lag', `${distance}${unarchived}`],
    ['last archive', lag.lastArchiveAgeSeconds === null ? 'never' : `${formatDuration(lag.lastArchiveAgeSeconds)} ago`],
    ['ready files', h.readyFiles === null ? `unknown (${h.readyFilesNote ?? 'not readable'})` : String(h.readyFiles)],
    ['RPO: WAL', targetText(h.rpo.wal, 'nothing archived')],
    ['RPO: dump', targetText(h.rpo.dump, 'no dump found')],
    ['RPO: base backup', targetText(h.rpo.baseBackup, 'no base backup found')],
    ['RTO', `${rto}${h.rto.targetSeconds !== undefined ? `; target ${formatDuration(h.rto.targetSeconds)}: ${h.rto.status}` : '; no target declared'}`],
  ];
  if (h.activity) rows.push(['WAL per hour', `${sparkline(h.activity.map((x) => x.segments))} (24 h, ${plural(h.activity.reduce((n, x) => n + x.segments, 0), 'segment')})`]);
  if (failures?.some((f) => f.failures > 0)) rows.push(['failures/hour', `${sparkline(failures.map((f) => f.failures))} (24 h)`]);
  // One verdict line (it said "archiving: OK" and "state: ok" both), then the problems behind it.
  const verdict = `archiving: ${h.overall === 'ok' && !problems.length ? 'OK' : h.overall.toUpperCase()}${h.reasons.length ? ` (${h.reasons.join(' ')})` : ''}`;
  const state = [...warnings.map((w) => `warning: ${w}`), ...problems.map((p) => `problem: ${p}`)].join('\n');
  const checklist = h.checklist.map((i) => {
    const head = `${i.status.toUpperCase().padEnd(4)}  ${i.title}: ${i.detail}`;
    return i.fix ? `${head}\n      fix: ${i.fix}` : head;
  });
  return [table(rows), verdict, ...(state ? [state] : []), 'checklist:', ...checklist, ...notes.map((n) => `note: ${n}`)].join('\n');
}

