// "Reveal" a dump with what exists where the extension runs: the OS file manager on a desktop, else the Explorer.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';

export type RevealedIn = 'os' | 'explorer' | 'clipboard';

/**
 * The desktop app has `revealFileInOS`; a browser (code-server, Codespaces) or a remote window does not,
 * or it would open a file manager on another machine: there the Explorer shows the dump when it is inside
 * the workspace, and otherwise its path is copied, with a line saying so.
 */
export async function revealDump(ctx: Ctx, dumpPath: string): Promise<RevealedIn> {
  const uri = vscode.Uri.file(dumpPath);
  const local = vscode.env.uiKind === vscode.UIKind.Desktop && vscode.env.remoteName === undefined;
  if (local && (await vscode.commands.getCommands(true)).includes('revealFileInOS')) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return 'os';
  }
  if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return 'explorer';
  }
  await vscode.env.clipboard.writeText(dumpPath);
  ctx.log.info(`revealed ${dumpPath}: copied its path (outside the workspace, and no file manager here)`);
  void vscode.window.showInformationMessage(`${path.basename(dumpPath)} is outside the workspace, so the Explorer cannot show it: its path is copied (${dumpPath}).`);
  return 'clipboard';
}
