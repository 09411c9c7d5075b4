// Turns a health snapshot into what the Health view shows: text for people, statuses for colours.
import type { HealthModel, CheckStatus } from '../../webview/protocol';
import { missingBaseBackup, type AgeAgainstTarget, type FailureHour, type HealthSnapshot, type ArchiveActivityHour } from '../core/health';
import { formatDuration, formatBytes, formatLocal, formatWhen, type WhenOptions } from '../core/platform';

export interface HealthModelOptions {
  /** The zone times are shown in (default the machine's); the clock is the snapshot's own time. */
  timeZone?: string;
}

export function healthModel(
  connection: string,
  s: HealthSnapshot,
  chart: { archived?: ArchiveActivityHour[]; failures: FailureHour[]; archive?: string },
  opts: HealthModelOptions = {},
): HealthModel {
  const a = s.archiver;
  const when: WhenOptions = { now: new Date(s.at), ...(opts.timeZone ? { timeZone: opts.timeZone } : {}) };
  const time = (d: Date | null | undefined): string => (d ? formatWhen(d, when) : 'never');
  const age = (seconds: number | null): string => (seconds === null ? 'never' : `${formatDuration(seconds)} ago`);
  const hours = new Map<string, { archived: number; failed: number }>();
  for (const h of chart.archived ?? []) hours.set(h.hour, { archived: h.segments, failed: 0 });
  for (const h of chart.failures) hours.set(h.hour, { archived: hours.get(h.hour)?.archived ?? 0, failed: h.failures });
  const missing = missingBaseBackup(s, 'PG Backup: Take Base Backup…');
  const headline = s.reasons[0] ?? missing ?? (s.overall === 'ok' ? 'WAL is being archived and nothing is failing.' : '');
  return {
    connection,
    polledAt: new Date(s.at).toISOString(),
    polledText: formatLocal(new Date(s.at), { ...when, seconds: true }),
    overall: s.overall,
    headline,
    ...(missing ? { missing } : {}),
    settings: [
      { name: 'wal_level', value: s.server.walLevel },
      { name: 'archive_mode', value: s.server.archiveMode },
      { name: 'archive_command', value: s.server.archiveCommand || '(empty)' },
      { name: 'archive_timeout', value: s.server.archiveTimeout },
      { name: 'max_wal_senders', value: String(s.server.maxWalSenders) },
      { name: 'server', value: `PostgreSQL ${s.server.version}` },
    ],
    archiver: [
      { name: 'archived', value: `${a.archivedCount.toLocaleString('en-US')}` },
      {
        name: 'failed',
        value: `${a.failedCount.toLocaleString('en-US')}${s.failedSincePrevious ? ` (+${s.failedSincePrevious} since the last poll)` : ''}`,
        ...(s.failedSincePrevious ? { emphasis: 'bad' as const } : {}),
      },
      { name: 'last archived', value: a.lastArchivedWal ? `${a.lastArchivedWal}, ${time(a.lastArchivedTime)}` : 'nothing archived yet' },
      { name: 'last failed', value: a.lastFailedWal ? `${a.lastFailedWal}, ${time(a.lastFailedTime)}` : 'never failed', ...(a.lastFailedWal ? { emphasis: 'bad' as const } : {}) },
      { name: 'stats reset', value: time(a.statsReset) },
    ],
    lag: [
      { name: 'current WAL', value: s.lag.currentWal ?? (s.inRecovery ? '(standby: in recovery)' : 'unknown') },
      {
        name: 'behind',
        value: s.lag.distance ? `${s.lag.distance.segments} segment${s.lag.distance.segments === 1 ? '' : 's'} (${formatBytes(s.lag.distance.bytes)})` : 'unknown',
      },
      { name: 'not yet archived', value: s.lag.unarchivedBytes === null ? 'unknown' : formatBytes(s.lag.unarchivedBytes) },
      { name: 'last archive', value: age(s.lag.lastArchiveAgeSeconds) },
      { name: '.ready files', value: s.readyFiles === null ? (s.readyFilesNote ?? 'unknown') : String(s.readyFiles), ...(s.readyFiles && s.readyFiles > 8 ? { emphasis: 'bad' as const } : {}) },
    ],
    objectives: [
      objective('RPO: newest archived WAL', s.rpo.wal),
      objective('RPO: newest dump', s.rpo.dump),
      objective('RPO: newest base backup', s.rpo.baseBackup),
      {
        name: 'RTO: last measured restore',
        achieved: s.rto.lastRestoreSeconds === undefined ? 'no verified dump yet' : `${formatDuration(s.rto.lastRestoreSeconds)}${s.rto.from ? ` (${s.rto.from})` : ''}`,
        target: s.rto.targetSeconds === undefined ? 'not declared' : formatDuration(s.rto.targetSeconds),
        status: targetStatus(s.rto.status),
      },
    ],
    checklist: s.checklist.map((c) => ({ title: c.title, status: c.status, detail: c.detail, ...(c.fix ? { fix: c.fix } : {}) })),
    ...hourChart(hours, when),
    chartNote: chart.archive
      ? `Archived segments by file time in ${chart.archive}; failures from this window's polls.`
      : 'No archive folder is known for this connection: failures from polls only. Add the folder in the WAL Archive view.',
  };
}

/** The 24 hours, oldest first, each labelled with its local start (`19:00`), and a scale that ends on a round number. */
function hourChart(hours: Map<string, { archived: number; failed: number }>, when: WhenOptions): Pick<HealthModel, 'chart' | 'chartMax'> {
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone: when.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const hourText = (iso: string): string => clock.format(new Date(iso));
  const chart = [...hours.entries()].sort(([x], [y]) => x.localeCompare(y)).map(([hour, v]) => ({ hour: hourText(hour), ...v }));
  return { chart, chartMax: niceCeiling(Math.max(0, ...chart.map((c) => c.archived + c.failed))) };
}

/** The smallest of 1, 2, 5, 10, 20, 50… at or above `n`: the top of the chart's scale. */
export function niceCeiling(n: number): number {
  for (let step = 1; ; step *= 10) {
    for (const m of [1, 2, 5]) if (m * step >= n) return m * step;
  }
}

function objective(name: string, t: AgeAgainstTarget): HealthModel['objectives'][number] {
  return {
    name,
    achieved: t.ageSeconds === null ? (t.note ?? 'none found') : `${formatDuration(t.ageSeconds)}${t.newest ? ` (${t.newest})` : ''}`,
    target: t.targetSeconds === undefined ? 'not declared' : formatDuration(t.targetSeconds),
    status: targetStatus(t.status),
  };
}

function targetStatus(s: AgeAgainstTarget['status']): CheckStatus | 'none' {
  return s === 'met' ? 'pass' : s === 'missed' ? 'fail' : s === 'no-data' ? 'warn' : 'none';
}
