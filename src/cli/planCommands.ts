// `pgbr plans` and `pgbr schedule`: the workspace's plans with their next runs, and their systemd timers or crontab lines printed, installed or removed.
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { machineZone, previewSchedule, installSchedule, ownerOf, removeSchedule, schedulePlaces, systemdCalendarCheck, type Scheduler, scheduleText, describePlans, type RunTarget, onCalendar, planCalendars, planNextRuns } from '../core/plans';
import { PgbrError, formatStamp } from '../core/platform';
import { jsonOption, workspaceOption } from './commands';
import type { CliContext, Io } from './io';
import { Exit, makeOutput, table } from './output';
import { cliPlaces, profilesFor } from './workspace';
import { findPlan } from './plans';
import { runningProgram } from './self';

const UNCHECKED = 'systemd-analyze is not installed: the schedule was checked by pgbr only';

interface PlansOptions {
  workspace: string;
  json?: boolean;
}

interface ScheduleOptions extends PlansOptions {
  systemd?: boolean;
  cron?: boolean;
  print?: boolean;
  install?: boolean;
  remove?: boolean;
  user?: boolean;
}

export async function plansCommand(opts: PlansOptions, io: Io, now = new Date()): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const loaded = await profilesFor(opts.workspace, io);
    const zone = machineZone();
    const plans = describePlans(loaded.config ?? {}, cliPlaces(opts.workspace), now, zone);
    const problems = loaded.problems.filter((p) => p.plan !== undefined).map((p) => ({ plan: p.plan, file: p.file, line: p.line, column: p.column, message: p.message }));
    out.result({ plans: plans.map((p) => ({ ...p, nextRuns: p.nextRuns.map((d) => d.toISOString()) })), problems }, () => {
      const lines: string[] = [];
      if (!plans.length) lines.push(problems.length ? 'No plan loads: fix the problems pgbr lists on stderr.' : 'No plans: add a plans: list to pgbackup.yaml (see the README, "Plans").');
      else {
        const rows = [['PLAN', 'BACKUP', 'CONNECTION', 'SCHEDULE', 'NEXT RUN', 'FOLDER']];
        for (const p of plans) {
          const next = p.nextRuns[0] ? formatStamp(p.nextRuns[0], { timeZone: p.timezone }) : 'never (no time matches)';
          rows.push([p.name, p.database ? `${p.backup} ${p.database}` : p.stanza ? `${p.backup} ${p.stanza}` : p.backup, p.connection, `${p.schedule}${p.machineTimezone ? '' : ` ${p.timezone}`}`, next, p.folder]);
        }
        lines.push(table(rows));
      }
      return lines.join('\n');
    });
    if (!opts.json) for (const p of problems) io.err(`pgbr: ${p.file ?? ''}${p.line ? `:${p.line}` : ''}${p.column ? `:${p.column}` : ''}: ${p.message}\n`);
    return problems.length ? Exit.Error : Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

export async function scheduleCommand(name: string, opts: ScheduleOptions, io: Io, now = new Date()): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const scheduler = pickOne<Scheduler>({ systemd: opts.systemd, cron: opts.cron }, 'say which scheduler: --systemd or --cron');
    const action = pickOne({ print: opts.print, install: opts.install, remove: opts.remove }, 'say what to do: --print, --install or --remove');
    const plan = await findPlan(name, opts.workspace, io);
    const workspace = path.resolve(opts.workspace);
    const zone = machineZone();
    const places = schedulePlaces(io.env, !!opts.user, await ownerOf(workspace), zone);
    const target: RunTarget = { plan, workspace, ...runningProgram(process.argv[1], process.execPath) };
    const preview = previewSchedule(scheduler, target, places);
    if (scheduler === 'systemd' && action !== 'remove') {
      for (const schedule of planCalendars(plan)) {
        const check = await systemdCalendarCheck(onCalendar({ ...plan, schedule }));
        if (!check.checked && !preview.notes.includes(UNCHECKED)) preview.notes.push(UNCHECKED);
        if (check.problem) throw new PgbrError('config', `plan "${plan.name}": ${check.problem}; fix ${plan.backrest ? 'schedules' : 'schedule'}: in pgbackup.yaml.`);
      }
    }
    const done = action === 'print' ? [] : action === 'install' ? await installSchedule(preview, places) : await removeSchedule(scheduler, target, places);
    const runs = planNextRuns(plan, plan.timezone ?? zone, now, 5);
    out.result({ ...preview, action, done, nextRuns: runs.map((d) => d.toISOString()) }, () =>
      action === 'print' ? scheduleText(preview, runs, plan.timezone ?? zone) : [...done, ...(action === 'install' ? preview.notes : [])].join('\n'),
    );
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

/** The one flag of a group that is set, or a usage error. */
function pickOne<K extends string>(flags: Record<K, boolean | undefined>, ask: string): K {
  const set = (Object.keys(flags) as K[]).filter((k) => flags[k]);
  if (set.length === 1) return set[0] as K;
  throw new PgbrError('usage', set.length ? `--${set.join(' and --')} cannot be used together: ${ask}.` : `${ask}.`);
}

/** The loaded plan, or why there is none: its own problem in pgbackup.yaml, or the names there are. */
export function addPlanCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('plans')
    .description('list the plans of pgbackup.yaml with their next run times; exit 2 when a plan has a problem')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: PlansOptions) => exit(await plansCommand(opts, io)));

  program
    .command('schedule')
    .description('print, install or remove the systemd timer or crontab lines that run a plan (pgbr run PLAN)')
    .argument('<plan>', 'a plan name from pgbackup.yaml')
    .addOption(new Option('--systemd', 'pgbr-PLAN.service and pgbr-PLAN.timer'))
    .addOption(new Option('--cron', 'a block of crontab lines (as root without --user: /etc/cron.d/pgbr-PLAN)'))
    .addOption(new Option('--print', 'show the exact text and where it goes; change nothing'))
    .addOption(new Option('--install', 'write it, reload systemd and enable the timer (or edit the crontab)'))
    .addOption(new Option('--remove', 'undo --install'))
    .addOption(new Option('--user', "the user's own units (~/.config/systemd/user) or crontab instead of the system's"))
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (plan: string, opts: ScheduleOptions) => exit(await scheduleCommand(plan, opts, io)));
}
