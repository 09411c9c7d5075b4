// Wiring only: builds the services, registers views and commands, and reports a failed activation.
import * as vscode from 'vscode';
import { sweepDeadRuns } from './core/platform';
import { Ctx } from './ctx';
import { registerCommands, type CommandTable } from './commands';
import { ConnectionsProvider } from './connections/tree';
import { connectionCommands } from './connections/commands';
import { toolCommands } from './tools/commands';
import { HealthViewProvider } from './health/view';
import { HealthMonitor } from './health/monitor';
import { healthCommands } from './health/commands';
import { baseBackupCommands } from './basebackup/commands';
import { pitrCommands } from './pitr/commands';
import { undoCommands } from './undo/commands';
import { PitrPanel, PitrSerializer } from './pitr/panel';
import { DumpsProvider } from './dumps/tree';
import { dumpCommands } from './dumps/commands';
import { DumpContentsProvider, TOC_SCHEME } from './dumps/contents';
import { VERIFY_REPORT_SCHEME, VerifyReportProvider } from './dumps/verifyReport';
import { WalArchiveProvider } from './archive/tree';
import { archiveCommands } from './archive/commands';
import { backrestCommands } from './archive/backrestCommands';
import { backrestSetupCommands } from './archive/backrestSetup';
import { PlansProvider } from './plans/tree';
import { planCommands } from './plans/commands';
import { SCHEDULE_SCHEME, ScheduleTextProvider } from './plans/schedule';
import { FailedRunWarnings } from './plans/failedRuns';
import { showRestrictedMode } from './restrictedMode';
import { onSettingChange } from './settings';
import { WalkthroughProgress } from './walkthrough';

/** What activate() returns: used by the end-to-end suite and by other extensions. */
export interface PgBackupApi {
  connections: ConnectionsProvider;
  dumps: DumpsProvider;
  archive: WalArchiveProvider;
  plans: PlansProvider;
  health: HealthMonitor;
  /** How long activate() took, in milliseconds. */
  activationMs: number;
}

export function activate(context: vscode.ExtensionContext): PgBackupApi | undefined {
  const started = performance.now();
  try {
    const ctx = new Ctx(context);
    const connections = new ConnectionsProvider(ctx);
    const dumps = new DumpsProvider(ctx);
    const archive = new WalArchiveProvider(ctx);
    const plans = new PlansProvider(ctx);
    const failedRuns = new FailedRunWarnings(ctx, plans);
    const health = new HealthMonitor(ctx);
    const healthView = new HealthViewProvider(context.extensionUri, health);
    const verifyReports = new VerifyReportProvider();
    const scheduleTexts = new ScheduleTextProvider();
    const dumpsView = vscode.window.createTreeView('pgBackup.dumps', { treeDataProvider: dumps, canSelectMany: true, showCollapseAll: true });
    const views: vscode.TreeView<unknown>[] = [
      vscode.window.createTreeView('pgBackup.connections', { treeDataProvider: connections, canSelectMany: true, showCollapseAll: true }),
      dumpsView,
      vscode.window.createTreeView('pgBackup.walArchive', { treeDataProvider: archive, showCollapseAll: true }),
      vscode.window.createTreeView('pgBackup.plans', { treeDataProvider: plans, showCollapseAll: true }),
    ];
    context.subscriptions.push(
      connections,
      dumps,
      archive,
      plans,
      failedRuns,
      ...views,
      showRestrictedMode(ctx, views),
      vscode.workspace.registerTextDocumentContentProvider(TOC_SCHEME, new DumpContentsProvider(ctx)),
      verifyReports,
      vscode.workspace.registerTextDocumentContentProvider(VERIFY_REPORT_SCHEME, verifyReports),
      scheduleTexts,
      vscode.workspace.registerTextDocumentContentProvider(SCHEDULE_SCHEME, scheduleTexts),
      health,
      healthView,
      vscode.window.registerWebviewViewProvider(HealthViewProvider.viewId, healthView, { webviewOptions: { retainContextWhenHidden: false } }),
      watchProfileSources(ctx),
      vscode.window.registerWebviewPanelSerializer(PitrPanel.viewType, new PitrSerializer(ctx)),
    );
    const table: CommandTable = { ...connectionCommands(ctx, connections), ...toolCommands(ctx), ...dumpCommands(ctx, dumps, verifyReports), ...archiveCommands(ctx, archive), ...backrestCommands(ctx, archive), ...backrestSetupCommands(ctx), ...planCommands(ctx, plans, scheduleTexts, failedRuns), ...healthCommands(health, healthView), ...baseBackupCommands(ctx), ...pitrCommands(ctx), ...undoCommands(ctx) };
    registerCommands(ctx, table);
    context.subscriptions.push(new WalkthroughProgress(ctx, { onDidChangeDumps: dumps.onDidChangeTreeData, dumpsView, onDidShowHealth: healthView.onDidShow }));
    const activationMs = performance.now() - started;
    ctx.log.info(`PG Backup activated in ${activationMs.toFixed(1)} ms`);
    // Right after activation, not in it: what killed runs (of this editor or of pgbr) left in the temp folder goes.
    setImmediate(() => {
      const swept = sweepDeadRuns();
      for (const dir of swept.removed) ctx.log.info(`removed ${dir}, left by a run that ended`);
      for (const problem of swept.problems) ctx.log.warn(problem);
    });
    return { connections, dumps, archive, plans, health, activationMs };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`PG Backup could not start: ${message}. Run "Developer: Show Logs…" for details.`);
    console.error(e);
    return undefined;
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

/** Reloads profiles when pgbackup.yaml, the connections setting or a stored password changes. */
function watchProfileSources(ctx: Ctx): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher('**/pgbackup.yaml');
  const reload = (): void => ctx.invalidateProfiles();
  return vscode.Disposable.from(
    watcher,
    watcher.onDidChange(reload),
    watcher.onDidCreate(reload),
    watcher.onDidDelete(reload),
    // Profiles come from pgBackup.connections (and pgbackup.yaml); the tools from pgBackup.binPath.
    onSettingChange(['connections'], reload),
    onSettingChange(['binPath'], () => void ctx.tools(true)),
    ctx.passwords.onDidChange(reload),
  );
}
