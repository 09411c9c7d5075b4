// Installing a plan's schedule: what would be written where and which commands run (the preview), then doing exactly that, or undoing it.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import { pathExists, writeFileAtomic } from '../platform/fsutil';
import { formatCommandLine, runTool } from '../platform/runner';
import { formatStamp } from '../platform/when';
import { cronBlock, cronFileName, withCronBlock } from './cron';
import { BACKREST_TYPES } from './backrestPlan';
import type { RunTarget } from './schedule';
import { typedTargets, unitNames } from './schedule';
import { planUnits, type UnitFiles } from './systemd';

export type Scheduler = 'systemd' | 'cron';

/** Where schedules go and which programs install them; each can be moved by an environment variable (tests, other layouts). */
export interface SchedulePlaces {
  /** `--user`: the user's own units or crontab, instead of the system's. */
  user: boolean;
  /** The account the system units or /etc/cron.d line run as: the workspace's owner. */
  runAs: string;
  systemdDir: string;
  systemctl: string;
  crontab: string;
  cronDir: string;
  /** True when pgbr runs as root: system cron lines go to /etc/cron.d, else to the user's crontab. */
  root: boolean;
  machineZone: string;
}

/** The environment variables that move `SchedulePlaces`, documented in the README. */
export function schedulePlaces(env: NodeJS.ProcessEnv, user: boolean, runAs: string, machineZone: string): SchedulePlaces {
  const configHome = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return {
    user,
    runAs,
    systemdDir: env.PGBR_SYSTEMD_DIR || (user ? path.join(configHome, 'systemd', 'user') : '/etc/systemd/system'),
    systemctl: env.PGBR_SYSTEMCTL || 'systemctl',
    crontab: env.PGBR_CRONTAB || 'crontab',
    cronDir: env.PGBR_CRON_DIR || '/etc/cron.d',
    root: process.getuid?.() === 0,
    machineZone,
  };
}

export interface SchedulePreview {
  scheduler: Scheduler;
  plan: string;
  /** Files written whole (unit files, an /etc/cron.d file). */
  files: { path: string; text: string }[];
  /** A block put into a user's crontab through `crontab -l` / `crontab -`. */
  crontabBlock?: string;
  /** Run after writing, in order. */
  commands: string[][];
  notes: string[];
}

/** What installing `target` with `scheduler` writes and runs; nothing is touched. */
export function previewSchedule(scheduler: Scheduler, target: RunTarget, places: SchedulePlaces): SchedulePreview {
  const base = { scheduler, plan: target.plan.name, files: [], commands: [], notes: [] };
  if (scheduler === 'systemd') {
    // A pgbackrest plan: a service and timer per backup type, each running pgbr run --type.
    const units = typedTargets(target).map((t) => planUnits(t, places.user ? undefined : places.runAs));
    for (const u of units) if ('problem' in u) throw new PgbrError('usage', u.problem);
    const made = units as UnitFiles[];
    const systemctl = [places.systemctl, ...(places.user ? ['--user'] : [])];
    const notes = places.user
      ? [`user timers run only while ${places.runAs} is logged in, unless lingering is on: loginctl enable-linger ${places.runAs}`]
      : [];
    return {
      ...base,
      files: made.flatMap((u) => [u.service, u.timer]).map((u) => ({ path: path.join(places.systemdDir, u.name), text: u.text })),
      commands: [[...systemctl, 'daemon-reload'], ...made.map((u) => [...systemctl, 'enable', '--now', u.timer.name])],
      notes,
    };
  }
  const cronDotD = places.root && !places.user;
  const block = cronBlock({
    ...target,
    lockFile: path.join(target.workspace, `.pgbr-${target.plan.name}.cron.lock`),
    machineZone: places.machineZone,
    ...(cronDotD ? { user: places.runAs } : {}),
  });
  if ('problem' in block) throw new PgbrError('usage', block.problem);
  if (cronDotD) return { ...base, files: [{ path: path.join(places.cronDir, cronFileName(target.plan.name)), text: cronHeader() + block.text }] };
  return { ...base, crontabBlock: block.text };
}

