// What Install Schedule… offers and says: the schedulers to pick from, the Node.js a schedule runs pgbr with, and failures in the user's words (no vscode import: unit tests read it).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorMessage, formatCommandLine } from '../core/platform';
import type { SchedulePlaces, SchedulePreview, Scheduler } from '../core/plans';

export interface SchedulerChoice {
  scheduler: Scheduler;
  /** `--user`: the user's own units (or crontab). */
  user: boolean;
  label: string;
  detail: string;
}

/** The three ways to schedule a plan here, each saying where it goes and what it needs. */
export function schedulerChoices(system: SchedulePlaces, user: SchedulePlaces): SchedulerChoice[] {
  return [
    {
      scheduler: 'systemd',
      user: false,
      label: 'systemd system timer',
      detail: `into ${system.systemdDir}, runs as ${system.runAs} whether anyone is logged in; writing there needs root`,
    },
    {
      scheduler: 'systemd',
      user: true,
      label: 'systemd user timer',
      detail: `into ${user.systemdDir}; runs while ${user.runAs} is logged in, or always after loginctl enable-linger ${user.runAs}`,
    },
    system.root
      ? { scheduler: 'cron', user: false, label: 'cron', detail: `into ${path.join(system.cronDir, `pgbr-…`)}, a line that runs as ${system.runAs}` }
      : { scheduler: 'cron', user: false, label: 'cron', detail: 'into your crontab (crontab -l, then crontab -), between # BEGIN pgbr and # END pgbr lines' },
  ];
}

/** `the systemd user timer` / `the crontab lines`: what the confirmation and the result name. */
export function scheduleNoun(choice: Pick<SchedulerChoice, 'scheduler' | 'user'>): string {
  if (choice.scheduler === 'cron') return 'crontab lines';
  return choice.user ? 'systemd user timer' : 'systemd timer';
}

/** What the confirmation lists: every file written, the crontab change, the commands run after. */
export function scheduleSteps(preview: SchedulePreview): string[] {
  return [
    ...preview.files.map((f) => `write ${f.path}`),
    ...(preview.crontabBlock !== undefined ? ['add the lines to your crontab (or replace the ones there)'] : []),
    ...preview.commands.map((c) => `run ${formatCommandLine(c[0] as string, c.slice(1))}`),
  ];
}

/**
 * The Node.js program a schedule runs pgbr with. The extension host is Node.js itself in a server
 * (code-server, a remote) but Electron on the desktop, which runs scripts only with a variable set:
 * then the first `node` on PATH.
 */
export async function nodeProgram(
  host: { versions: NodeJS.ProcessVersions; execPath: string; path: string | undefined },
  isExecutable: (file: string) => Promise<boolean> = executable,
): Promise<string | undefined> {
  if (!host.versions.electron) return host.execPath;
  for (const dir of (host.path ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'node');
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

const executable = (file: string): Promise<boolean> => fs.access(file, fs.constants.X_OK).then(() => true, () => false);

export const NO_NODE =
  'No Node.js program was found on PATH, and a schedule runs pgbr with one: install Node.js 20 or later (apt-get install nodejs) and try again.';

export interface FailureContext {
  choice: Pick<SchedulerChoice, 'scheduler' | 'user'>;
  plan: string;
  /** The pgbr command a person can run in a terminal instead (with sudo for system places). */
  pgbrArgv: string[];
}

/** What went wrong installing or removing a schedule, and what to do: another scheduler, the user timer, or sudo. */
export function scheduleFailure(e: unknown, how: FailureContext): string {
  const message = errorMessage(e);
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  const file = typeof e === 'object' && e !== null && 'path' in e ? String(e.path) : undefined;
  const [program, ...args] = how.pgbrArgv as [string, ...string[]];
  const sudo = `sudo ${formatCommandLine(program, args)}`;
  const system = !how.choice.user;
  const denied = code === 'EACCES' || code === 'EPERM' || /access denied|permission denied|interactive authentication required|not permitted/i.test(message);
  if (denied && system) {
    const what = code && file ? `${file} cannot be written (permission denied)` : message;
    const instead = how.choice.scheduler === 'systemd' ? 'pick "systemd user timer" instead, or run in a terminal' : 'run in a terminal';
    return `${what}: system schedules need root; ${instead}: ${sudo}`;
  }
  if (denied) return `${message}: check that you own ${file ?? 'the folder'} and try again.`;
  if (/systemctl was not found|was not found at .*systemctl/i.test(message)) {
    return 'systemctl was not found: this machine does not run systemd (a container, WSL without systemd?); pick cron instead.';
  }
  if (/crontab was not found/i.test(message)) return 'crontab was not found: install cron (apt-get install cron), or pick a systemd timer.';
  if (/failed to connect to bus|no medium found/i.test(message)) {
    return `${message}: systemctl --user cannot reach your user manager (no login session, or su without a login); log in as this user, or pick cron.`;
  }
  return message;
}
