// Restricted Mode (a folder the user has not trusted): each view says what is left out and how to trust the folder.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';

export const RESTRICTED_MODE_MESSAGE =
  'Restricted Mode: this folder is not trusted, so pgBackup.binPath from its settings and commands in its pgbackup.yaml are not run. ' +
  'To use them, trust the folder with "Workspaces: Manage Workspace Trust".';

/** Shows the message on the views while the folder is untrusted; once trusted, reloads profiles and tools. */
export function showRestrictedMode(ctx: Ctx, views: readonly vscode.TreeView<unknown>[]): vscode.Disposable {
  if (ctx.trusted) return new vscode.Disposable(() => undefined);
  for (const view of views) view.message = RESTRICTED_MODE_MESSAGE;
  ctx.log.info('the folder is not trusted: pgBackup.binPath from workspace settings and commands in pgbackup.yaml are not used');
  return vscode.workspace.onDidGrantWorkspaceTrust(() => {
    for (const view of views) view.message = undefined;
    ctx.invalidateProfiles();
    void ctx.tools(true);
  });
}
