// Install Schedule… and Remove Schedule on a plan: the exact unit files or crontab lines shown read-only with where they go, a confirmation, then the core's install (what `pgbr schedule --install` does).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError } from '../core/platform';
import {
  BACKREST_TYPES,
  installSchedule,
  machineZone,
  onCalendar,
  ownerOf,
  planCalendars,
  planNamed,
  planNextRuns,
  previewSchedule,
  removeSchedule,
  schedulePlaces,
  scheduleState,
  scheduleText,
  systemdCalendarCheck,
  type Plan,
  type RunTarget,
  type SchedulePlaces,
  type ScheduleState,
} from '../core/plans';
import { NO_NODE, nodeProgram, scheduleFailure, scheduleNoun, scheduleSteps, schedulerChoices, type SchedulerChoice } from './scheduling';
import { scheduleStateText } from './rows';

export const SCHEDULE_SCHEME = 'pgbackup-schedule';

export const UNTRUSTED_INSTALL =
  'This folder is not trusted, and a schedule runs pgbr on its pgbackup.yaml on its own, again and again: trust the folder ("Workspaces: Manage Workspace Trust"), then install the schedule.';

/** What a caller may pass instead of being asked: the scheduler, `--user`, and that the confirmation was answered. */
export interface ScheduleChoices {
  scheduler?: 'systemd' | 'cron';
  user?: boolean;
  confirm?: boolean;
}

/** The text of a schedule as it would be written, shown read-only: nothing to save, nothing to edit by mistake. */
export class ScheduleTextProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  show(name: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: SCHEDULE_SCHEME, path: `/${name}` });
    this.texts.set(uri.path, text);
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.path) ?? '# This schedule preview is gone: run Install Schedule… again.\n';
  }

  dispose(): void {
    this.changed.dispose();
  }
}

interface Scheduling {
  plan: Plan;
  workspace: string;
  /** Absent when no Node.js was found to run pgbr with: then nothing can be installed, though what is installed is still found. */
  target?: RunTarget;
  system: SchedulePlaces;
  user: SchedulePlaces;
  zone: string;
}

/** Where a schedule of this plan goes from this editor: pgbr of this extension, run by Node.js, on this workspace folder. */
export async function scheduling(ctx: Ctx, name: string): Promise<Scheduling> {
  const { plan } = planNamed(await ctx.profiles(), name);
  const workspace = ctx.workspaceFolder;
  if (!workspace) throw new PgbrError('usage', 'Open the folder that holds pgbackup.yaml: a schedule runs pgbr on that folder.');
  const node = await nodeProgram({ versions: process.versions, execPath: process.execPath, path: process.env.PATH });
  const zone = machineZone();
  const runAs = await ownerOf(workspace);
  const places = { system: schedulePlaces(process.env, false, runAs, zone), user: schedulePlaces(process.env, true, runAs, zone) };
  if (!node) return { plan, workspace, zone, ...places };
  return { plan, workspace, zone, ...places, target: { plan, workspace, node, pgbr: path.join(ctx.extension.extensionPath, 'dist', 'pgbr.js') } };
}

function targetOf(s: Scheduling): RunTarget {
  if (!s.target) throw new PgbrError('tool-missing', NO_NODE);
  return s.target;
}

/** The plan's schedule as it is installed now, each place compared with what installing would write. */
export async function installedState(s: Scheduling): Promise<ScheduleState> {
  return scheduleState({
    plan: s.plan.name,
    // Any type's timer of a pgbackrest plan may be installed, one its schedules no longer list too.
    ...(s.plan.backrest ? { types: BACKREST_TYPES } : {}),
    system: s.system,
    user: s.user,
    expected: (scheduler, user) => {
      if (!s.target) return undefined;
      try {
        return previewSchedule(scheduler, s.target, user ? s.user : s.system);
      } catch {
        return undefined;
      }
    },
  });
}

function pgbrArgv(target: RunTarget, s: Scheduling, choice: Pick<SchedulerChoice, 'scheduler' | 'user'>, action: 'install' | 'remove'): string[] {
  return [target.node, target.pgbr, 'schedule', s.plan.name, `--${choice.scheduler}`, `--${action}`, ...(choice.user ? ['--user'] : []), '--workspace', s.workspace];
}

