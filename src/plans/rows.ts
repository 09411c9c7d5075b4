// What the Plans view says about a plan: its row's description and tooltip, the rows under it, its retention preview (no vscode import: unit tests read it).
import * as path from 'node:path';
import { formatBytes, formatDuration, formatWhen } from '../core/platform';
import type { PrunePreview } from '../core/retention';
import type { ExpirePreview } from '../core/backrest';
import type { JournalRecord, Plan, ScheduleState } from '../core/plans';

/** What a row needs to know of a plan: its schedule, its next runs, its keep rules, and its journal's last run. */
export interface PlanFacts {
  name: string;
  schedule: string;
  timezone: string;
  nextRuns: readonly Date[];
  keep?: Plan['keep'];
  lastRun?: JournalRecord;
  /** Where its schedule is installed and what systemd says of it; absent until it has been looked up. */
  installed?: ScheduleState;
}

const when = (d: Date | string, now: Date, timeZone: string): string => formatWhen(d, { now, timeZone });

/** `succeeded today 03:00 UTC · 5 h ago · next tomorrow 03:00 UTC`, or `never run · next …`. */
export function planDescription(plan: PlanFacts, now: Date): string {
  const last = plan.lastRun ? `${plan.lastRun.outcome} ${when(plan.lastRun.endedAt, now, plan.timezone)}` : 'never run';
  const next = plan.nextRuns[0];
  const runs = next ? `${last} · next ${formatWhen(next, { now, timeZone: plan.timezone, noAge: true })}` : `${last} · no next run`;
  return plan.installed ? `${runs} · ${scheduleStateText(plan.installed)}` : runs;
}

/** The last run in full: when, how long, how big, and what went wrong. */
export function lastRunLines(record: JournalRecord | undefined, now: Date, timeZone: string): string[] {
  if (!record) return ['No run in the journal yet: Run Now takes the first backup.'];
  const seconds = (new Date(record.endedAt).getTime() - new Date(record.startedAt).getTime()) / 1000;
  const lines = [`Last run ${record.outcome} ${when(record.endedAt, now, timeZone)}, took ${formatDuration(seconds)}`];
  if (record.backup) lines.push(`Backup ${record.backup.path} (${formatBytes(record.backup.bytes)})`);
  if (record.verification) lines.push(`Verification (${record.verification.what}) ${record.verification.outcome}`);
  if (record.retention) lines.push(`Retention kept ${record.retention.kept}, removed ${record.retention.removed.length}`);
  if (record.error) lines.push(`Error: ${record.error.message}`);
  return lines;
}

export function planTooltip(plan: PlanFacts, now: Date): string {
  return [`Plan ${plan.name}: ${plan.schedule} (${plan.timezone})`, ...lastRunLines(plan.lastRun, now, plan.timezone), ...scheduleStateLines(plan.installed)].join('\n');
}

/** `daily 7, weekly 4, within 2d`: the rules that keep something, or a sentence saying none do. */
export function keepRulesText(keep: PlanFacts['keep']): string {
  const rules = Object.entries(keep ?? {}).flatMap(([rule, value]: [string, number | { text: string } | undefined]) => {
    if (value === undefined) return [];
    if (typeof value === 'number') return value > 0 ? [`${rule} ${value}`] : [];
    return [`${rule} ${value.text}`];
  });
  return rules.length ? rules.join(', ') : 'no keep rules: nothing is removed';
}

/** The keep/remove table with each kept backup's reasons, as markdown. */
export function retentionTable(preview: PrunePreview): string {
  const rows = [
    ...preview.keep.map((k) => `| keep | ${k.time} | ${path.basename(k.path)} | ${k.reasons.join(', ')} |`),
    ...preview.remove.map((r) => `| remove | ${r.time} | ${path.basename(r.path)} | not kept by any rule |`),
  ];
  const lines = [`# Retention preview of plan ${preview.plan}`, '', 'Nothing has been removed: this is what a run of the plan would keep and remove.', ''];
  if (rows.length) lines.push('| | Started | Backup | Why |', '|---|---|---|---|', ...rows);
  else lines.push(`Plan ${preview.plan} has no backups yet.`);
  for (const s of preview.skipped) lines.push('', `Note: ${s}`);
  if (preview.wal) {
    const w = preview.wal;
    lines.push('', `WAL in ${w.archive}: would remove ${w.remove.length} files (${w.segments} segments, ${formatBytes(w.bytes)})${w.note ? `; ${w.note}` : ''}.`);
  }
  return lines.join('\n');
}

