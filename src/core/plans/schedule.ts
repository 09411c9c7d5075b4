// What a plan's schedule installs, whichever scheduler runs it: the command it runs, the names it is installed under.
import type { BackrestBackupType } from '../backrest/info';
import { nextRuns, type CalendarSpec } from './calendar';
import type { Plan } from './config';

/** How the scheduler starts `pgbr run`: absolute paths, so neither PATH nor the current folder matters. */
export interface RunTarget {
  plan: Pick<Plan, 'name' | 'schedule' | 'timezone' | 'spread' | 'backup' | 'connection' | 'database' | 'backrest'>;
  /** The workspace folder holding pgbackup.yaml. */
  workspace: string;
  /** The Node.js program, and pgbr's script. */
  node: string;
  pgbr: string;
  /** A pgbackrest plan's backup type this target runs (`--type`), with `plan.schedule` that type's calendar. */
  type?: BackrestBackupType;
}

/** The program and arguments the scheduler runs. */
export function runArgv(target: RunTarget): string[] {
  return [target.node, target.pgbr, 'run', target.plan.name, ...(target.type ? ['--type', target.type] : []), '--workspace', target.workspace];
}

/** `pgbr-<plan>`, and `pgbr-<plan>-<type>` for each type of a pgbackrest plan (the config refuses plan names that would meet them). */
export function unitNames(plan: Pick<Plan, 'name'>, type?: BackrestBackupType): { service: string; timer: string } {
  const base = type ? `pgbr-${plan.name}-${type}` : `pgbr-${plan.name}`;
  return { service: `${base}.service`, timer: `${base}.timer` };
}

/** One target per calendar: a pgbackrest plan's schedules each with their type, any other plan as it is. */
export function typedTargets<T extends RunTarget>(target: T): T[] {
  const schedules = target.plan.backrest?.schedules;
  if (!schedules) return [target];
  return schedules.map((s) => ({ ...target, type: s.type, plan: { ...target.plan, schedule: s.schedule } }));
}

/** Every calendar of the plan: its schedule, or each of a pgbackrest plan's schedules. */
export function planCalendars(plan: Pick<Plan, 'schedule' | 'backrest'>): CalendarSpec[] {
  return plan.backrest ? plan.backrest.schedules.map((s) => s.schedule) : [plan.schedule];
}

/** The plan's calendar as people read it: the expression, or each pgbackrest calendar with its type. */
export function scheduleDescription(plan: Pick<Plan, 'schedule' | 'backrest'>): string {
  return plan.backrest ? plan.backrest.schedules.map((s) => `${s.schedule.expression} (${s.type})`).join('; ') : plan.schedule.expression;
}

/** The next `count` runs of any of the plan's calendars, in time order (one run where two calendars meet). */
export function planNextRuns(plan: Pick<Plan, 'schedule' | 'backrest'>, zone: string, from: Date, count: number): Date[] {
  const all = planCalendars(plan).flatMap((spec) => nextRuns(spec, zone, from, count));
  const unique = [...new Map(all.map((d) => [d.getTime(), d])).values()];
  return unique.sort((a, b) => a.getTime() - b.getTime()).slice(0, count);
}

/** One line on what the plan backs up, for unit descriptions and crontab comments. */
export function planSummary(plan: RunTarget['plan'], type?: BackrestBackupType): string {
  const what =
    plan.backup === 'dump' ? `dump of ${plan.database ?? 'a database'}`
    : plan.backup === 'globals' ? 'globals'
    : plan.backup === 'pgbackrest' ? `${type ?? 'pgBackRest'} backup of stanza ${plan.backrest?.stanza ?? '?'}`
    : 'base backup';
  return `pgbr plan ${plan.name}: ${what} on ${plan.connection}`;
}
