// Registers the commands of every feature in one loop, reporting a failure once in the user's words.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { errorMessage, isCancellation } from './core/platform';
import { COMMAND_IDS, type CommandId } from './commandIds';
import { runCommand, type CommandTable } from './commandArgs';
import { showCommandError } from './connections/failureToast';

export { COMMAND_IDS, type CommandId, type CommandTable };

/** Registers every command in one loop, each through the argument resolver; a handler that throws is reported once, in the user's words (a cancellation only logged). */
export function registerCommands(ctx: Ctx, table: CommandTable): void {
  for (const id of COMMAND_IDS) {
    ctx.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await runCommand(id, table[id], args);
        } catch (e) {
          // A cancel the person asked for is not a failure: a line in the log, no red toast.
          if (isCancellation(e)) {
            ctx.log.info(`${id}: ${errorMessage(e)}`);
            return undefined;
          }
          ctx.log.error(e instanceof Error ? e : String(e));
          // A connection that failed comes with its fixes; Retry runs this command again with the same arguments.
          void showCommandError(ctx, e, () => vscode.commands.executeCommand(id, ...args));
          return undefined;
        }
      }),
    );
  }
}