async function pickChoice(s: Scheduling, given: ScheduleChoices, verb: string, state?: ScheduleState): Promise<SchedulerChoice | undefined> {
  const choices = schedulerChoices(s.system, s.user);
  if (given.scheduler) {
    const user = given.scheduler === 'systemd' && given.user === true;
    return choices.find((c) => c.scheduler === given.scheduler && c.user === user);
  }
  if (given.confirm) throw new PgbrError('usage', `say which scheduler with { scheduler: 'systemd' | 'cron' } when the confirmation is given up front.`);
  const installed = (c: SchedulerChoice) => state?.installed.filter((i) => i.scheduler === c.scheduler && (c.scheduler === 'cron' || (i.where === 'user') === c.user)) ?? [];
  const items = choices.map((c) => {
    const here = installed(c);
    return { label: c.label, detail: c.detail, choice: c, ...(here.length ? { description: `installed: ${scheduleStateText({ installed: here, problems: [] })}` } : {}) };
  });
  const picked = await vscode.window.showQuickPick(items, { title: `${verb} plan ${s.plan.name}: which scheduler?` });
  return picked?.choice;
}

/** Shows the exact text and where it goes, asks, then installs it; the result names what was done. */
export async function installPlanSchedule(ctx: Ctx, texts: ScheduleTextProvider, name: string, given: ScheduleChoices) {
  if (!ctx.trusted) throw new PgbrError('usage', UNTRUSTED_INSTALL);
  const s = await scheduling(ctx, name);
  const choice = await pickChoice(s, given, 'Install the schedule of', await installedState(s));
  if (!choice) return undefined;
  const places = choice.user ? s.user : s.system;
  const target = targetOf(s);
  const preview = previewSchedule(choice.scheduler, target, places);
  if (choice.scheduler === 'systemd') {
    for (const schedule of planCalendars(s.plan)) {
      const check = await systemdCalendarCheck(onCalendar({ ...s.plan, schedule }));
      const unchecked = 'systemd-analyze is not installed: the schedule was checked by pgbr only';
      if (!check.checked && !preview.notes.includes(unchecked)) preview.notes.push(unchecked);
      if (check.problem) throw new PgbrError('config', `plan "${name}": ${check.problem}; fix ${s.plan.backrest ? 'schedules' : 'schedule'}: in pgbackup.yaml.`);
    }
  }
  preview.notes.push(`the schedule runs pgbr from this extension (${target.pgbr}); after the extension is updated, run Install Schedule… again`);
  const zone = s.plan.timezone ?? s.zone;
  const uri = texts.show(`pgbr-${name} (${scheduleNoun(choice)})`, scheduleText(preview, planNextRuns(s.plan, zone, new Date(), 5), zone));
  await vscode.window.showTextDocument(uri, { preview: true });
  if (!given.confirm) {
    const install = 'Install';
    const answer = await vscode.window.showWarningMessage(
      `Install plan ${name}'s ${scheduleNoun(choice)}?`,
      { modal: true, detail: `This will ${scheduleSteps(preview).join(', then ')}. The exact text is in the editor.` },
      install,
    );
    if (answer !== install) return undefined;
  }
  const done = await run(() => installSchedule(preview, places), target, s, choice, 'install');
  const notes = preview.notes.filter((n) => !n.startsWith('the schedule runs pgbr from'));
  void vscode.window.showInformationMessage(`Plan ${name}: ${done.join('; ')}.${notes.length ? ` Note: ${notes.join('; ')}.` : ''}`);
  return { preview, done };
}

/** Asks which schedule to remove (the installed ones marked), then undoes exactly what installing did. */
export async function removePlanSchedule(ctx: Ctx, name: string, given: ScheduleChoices) {
  const s = await scheduling(ctx, name);
  const state = await installedState(s);
  const only = state.installed.length === 1 ? state.installed[0] : undefined;
  const preset: ScheduleChoices = given.scheduler || !only ? given : { ...given, scheduler: only.scheduler, user: only.where === 'user' };
  const choice = await pickChoice(s, preset, 'Remove the schedule of', state);
  if (!choice) return undefined;
  if (!given.confirm) {
    const remove = 'Remove';
    const where = state.installed.length ? `Installed now: ${scheduleStateText(state)}.` : 'No schedule of this plan was found installed.';
    const answer = await vscode.window.showWarningMessage(`Remove plan ${name}'s ${scheduleNoun(choice)}?`, { modal: true, detail: `${where} The plan stays in pgbackup.yaml; only the schedule goes.` }, remove);
    if (answer !== remove) return undefined;
  }
  const target = targetOf(s);
  const done = await run(() => removeSchedule(choice.scheduler, target, choice.user ? s.user : s.system), target, s, choice, 'remove');
  void vscode.window.showInformationMessage(`Plan ${name}: ${done.join('; ')}.`);
  return { done };
}

async function run(work: () => Promise<string[]>, target: RunTarget, s: Scheduling, choice: SchedulerChoice, action: 'install' | 'remove'): Promise<string[]> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${action === 'install' ? 'Installing' : 'Removing'} plan ${s.plan.name}'s ${scheduleNoun(choice)}` }, work);
  } catch (e) {
    throw new PgbrError('tool-failed', scheduleFailure(e, { choice, plan: s.plan.name, pgbrArgv: pgbrArgv(target, s, choice, action) }));
  }
}
