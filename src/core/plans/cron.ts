// A plan as a crontab block: the OnCalendar expression as cron's five fields where they mean the same, the run under `flock -n`, between markers that make re-installing replace it.
import { cronField, type CalendarSpec } from './calendar';
import { planSummary, runArgv, type RunTarget } from './schedule';
import { shellWord } from '../platform/shell';

/** The five cron fields (minute hour day month weekday) for `spec`, or why cron cannot run it at the same times. */
export function cronFields(spec: CalendarSpec): { fields: string } | { problem: string } {
  const refuse = (why: string) => ({ problem: `cron cannot run "${spec.expression}": ${why}; use --systemd, or change the schedule` });
  const seconds = spec.seconds;
  if (seconds === '*' || seconds.length !== 1 || seconds[0]?.from !== 0 || seconds[0].to !== undefined || seconds[0].step !== undefined) {
    return refuse('cron starts jobs on whole minutes only, and this schedule names seconds');
  }
  if (spec.years !== '*') return refuse('cron has no year field');
  if (spec.days !== '*' && spec.weekdays !== '*') {
    return refuse('it names both days of the month and weekdays, and cron runs a job when either matches where systemd waits for both');
  }
  return {
    fields: [cronField(spec.minutes, 59), cronField(spec.hours, 23), cronField(spec.days, 31), cronField(spec.months, 12), cronField(spec.weekdays, 7)].join(' '),
  };
}

export interface CronTarget extends RunTarget {
  /** The file `flock -n` holds, so a run still going when the next is due makes the next one skip. */
  lockFile: string;
  /** For /etc/cron.d, whose lines name the user they run as; absent for a user's crontab. */
  user?: string;
  /** The zone cron runs in: Debian's cron has no CRON_TZ, so a plan in another zone cannot be run by it. */
  machineZone: string;
}

export const beginMarker = (plan: string) => `# BEGIN pgbr ${plan}`;
export const endMarker = (plan: string) => `# END pgbr ${plan}`;

/** The plan's block (markers included, ending in a newline), or why cron cannot run it. */
export function cronBlock(target: CronTarget): { text: string } | { problem: string } {
  const { plan } = target;
  if (plan.timezone && plan.timezone !== target.machineZone) {
    return {
      problem: `cron cannot run plan "${plan.name}" in ${plan.timezone}: Debian's cron runs every line in the machine's zone (${target.machineZone}) and has no CRON_TZ; use --systemd, or set timezone: ${target.machineZone}`,
    };
  }
  const fields = cronFields(plan.schedule);
  if ('problem' in fields) return fields;
  const command = ['flock', '-n', target.lockFile, ...runArgv(target)].map(cronWord).join(' ');
  const line = [fields.fields, ...(target.user !== undefined ? [target.user] : []), command].join(' ');
  const summary = `${planSummary(plan)}; schedule ${plan.schedule.expression.trim()}`;
  return { text: [beginMarker(plan.name), `# ${summary.replace(/\n/g, ' ')}`, line, endMarker(plan.name), ''].join('\n') };
}

/**
 * `crontab` with the plan's block put in place of the one already there, added at the end when there is
 * none, or removed when `block` is undefined. Running it twice gives the same text.
 */
export function withCronBlock(crontab: string, plan: string, block: string | undefined): string {
  const lines = crontab.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const begin = lines.findIndex((l) => l.trim() === beginMarker(plan));
  const end = begin < 0 ? -1 : lines.findIndex((l, i) => i > begin && l.trim() === endMarker(plan));
  if (begin >= 0 && end < 0) {
    throw new Error(`the crontab has "${beginMarker(plan)}" without its "${endMarker(plan)}" line: fix it by hand (crontab -e) and try again`);
  }
  const replacement = block === undefined ? [] : block.replace(/\n$/, '').split('\n');
  if (begin >= 0) lines.splice(begin, end - begin + 1, ...replacement);
  else lines.push(...replacement);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The /etc/cron.d file for a plan: Debian's cron ignores names with dots, and plan names have none. */
export function cronFileName(plan: string): string {
  return `pgbr-${plan}`;
}

/** One word for /bin/sh in a crontab line: `%` escaped, since cron turns a bare one into a newline. */
function cronWord(word: string): string {
  return shellWord(word).replace(/%/g, '\\%');
}
