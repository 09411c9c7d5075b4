// Commands on plans: refresh the view, run a plan now, preview its retention, open its journal, install or remove its schedule.
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PgbrError } from '../core/platform';
import { journalPath, runPlan, RunExit, type PlanToRun } from '../core/plans';
import { planToRun } from './plan';
import { previewPrune } from '../core/retention';
import { findServerBinDir } from '../core/pitr';
import { withCancellableProgress } from '../progress';
import type { PlansProvider } from './tree';
import type { FailedRunWarnings } from './failedRuns';
import { backrestRetentionTable, retentionTable } from './rows';
import { backrestInfo, previewExpire } from '../core/backrest';
import { TRUST_HINT } from '../core/profiles';
import { installPlanSchedule, removePlanSchedule, type ScheduleTextProvider } from './schedule';

export function planCommands(ctx: Ctx, tree: PlansProvider, scheduleTexts: ScheduleTextProvider, failedRuns: FailedRunWarnings) {
  const pick = (verb: string) => async () => {
    const names = ((await ctx.profiles()).config?.plans ?? []).map((p) => p.name);
    if (names.length === 0) throw new PgbrError('config', 'pgbackup.yaml has no plans: add one under plans: to run, preview, journal or schedule it.');
    return vscode.window.showQuickPick(names, { title: `${verb}: plan` });
  };
  return {
    'pgBackup.refreshPlans': { run: () => tree.refresh() },
    'pgBackup.runPlanNow': {
      pick: pick('Run now'),
      run: async (name, given) => {
        const plan = await planToRun(ctx, name);
        // A pgbackrest plan with a calendar per type: which of its types this run takes.
        const types = plan.backrest?.types ?? [];
        const type = given.type ?? (types.length > 1 ? (await vscode.window.showQuickPick(types.map((t) => ({ label: t, type: t })), { title: `Run plan ${name} now: which backup type?` }))?.type : undefined);
        if (types.length > 1 && !type) return undefined;
        const result = await runNow(ctx, plan, type);
        // Run Now shows its own result: the warning about failed runs leaves this one alone, here and in later sessions.
        failedRuns.shown(result.record);
        tree.refresh();
        return result;
      },
    },
    'pgBackup.previewPlanRetention': {
      pick: pick('Preview retention'),
      run: async (name) => {
        const plan = await planToRun(ctx, name);
        if (plan.backup === 'pgbackrest') return previewBackrestRetention(ctx, plan);
        const preview = await previewPrune(plan, { catalogIndex: ctx.catalogIndex });
        const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: retentionTable(preview) });
        await vscode.window.showTextDocument(doc, { preview: true });
        return preview;
      },
    },
    'pgBackup.openPlanJournal': {
      pick: pick('Open journal'),
      run: async (name) => {
        const file = journalPath(await planToRun(ctx, name));
        const exists = await fs.access(file).then(() => true, () => false);
        if (!exists) {
          void vscode.window.showInformationMessage(`Plan ${name} has no journal yet (${file}): its first run writes one; Run Now starts it.`);
          return undefined;
        }
        await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
        // The journal is appended by runs; an edit here would corrupt what monitors read.
        await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
        return file;
      },
    },
    'pgBackup.installPlanSchedule': {
      pick: pick('Install schedule'),
      run: async (name, given) => {
        const result = await installPlanSchedule(ctx, scheduleTexts, name, given);
        tree.refresh();
        return result;
      },
    },
    'pgBackup.removePlanSchedule': {
      pick: pick('Remove schedule'),
      run: async (name, given) => {
        const result = await removePlanSchedule(ctx, name, given);
        tree.refresh();
        return result;
      },
    },
  } satisfies Partial<CommandTable>;
}

async function runNow(ctx: Ctx, plan: PlanToRun, type?: 'full' | 'diff' | 'incr') {
  const result = await withCancellableProgress(`Running plan ${plan.name}`, async (progress, signal) => {
    progress.report({ message: 'backing up, verifying when due, applying retention' });
    return runPlan(plan, {
      async connect() {
        const profile = await ctx.profile(plan.connection);
        const conn = await ctx.connection(profile);
        return { profile: profile.name, params: conn.params, ...(conn.password !== undefined ? { password: conn.password } : {}) };
      },
      tools: () => ctx.tools(),
      serverBinDir: findServerBinDir,
      // An untrusted folder's pgbackup.yaml may not start programs or reach URLs: no notification.
      trusted: ctx.trusted,
      // Retention lists the folder through the catalogue index the Dumps view keeps too.
      catalogIndex: ctx.catalogIndex,
      ...(type ? { type } : {}),
      signal,
      logger: ctx.log,
    });
  });
  ctx.dumpsChanged();
  if (result.exitCode === RunExit.Ok) void vscode.window.showInformationMessage(result.message);
  else void vscode.window.showErrorMessage(result.message);
  return result;
}

/** A pgbackrest plan's keep rules over its stanza's backups, as `expire --set` would apply them; nothing is expired. */
async function previewBackrestRetention(ctx: Ctx, plan: PlanToRun) {
  if (!plan.backrest) throw new PgbrError('config', `plan ${plan.name} names no stanza: add stanza: to it in pgbackup.yaml.`);
  if (!ctx.trusted) throw new PgbrError('usage', `The preview runs pgbackrest info, and this folder is not trusted: ${TRUST_HINT}.`);
  const { stanza, config } = plan.backrest;
  const info = await backrestInfo({ stanza, ...(config ? { config } : {}) }, { logger: ctx.log });
  const preview = plan.keep ? previewExpire(info.backups, plan.keep, plan.timezone) : undefined;
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: backrestRetentionTable(plan.name, stanza, info.backups.length, preview) });
  await vscode.window.showTextDocument(doc, { preview: true });
  return preview;
}