/** The exact text and where it goes, the commands that follow, and when it would run: what `--print` and Install Schedule… show. */
export function scheduleText(preview: SchedulePreview, runs: readonly Date[], zone: string): string {
  const lines: string[] = [];
  for (const file of preview.files) lines.push(`# ${file.path}`, file.text.replace(/\n$/, ''), '');
  if (preview.crontabBlock !== undefined) lines.push('# in your crontab (crontab -l, then crontab -):', preview.crontabBlock.replace(/\n$/, ''), '');
  if (preview.commands.length) lines.push('# then:', ...preview.commands.map((c) => formatCommandLine(c[0] as string, c.slice(1))), '');
  lines.push(`# next runs (${zone}):`, ...runs.map((d) => formatStamp(d, { timeZone: zone })));
  lines.push(...preview.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}

function cronHeader(): string {
  return '# Written by pgbr schedule --cron; pgbr schedule --remove deletes this file.\nSHELL=/bin/sh\n';
}

/** Writes what the preview shows and runs its commands; an error says what is already in place. */
export async function installSchedule(preview: SchedulePreview, places: SchedulePlaces): Promise<string[]> {
  const done: string[] = [];
  for (const file of preview.files) {
    await fs.mkdir(path.dirname(file.path), { recursive: true });
    await writeFileAtomic(file.path, file.text, 0o644);
    done.push(`wrote ${file.path}`);
  }
  if (preview.crontabBlock !== undefined) {
    const current = await readCrontab(places);
    const next = withCronBlock(current, preview.plan, preview.crontabBlock);
    if (next === current) done.push(`the crontab already has plan ${preview.plan}'s lines`);
    else {
      await writeCrontab(places, next);
      done.push(`${current.includes(`# BEGIN pgbr ${preview.plan}`) ? 'replaced' : 'added'} plan ${preview.plan}'s lines in the crontab`);
    }
  }
  for (const command of preview.commands) {
    await runScheduler(command, done.length ? `${done.join('; ')}; ` : '');
    done.push(`ran ${formatCommandLine(command[0] as string, command.slice(1))}`);
  }
  return done;
}

/** Undoes `installSchedule`: the timer disabled and stopped, the files removed, systemd reloaded; the crontab block taken out. */
export async function removeSchedule(scheduler: Scheduler, target: RunTarget, places: SchedulePlaces): Promise<string[]> {
  // Removing needs only where the schedule went, so a plan cron can no longer run (its zone changed) still comes out.
  // Every type's units of a pgbackrest plan, so a type its schedules no longer list comes out too.
  const units = target.plan.backrest ? BACKREST_TYPES.map((t) => unitNames(target.plan, t)) : [unitNames(target.plan)];
  const preview: SchedulePreview =
    scheduler === 'systemd'
      ? { scheduler, plan: target.plan.name, files: units.flatMap((u) => [u.service, u.timer]).map((name) => ({ path: path.join(places.systemdDir, name), text: '' })), commands: [], notes: [] }
      : places.root && !places.user
        ? { scheduler, plan: target.plan.name, files: [{ path: path.join(places.cronDir, cronFileName(target.plan.name)), text: '' }], commands: [], notes: [] }
        : { scheduler, plan: target.plan.name, files: [], crontabBlock: '', commands: [], notes: [] };
  const done: string[] = [];
  const present: string[] = [];
  for (const file of preview.files) if (await pathExists(file.path)) present.push(file.path);
  for (const timer of units.map((u) => u.timer)) {
    if (scheduler !== 'systemd' || !present.some((p) => path.basename(p) === timer)) continue;
    const disable = [places.systemctl, ...(places.user ? ['--user'] : []), 'disable', '--now', timer];
    await runScheduler(disable, done.length ? `${done.join('; ')}; ` : '');
    done.push(`ran ${formatCommandLine(disable[0] as string, disable.slice(1))}`);
  }
  for (const file of present) {
    await fs.rm(file, { force: true });
    done.push(`removed ${file}`);
  }
  if (scheduler === 'systemd' && present.length) {
    const reload = [places.systemctl, ...(places.user ? ['--user'] : []), 'daemon-reload'];
    await runScheduler(reload, `${done.join('; ')}; `);
    done.push(`ran ${formatCommandLine(reload[0] as string, reload.slice(1))}`);
  }
  if (preview.crontabBlock !== undefined) {
    const current = await readCrontab(places);
    const next = withCronBlock(current, preview.plan, undefined);
    if (next !== current) {
      await writeCrontab(places, next);
      done.push(`removed plan ${preview.plan}'s lines from the crontab`);
    }
  }
  if (!done.length) done.push(`plan ${preview.plan} has no ${scheduler} schedule installed: nothing to remove`);
  return done;
}

async function runScheduler(command: string[], already: string): Promise<void> {
  const [file, ...args] = command as [string, ...string[]];
  const result = await runTool({ file, args, missingHint: 'install systemd, or use --cron' });
  if (result.status === 'succeeded') return;
  const message = result.status === 'failed' ? result.message : `${file} was cancelled`;
  throw new PgbrError('tool-failed', `${already}${formatCommandLine(file, args)} failed (${message}): fix the cause and run the same pgbr schedule command again.`);
}

async function readCrontab(places: SchedulePlaces): Promise<string> {
  const result = await runTool({ file: places.crontab, args: ['-l'], collectStdout: true, missingHint: 'install cron (apt-get install cron), or use --systemd' });
  if (result.status === 'succeeded') return result.stdout;
  // `crontab -l` exits 1 with "no crontab for USER" when there is none yet.
  if (result.status === 'failed' && result.stderrTail.some((l) => /no crontab for/i.test(l))) return '';
  throw new PgbrError('tool-failed', `cannot read the crontab (${result.status === 'failed' ? result.message : 'cancelled'}): check that cron is installed and crontab -l works.`);
}

async function writeCrontab(places: SchedulePlaces, text: string): Promise<void> {
  const result = await runTool({ file: places.crontab, args: ['-'], stdin: text, missingHint: 'install cron (apt-get install cron), or use --systemd' });
  if (result.status !== 'succeeded') {
    throw new PgbrError('tool-failed', `the crontab was not changed: crontab - failed (${result.status === 'failed' ? result.message : 'cancelled'}); check the lines with --print.`);
  }
}

/** The name of the account that owns `folder` (from /etc/passwd), else its numeric id: system units run as it. */
export async function ownerOf(folder: string): Promise<string> {
  const { uid } = await fs.stat(folder);
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd.split('\n').find((l) => l.split(':')[2] === String(uid));
  return entry?.split(':')[0] || String(uid);
}

/**
 * What `systemd-analyze calendar` says of `expression`: `problem` when it refuses it; `checked: false`
 * when systemd-analyze is not installed (the expression is then checked by pgbr alone).
 */
export async function systemdCalendarCheck(expression: string, program = 'systemd-analyze'): Promise<{ checked: boolean; problem?: string }> {
  const result = await runTool({ file: program, args: ['calendar', expression], env: { TZ: 'UTC' } });
  if (result.status === 'succeeded') return { checked: true };
  if (result.status === 'failed' && result.exitCode === null && result.signal === undefined) return { checked: false };
  return { checked: true, problem: `systemd-analyze refuses OnCalendar=${expression}: ${result.stderrTail.at(-1) ?? 'no reason given'}` };
}
