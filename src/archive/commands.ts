// Commands of the WAL Archive view: refresh, and add an archive location to pgbackup.yaml.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PgbrError, writeFileAtomic } from '../core/platform';
import { addArchiveToYaml } from '../core/wal';
import { WORKSPACE_CONFIG_FILE } from '../core/profiles';
import type { WalArchiveProvider } from './tree';

export function archiveCommands(ctx: Ctx, tree: WalArchiveProvider) {
  return {
    'pgBackup.refreshArchive': { run: () => tree.refresh() },

    /** Adds a folder (argument, or picked) with the connection it belongs to, when given. */
    'pgBackup.addArchive': {
      pick: async () => (await vscode.window.showOpenDialog({ title: 'WAL archive folder', canSelectFiles: false, canSelectFolders: true }))?.[0]?.fsPath,
      run: async (folder, connection) => {
        const workspace = ctx.workspaceFolder;
        if (!workspace) throw new PgbrError('config', 'Open a folder first: archive locations are kept in its pgbackup.yaml.');
        const file = path.join(workspace, WORKSPACE_CONFIG_FILE);
        const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return undefined;
          throw e;
        });
        const updated = addArchiveToYaml(text, { path: folder, ...(connection ? { connection } : {}) });
        const added = updated !== text;
        if (added) await writeFileAtomic(file, updated);
        ctx.log.info(`${added ? 'added' : 'already listed:'} WAL archive ${folder} ${added ? 'to' : 'in'} ${file}`);
        ctx.invalidateProfiles();
        const show = 'Show WAL Archive';
        void vscode.window
          .showInformationMessage(`${added ? 'Added' : 'Already listed:'} the WAL archive ${folder}${connection ? ` of ${connection}` : ''}, ${added ? 'saved in' : 'in'} ${file}. The WAL Archive view shows it.`, show)
          .then((choice) => {
            if (choice === show) void vscode.commands.executeCommand('pgBackup.walArchive.focus');
          });
        return file;
      },
    },
  } satisfies Partial<CommandTable>;
}
