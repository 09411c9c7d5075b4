// "Show PostgreSQL tools": what discovery found, where, and at which version.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { TOOL_NAMES, type ToolInventory } from '../core/platform';

export function toolCommands(ctx: Ctx) {
  return {
    'pgBackup.showTools': {
      run: async (_none, options) => {
        const inventory = await ctx.tools(true);
        if (options.show !== false) {
          const doc = await vscode.workspace.openTextDocument({ content: renderTools(inventory), language: 'markdown' });
          await vscode.window.showTextDocument(doc, { preview: true });
        }
        return inventory;
      },
    },
    'pgBackup.showLog': { run: () => ctx.log.show() },
  } satisfies Partial<CommandTable>;
}

export function renderTools(inventory: ToolInventory): string {
  const lines = ['# PostgreSQL client tools', ''];
  if (inventory.installs.length === 0) {
    lines.push(
      'No PostgreSQL client tools were found. Install them (e.g. `postgresql-client`) or set `pgBackup.binPath` to their folder.',
    );
  }
  for (const install of inventory.installs) {
    lines.push(`## PostgreSQL ${install.major} — \`${install.binDir}\``, '', `found via ${install.via}`, '');
    lines.push('| tool | version | path |', '| --- | --- | --- |');
    for (const name of TOOL_NAMES) {
      const tool = install.tools[name];
      lines.push(tool ? `| ${name} | ${tool.version} | \`${tool.path}\` |` : `| ${name} | missing | |`);
    }
    lines.push('');
  }
  if (inventory.problems.length > 0) lines.push('## Problems', '', ...inventory.problems.map((p) => `- ${p}`), '');
  return lines.join('\n');
}
