// Warns once about each failed scheduled run the editor sees in a plan's journal, with Open Journal and Run Now; never about this editor's own Run Now.
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { errorMessage } from '../core/platform';
import { describePlans, failureToWarn, journalPath, journalSummary, machineZone, rememberRun, runKey, type JournalRecord } from '../core/plans';
import { failedRunWarning } from './rows';
import type { PlansProvider } from './tree';

/** In globalState: a record's key stays warned about in every window and after a restart. */
const WARNED_KEY = 'pgBackup.plans.warnedRuns';

interface LastRun {
  plan: string;
  timezone: string;
  lastRun?: JournalRecord;
}

export class FailedRunWarnings implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  private watchers: vscode.Disposable[] = [];
  /** Also kept here: two reads of the same journal a moment apart must not both warn while globalState is being written. */
  private readonly warned: Set<string>;
  private readonly self = { host: os.hostname(), pid: process.pid };

  constructor(
    private readonly ctx: Ctx,
    private readonly tree: PlansProvider,
  ) {
    this.warned = new Set(ctx.extension.globalState.get<string[]>(WARNED_KEY) ?? []);
    tree.onLastRuns = (runs) => this.consider(runs);
    this.subscriptions = [ctx.onDidChangeProfiles(() => void this.watch())];
    // After activation, not in it: the journals are read and watched in the background.
    setImmediate(() => void this.watch());
  }

  /** A run whose result this editor showed itself (Run Now): never warned about later. */
  shown(record: JournalRecord | undefined): void {
    if (record) this.remember(runKey(record));
  }

  dispose(): void {
    for (const d of [...this.subscriptions, ...this.watchers]) d.dispose();
  }

  /** Watches each plan folder's journals (a scheduled run appends there), and reads them once now. */
  private async watch(): Promise<void> {
    try {
      for (const w of this.watchers) w.dispose();
      this.watchers = [];
      const overviews = describePlans((await this.ctx.profiles()).config ?? {}, this.ctx.places, new Date(), machineZone(), 2);
      for (const folder of new Set(overviews.map((p) => p.folder))) {
        const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(folder), '.pgbr-*.journal.jsonl'));
        const changed = (): void => {
          this.tree.refresh();
          void this.check();
        };
        this.watchers.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed));
      }
      await this.check();
    } catch (e) {
      this.ctx.log.warn(`the plans' journals are not watched for failed runs: ${errorMessage(e)}`);
    }
  }

  /** Reads every plan's newest run, whether or not the Plans view is open. */
  private async check(): Promise<void> {
    const overviews = describePlans((await this.ctx.profiles()).config ?? {}, this.ctx.places, new Date(), machineZone(), 2);
    const runs = await Promise.all(
      overviews.map(async (p): Promise<LastRun> => {
        const summary = await journalSummary(journalPath(p)).catch(() => ({ lastRun: undefined }));
        return { plan: p.name, timezone: p.timezone, ...(summary.lastRun ? { lastRun: summary.lastRun } : {}) };
      }),
    );
    this.consider(runs);
  }

  private consider(runs: readonly LastRun[]): void {
    for (const run of runs) {
      const failed = failureToWarn(run.lastRun, { warned: this.warned, self: this.self });
      if (!failed) continue;
      this.remember(runKey(failed));
      void this.warn(failed, run.timezone);
    }
  }

  private remember(key: string): void {
    this.warned.add(key);
    void this.ctx.extension.globalState.update(WARNED_KEY, rememberRun(this.ctx.extension.globalState.get<string[]>(WARNED_KEY) ?? [], key));
  }

  private async warn(record: JournalRecord, timeZone: string): Promise<void> {
    const open = 'Open Journal';
    const runNow = 'Run Now';
    this.ctx.log.warn(failedRunWarning(record, new Date(), timeZone));
    const answer = await vscode.window.showWarningMessage(failedRunWarning(record, new Date(), timeZone), open, runNow);
    if (answer === open) await vscode.commands.executeCommand('pgBackup.openPlanJournal', record.plan);
    if (answer === runNow) await vscode.commands.executeCommand('pgBackup.runPlanNow', record.plan);
  }
}
