// "Recover Table As It Was…": from a table in the Connections view, opens its guided recovery panel.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { RecoverTablePanel } from './panel';

export function undoCommands(ctx: Ctx) {
  return {
    'pgBackup.recoverTable': {
      run: (ref) => RecoverTablePanel.show(ctx, ref),
      pick: async () => {
        await vscode.window.showInformationMessage('Recover Table As It Was… works on one table: right-click the table in the Connections view.');
        return undefined;
      },
    },
  } satisfies Partial<CommandTable>;
}
