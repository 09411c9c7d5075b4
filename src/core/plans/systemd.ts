// A plan as systemd units: pgbr-<plan>.service runs `pgbr run` once, pgbr-<plan>.timer starts it on the plan's calendar.
import { controlsAsSpaces, hasControlCharacter } from '../platform/shell';
import { visible } from './cron';
import { planSummary, runArgv, unitNames, type RunTarget } from './schedule';

export interface UnitFiles {
  service: { name: string; text: string };
  timer: { name: string; text: string };
}

/**
 * `user`: the account a system unit runs as (the workspace's owner); user units (`--user`) run as their owner.
 * A problem instead when a word of the service holds a control character: a newline would end the
 * setting halfway (WorkingDirectory= takes no escapes), so the unit would run something else.
 */
export function planUnits(target: RunTarget, user?: string): UnitFiles | { problem: string } {
  const words: [string, string, string][] = [
    ['the workspace folder', target.workspace, 'move the workspace to a folder whose path has none'],
    ["pgbr's script", target.pgbr, 'install pgbr in a folder whose path has none'],
    ['the Node.js program', target.node, 'run pgbr with a Node.js whose path has none'],
    ...(user !== undefined ? ([['the user', user, 'run it as a user whose name has none']] as [string, string, string][]) : []),
  ];
  for (const [what, word, remedy] of words) {
    if (hasControlCharacter(word)) {
      return { problem: `systemd cannot run plan ${visible(target.plan.name)}: ${what} ${visible(word)} holds a control character (a newline, a tab or another invisible one), which would break the unit file; ${remedy}` };
    }
  }
  const names = unitNames(target.plan, target.type);
  const service = [
    '[Unit]',
    `Description=${escapeSpecifiers(controlsAsSpaces(planSummary(target.plan, target.type)))}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    ...(user !== undefined ? [`User=${user}`] : []),
    `WorkingDirectory=${escapeSpecifiers(target.workspace)}`,
    `ExecStart=${runArgv(target).map(execArgument).join(' ')}`,
    '',
  ];
  const timer = [
    '[Unit]',
    `Description=${escapeSpecifiers(controlsAsSpaces(`Schedule of ${planSummary(target.plan, target.type)}`))}`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar(target.plan)}`,
    // A run missed while the machine was off happens once at boot.
    'Persistent=true',
    ...(target.plan.spread ? [`RandomizedDelaySec=${target.plan.spread.seconds}`, 'FixedRandomDelay=true'] : []),
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ];
  return { service: { name: names.service, text: service.join('\n') }, timer: { name: names.timer, text: timer.join('\n') } };
}

/** The plan's expression exactly as written, with its zone appended (systemd reads a trailing IANA zone). */
export function onCalendar(plan: RunTarget['plan']): string {
  const expression = plan.schedule.expression.trim().replace(/\s+/g, ' ');
  return plan.timezone ? `${expression} ${plan.timezone}` : expression;
}

/** systemd expands `%x` specifiers in most settings; a literal `%` is `%%`. */
function escapeSpecifiers(text: string): string {
  return text.replace(/%/g, '%%');
}

/** One ExecStart= argument: bare when it is plain, else double-quoted with `\` and `"` escaped; `$` and `%` never expand. */
function execArgument(arg: string): string {
  const literal = escapeSpecifiers(arg).replace(/\$/g, '$$$$');
  return /^[A-Za-z0-9_@%+=:,./$-]+$/.test(literal) ? literal : `"${literal.replace(/[\\"]/g, '\\$&')}"`;
}
