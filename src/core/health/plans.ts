// Whether a workspace's plans keep its backups going: the last runs, missed schedules, and retention that
// was applied (not merely written down). Read from each plan's run journal.
import type { CheckItem } from './snapshot';
import type { JournalSummary } from '../plans/journal';
import { formatDuration } from '../platform/duration';
import { plural } from '../platform/plural';
import { at } from './measures';
import type { OffsiteHealth } from './offsite';

/** What the checklist needs to know of one plan. */
export interface PlanHealth {
  name: string;
  /** Seconds between two scheduled runs; absent when the schedule could not be read. */
  periodSeconds?: number;
  /** The plan has keep rules (`keep:` with a count or `within`). */
  keepRules: boolean;
  lastRun?: { outcome: 'succeeded' | 'failed'; endedAt: Date; error?: string };
  lastSuccess?: { endedAt: Date };
  /** Each remote the plan copies to (as manifests record it), with the state of the copies there. */
  offsite?: OffsiteHealth[];
  /** The newest run that applied the keep rules without an error. */
  lastPrune?: { endedAt: Date; removed: number };
}

/** The journal's summary as the checklist reads it. */
export function planHealthFrom(plan: { name: string; periodSeconds?: number; keepRules: boolean; offsite?: OffsiteHealth[] }, summary: JournalSummary): PlanHealth {
  const { lastRun, lastSuccess, lastPrune } = summary;
  return {
    ...plan,
    ...(lastRun && lastRun.outcome !== 'skipped'
      ? { lastRun: { outcome: lastRun.outcome, endedAt: new Date(lastRun.endedAt), ...(lastRun.error ? { error: lastRun.error.message } : {}) } }
      : {}),
    ...(lastSuccess ? { lastSuccess: { endedAt: new Date(lastSuccess.endedAt) } } : {}),
    ...(lastPrune?.retention ? { lastPrune: { endedAt: new Date(lastPrune.endedAt), removed: lastPrune.retention.removed.length } } : {}),
  };
}

type Item = (status: CheckItem['status'], detail: string, fix?: string) => CheckItem;

/**
 * Fails when a plan's last run failed, or its last success is older than two of its periods (a schedule
 * that stopped firing); warns when no plan is declared or one has never run.
 */
export function checkPlans(plans: readonly PlanHealth[] | undefined, now: Date, item: Item): CheckItem {
  if (!plans || plans.length === 0) {
    return item(
      'warn',
      'no plan backs up this connection, so its backups are taken by hand.',
      'add a plan under plans: in pgbackup.yaml and install its schedule with pgbr schedule PLAN --systemd --install.',
    );
  }
  const failed = plans.filter((p) => p.lastRun?.outcome === 'failed');
  if (failed.length) {
    const p = failed[0] as PlanHealth & { lastRun: NonNullable<PlanHealth['lastRun']> };
    const why = p.lastRun.error ? `: ${p.lastRun.error.replace(/\.$/, '')}` : '';
    const others = failed.length > 1 ? ` (${plural(failed.length - 1, 'other plan')} failed too)` : '';
    return item('fail', `the last run of plan ${p.name} failed ${at(p.lastRun.endedAt, now)}${why}${others}.`, `fix what it says, then run it again with pgbr run ${p.name}.`);
  }
  const missed = plans.filter((p) => p.periodSeconds !== undefined && p.lastSuccess && (now.getTime() - p.lastSuccess.endedAt.getTime()) / 1000 > 2 * p.periodSeconds);
  if (missed.length) {
    const p = missed[0] as PlanHealth & { lastSuccess: { endedAt: Date }; periodSeconds: number };
    return item(
      'fail',
      `plan ${p.name} last succeeded ${at(p.lastSuccess.endedAt, now)}, more than two of its periods (${formatDuration(p.periodSeconds)}) ago: its schedule is not running.`,
      `check its timer (systemctl list-timers pgbr-${p.name}.timer) or crontab, or install it again with pgbr schedule ${p.name} --install.`,
    );
  }
  const never = plans.filter((p) => !p.lastRun);
  if (never.length) {
    return item('warn', `${plural(never.length, 'plan')} (${never.map((p) => p.name).join(', ')}) never ran.`, `run it once with pgbr run ${never[0]?.name ?? 'PLAN'} and install its schedule.`);
  }
  const newest = plans.map((p) => p.lastSuccess?.endedAt).filter((d): d is Date => d !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
  return item('pass', `the last run of each of the ${plural(plans.length, 'plan')} succeeded (newest ${at(newest ?? null, now)}).`);
}

/** Passes only when a plan with keep rules has pruned: a declaration alone removes nothing. */
export function checkRetention(plans: readonly PlanHealth[] | undefined, declared: unknown, now: Date, item: Item): CheckItem {
  const keeping = (plans ?? []).filter((p) => p.keepRules);
  const pruned = keeping.filter((p) => p.lastPrune).sort((a, b) => (b.lastPrune?.endedAt.getTime() ?? 0) - (a.lastPrune?.endedAt.getTime() ?? 0));
  const done = pruned[0];
  if (done?.lastPrune) {
    const waiting = keeping.length - pruned.length;
    const rest = waiting ? `; ${plural(waiting, 'other plan')} with keep rules did not prune yet` : '';
    return item(
      waiting ? 'warn' : 'pass',
      `plan ${done.name} applied its keep rules ${at(done.lastPrune.endedAt, now)} and removed ${plural(done.lastPrune.removed, 'backup')}${rest}.`,
      waiting ? 'run those plans (pgbr run PLAN), which prune after each backup.' : undefined,
    );
  }
  if (keeping.length) {
    return item(
      'warn',
      `${keeping.map((p) => `plan ${p.name}`).join(', ')} ${keeping.length === 1 ? 'has' : 'have'} keep rules but never pruned, so nothing has been removed yet.`,
      `run pgbr run ${keeping[0]?.name ?? 'PLAN'} (it prunes after the backup), or preview it with pgbr prune ${keeping[0]?.name ?? 'PLAN'} --dry-run.`,
    );
  }
  if (declared !== undefined) {
    return item(
      'warn',
      'retention is written in pgbackup.yaml, but no plan applies it: nothing is ever removed.',
      'give a plan keep rules, e.g. keep: { daily: 7, weekly: 4, monthly: 6 }, and let it run.',
    );
  }
  return item('warn', 'no plan has keep rules, so old dumps and WAL are kept until the disk fills.', 'give a plan keep rules, e.g. keep: { daily: 7, weekly: 4, monthly: 6 }.');
}
