// Commands of the WAL Archive view: refresh, and add an archive location to pgbackup.yaml.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PgbrError, writeFileAtomic } from '../core/platform';
import { addArchiveToYaml } from '../core/wal';
import { addRepositoryToYaml } from '../core/backrest';
import { WORKSPACE_CONFIG_FILE } from '../core/profiles';
import type { WalArchiveProvider } from './tree';

/** Changes pgbackup.yaml of the open folder through `change` (text in, text out), written atomically when it changed. */
async function editWorkspaceYaml(ctx: Ctx, change: (text: string | undefined) => string): Promise<{ path: string; added: boolean }> {
  const workspace = ctx.workspaceFolder;
  if (!workspace) throw new PgbrError('config', 'Open a folder first: archive locations and repositories are kept in its pgbackup.yaml.');
  const file = path.join(workspace, WORKSPACE_CONFIG_FILE);
  const text = await fs.readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const updated = change(text);
  const added = updated !== text;
  if (added) await writeFileAtomic(file, updated);
  ctx.invalidateProfiles();
  return { path: file, added };
}

export function archiveCommands(ctx: Ctx, tree: WalArchiveProvider) {
  return {
    'pgBackup.refreshArchive': { run: () => tree.refresh() },

    /** Adds a folder (argument, or picked) with the connection it belongs to, when given. */
    'pgBackup.addArchive': {
      pick: async () => (await vscode.window.showOpenDialog({ title: 'WAL archive folder', canSelectFiles: false, canSelectFolders: true }))?.[0]?.fsPath,
      run: async (folder, connection) => {
        const { path: file, added } = await editWorkspaceYaml(ctx, (text) => addArchiveToYaml(text, { path: folder, ...(connection ? { connection } : {}) }));
        ctx.log.info(`${added ? 'added' : 'already listed:'} WAL archive ${folder} ${added ? 'to' : 'in'} ${file}`);
        const show = 'Show WAL Archive';
        void vscode.window
          .showInformationMessage(`${added ? 'Added' : 'Already listed:'} the WAL archive ${folder}${connection ? ` of ${connection}` : ''}, ${added ? 'saved in' : 'in'} ${file}. The WAL Archive view shows it.`, show)
          .then((choice) => {
            if (choice === show) void vscode.commands.executeCommand('pgBackup.walArchive.focus');
          });
        return file;
      },
    },

    /** Adds a pgBackRest stanza (argument, or typed) under repositories:, with the connection it backs up when given. */
    'pgBackup.addRepository': {
      pick: async () => {
        const stanza = await vscode.window.showInputBox({ title: 'pgBackRest stanza to show', prompt: 'the stanza name (--stanza); its config is pgBackRest\'s default unless you add config: to the entry', ignoreFocusOut: true });
        return stanza ? { stanza } : undefined;
      },
      run: async (repository, connection) => {
        const file = await editWorkspaceYaml(ctx, (text) => addRepositoryToYaml(text, { ...repository, ...(connection ? { connection } : {}) }));
        ctx.log.info(`${file.added ? 'added' : 'already listed:'} pgBackRest stanza ${repository.stanza} ${file.added ? 'to' : 'in'} ${file.path}`);
        void vscode.window.showInformationMessage(`${file.added ? 'Added' : 'Already listed:'} pgBackRest stanza ${repository.stanza}${connection ? ` of ${connection}` : ''}, ${file.added ? 'saved in' : 'in'} ${file.path}. The WAL Archive view shows it.`);
        return file.path;
      },
    },
  } satisfies Partial<CommandTable>;
}
