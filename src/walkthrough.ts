// Sets the walkthrough's context keys when what each step asks for has really happened, and at activation
// for what was already true, so a step is never ticked by a click alone.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { errorMessage } from './core/platform';
import { listDumps, verificationState } from './core/logical';
import { archiveLocations, dumpFolders } from './places';
import { TOC_SCHEME } from './dumps/contents';
import { onSettingChange } from './settings';
import { walkthroughContextKey, type WalkthroughStep } from './walkthroughSteps';

/** What the walkthrough listens to: the views and providers whose events say a step may be done. */
export interface WalkthroughSources {
  /** Fires after a dump was written, deleted or verified, and when a watched dump folder changed. */
  onDidChangeDumps: vscode.Event<unknown>;
  /** The Dumps view: a dump expanded there shows its contents. */
  dumpsView: vscode.TreeView<unknown>;
  onDidShowHealth: vscode.Event<void>;
}

export class WalkthroughProgress implements vscode.Disposable {
  private readonly done = new Set<WalkthroughStep>();
  private readonly subscriptions: vscode.Disposable[];
  /** One look at the disk at a time; a change during it asks for one more. */
  private looking?: Promise<void>;
  private again = false;

  constructor(
    private readonly ctx: Ctx,
    sources: WalkthroughSources,
  ) {
    this.subscriptions = [
      ctx.onDidChangeProfiles(() => this.lookAgain()),
      ctx.onDidChangeDumps(() => this.lookAgain()),
      sources.onDidChangeDumps(() => this.lookAgain()),
      onSettingChange(['dumpFolders', 'archives', 'connections'], () => this.lookAgain()),
      sources.dumpsView.onDidExpandElement((e) => {
        if (isDump(e.element)) this.mark('contents');
      }),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (doc.uri.scheme === TOC_SCHEME) this.mark('contents');
      }),
      sources.onDidShowHealth(() => this.mark('health')),
    ];
    this.lookAgain();
  }

  /** Reads profiles, dump folders and archive locations again, and ticks what they show. */
  lookAgain(): void {
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.look()
      .catch((e: unknown) => this.ctx.log.warn(`walkthrough: ${errorMessage(e)}`))
      .finally(() => {
        this.looking = undefined;
        if (this.again) {
          this.again = false;
          this.lookAgain();
        }
      });
  }

  private async look(): Promise<void> {
    const loaded = await this.ctx.profiles();
    if (loaded.profiles.length > 0) this.mark('connection');
    if ((loaded.config?.plans?.length ?? 0) > 0) this.mark('plan');
    if ((await archiveLocations(this.ctx)).locations.length > 0) this.mark('archive');
    if (this.done.has('dump') && this.done.has('verified')) return;
    for (const folder of await dumpFolders(this.ctx)) {
      const { dumps } = await listDumps(folder);
      if (dumps.length > 0) this.mark('dump');
      if (dumps.some((d) => verificationState(d) === 'verified')) this.mark('verified');
    }
  }

  private mark(step: WalkthroughStep): void {
    if (this.done.has(step)) return;
    this.done.add(step);
    void vscode.commands.executeCommand('setContext', walkthroughContextKey(step), true);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}

/** A dump's row in the Dumps view (its context value starts `dump.`, as the menus match it). */
function isDump(element: unknown): boolean {
  return element instanceof vscode.TreeItem && /^dump\./.test(element.contextValue ?? '');
}
