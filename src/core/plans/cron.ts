// A plan as a crontab block (a line per backup type of a pgbackrest plan): the OnCalendar expression as cron's five fields where they mean the same, the run under `flock -n`, between markers that make re-installing replace it.
import { cronField, type CalendarSpec } from './calendar';
import { planSummary, runArgv, typedTargets, type RunTarget } from './schedule';
import { controlsAsSpaces, hasControlCharacter, shellWord } from '../platform/shell';

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

/** The plan's block (markers included, ending in a newline), or why cron cannot run it; a pgbackrest plan has a line per backup type. */
export function cronBlock(target: CronTarget): { text: string } | { problem: string } {
  const { plan } = target;
  const unreadable = wordWithControl(target);
  if (unreadable) return unreadable;
  if (plan.timezone && plan.timezone !== target.machineZone) {
    return {
      problem: `cron cannot run plan "${plan.name}" in ${plan.timezone}: Debian's cron runs every line in the machine's zone (${target.machineZone}) and has no CRON_TZ; use --systemd, or set timezone: ${target.machineZone}`,
    };
  }
  const lines: string[] = [];
  // One lock for every type: a full still running makes the diff due meanwhile skip, as pgBackRest would refuse it anyway.
  for (const typed of typedTargets(target)) {
    const fields = cronFields(typed.plan.schedule);
    if ('problem' in fields) return fields;
    const command = ['flock', '-n', target.lockFile, ...runArgv(typed)].map(cronWord).join(' ');
    const summary = `${planSummary(plan, typed.type)}; schedule ${typed.plan.schedule.expression.trim()}`;
    // Only a comment: a control character in a database or connection name is shown as a space instead of ending the line.
    lines.push(`# ${controlsAsSpaces(summary)}`, [fields.fields, ...(target.user !== undefined ? [target.user] : []), command].join(' '));
  }
  return { text: [beginMarker(plan.name), ...lines, endMarker(plan.name), ''].join('\n') };
}

/**
 * Why the block cannot be written when a word of its line holds a control character: shellWord would
 * write it as `$'…'`, which Debian's /bin/sh (dash) reads as a literal `$` and the escapes as text, and
 * a raw newline would end the crontab line halfway through the command.
 */
function wordWithControl(target: CronTarget): { problem: string } | undefined {
  const words: [string, string, string][] = [
    ["the plan's name", target.plan.name, 'rename the plan'],
    ['the workspace folder', target.workspace, 'move the workspace to a folder whose path has none'],
    ["pgbr's script", target.pgbr, 'install pgbr in a folder whose path has none'],
    ['the Node.js program', target.node, 'run pgbr with a Node.js whose path has none'],
    ['the lock file', target.lockFile, 'move the workspace to a folder whose path has none'],
    ...(target.user !== undefined ? ([['the user', target.user, 'run it as a user whose name has none']] as [string, string, string][]) : []),
  ];
  for (const [what, word, remedy] of words) {
    if (!hasControlCharacter(word)) continue;
    return {
      problem:
        `cron cannot run plan ${visible(target.plan.name)}: ${what} ${visible(word)} holds a control character (a newline, a tab or another invisible one): ` +
        `it would break the crontab line, and Debian's /bin/sh cannot read it quoted; ${remedy}`,
    };
  }
  return undefined;
}

/** In double quotes with every control character written as an escape (`\n`, `\u0085`), so the message shows where it is. */
export function visible(word: string): string {
  return JSON.stringify(word).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
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