/** A pgbackrest plan's retention preview: each backup of the stanza kept (and why) or expired by `expire --set`. */
export function backrestRetentionTable(plan: string, stanza: string, backups: number, preview: ExpirePreview | undefined): string {
  const lines = [`# Retention preview of plan ${plan} (pgBackRest stanza ${stanza})`, '', 'Nothing has been expired: this is what a run of the plan would keep and expire with pgbackrest expire --set.', ''];
  if (!preview) return [...lines, `Plan ${plan} has no keep: rules, so its runs expire nothing (${backups} backups in the stanza).`].join('\n');
  const rows = [
    ...preview.keep.map((k) => `| keep | ${formatWhen(k.backup.startTime, { noAge: true })} | ${k.backup.label} (${k.backup.type}) | ${k.reasons.join(', ')} |`),
    ...preview.expire.map((b) => `| expire | ${formatWhen(b.startTime, { noAge: true })} | ${b.label} (${b.type}) | not kept by any rule |`),
  ];
  if (rows.length) lines.push('| | Started | Backup | Why |', '|---|---|---|---|', ...rows);
  else lines.push(`Stanza ${stanza} has no backups yet.`);
  return lines.join('\n');
}

/** `systemd timer · active`, `systemd user timer · inactive · out of date`, `cron`, or `not scheduled`. */
export function scheduleStateText(state: ScheduleState | undefined): string {
  if (!state) return 'schedule not checked yet';
  if (!state.installed.length) return state.problems.length ? 'schedule unknown' : 'not scheduled';
  return state.installed
    .map((i) => {
      const parts = [i.scheduler === 'cron' ? (i.where === 'cron.d' ? 'cron (/etc/cron.d)' : 'cron') : i.where === 'user' ? 'systemd user timer' : 'systemd timer'];
      if (i.active !== undefined) parts.push(i.active === 'active' ? 'active' : i.enabled && i.enabled !== 'enabled' ? `${i.active}, ${i.enabled}` : i.active);
      if (i.current === false) parts.push('out of date');
      return parts.join(' · ');
    })
    .join(' + ');
}

/** The schedule's lines for the tooltip: where each installed schedule is, and what could not be found out. */
export function scheduleStateLines(state: ScheduleState | undefined): string[] {
  if (!state) return [];
  if (!state.installed.length && !state.problems.length) return ['Schedule: not installed (Install Schedule… shows the units or crontab lines first)'];
  return [
    ...state.installed.map((i) => `Schedule: ${scheduleStateText({ installed: [i], problems: [] })} (${i.location})${i.current === false ? ': differs from what Install Schedule… writes now; install it again' : ''}`),
    ...state.problems.map((p) => `Schedule: ${p}`),
  ];
}

/** `keeps 9 · would remove 2` (and the archive files a base-backup plan's WAL clean-up would take). */
export function retentionSummary(preview: PrunePreview): string {
  if (!preview.keep.length && !preview.remove.length) return 'no backups yet';
  const wal = preview.wal && preview.wal.remove.length ? ` and ${preview.wal.remove.length} archive files` : '';
  return `keeps ${preview.keep.length} · would remove ${preview.remove.length}${wal}`;
}

/** The warning about a failed scheduled run: the plan, when it failed, and the error's first line. */
export function failedRunWarning(record: JournalRecord, now: Date, timeZone: string): string {
  const first = (record.error?.message ?? 'no error was recorded').split('\n')[0]?.trim() ?? '';
  return `Plan ${record.plan} failed ${when(record.endedAt, now, timeZone)} (started on ${record.host}): ${first}`;
}
