// Generate pgBackRest Config… on a connection: the stanza's config file and the server's archive
// settings, read from the server and shown in full before anything is written; then written (and the
// settings applied) only on the person's word, and the stanza added to pgbackup.yaml.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { applyBackrestServerSettings, isStanzaName, planBackrestSetup, readServerLayout, setupLines, writeBackrestSetup } from '../core/backrest';
import { withClient } from '../core/postgres';
import { pickConnection } from '../pickConnection';

const DEFAULT_REPOSITORY = '/var/lib/pgbackrest';

export function backrestSetupCommands(ctx: Ctx) {
  return {
    'pgBackup.generateBackrestConfig': {
      pick: () => pickConnection(ctx, { title: 'Generate pgBackRest config: for which connection?' }),
      run: async (name, given) => {
        const stanza = given.stanza ?? (await vscode.window.showInputBox({
          title: `pgBackRest for ${name}: the stanza's name`,
          prompt: 'letters, digits, - _ and . (it names the cluster in the repository)',
          value: isStanzaName(name) ? name : 'main',
          ignoreFocusOut: true,
          validateInput: (v) => (isStanzaName(v) ? undefined : 'pgBackRest takes letters, digits, -, _ and . only, not starting with - or .'),
        }));
        if (!stanza) return undefined;
        const repoPath = given.repoPath ?? (await vscode.window.showInputBox({ title: `pgBackRest for ${name}: the repository folder (repo1-path)`, prompt: 'an absolute folder on the database server, outside its data directory', value: DEFAULT_REPOSITORY, ignoreFocusOut: true }));
        if (!repoPath) return undefined;
        const profile = await ctx.profile(name);
        const conn = await ctx.connection(profile);
        const layout = await withClient(conn.params, { password: conn.password }, (c) => readServerLayout(c));
        // data_directory is shown to superusers and pg_read_all_settings only.
        const pgDataDir = given.dataDir ?? layout.dataDir ?? (await vscode.window.showInputBox({ title: `pgBackRest for ${name}: the server's data directory (pg1-path)`, prompt: `${conn.params.user} may not read data_directory: give the folder (SHOW data_directory as a superuser tells)`, ignoreFocusOut: true }));
        if (!pgDataDir) return undefined;
        const plan = await planBackrestSetup({
          stanza,
          repoPath,
          pgDataDir,
          pgPort: layout.port,
          ...(layout.socketDir ? { pgSocketDir: layout.socketDir } : {}),
          ...(given.config ? { configPath: given.config } : {}),
          serverNow: layout.archiving,
        });
        // Shown first, whole: the file, the keys kept, the settings and the SQL.
        const shown = await vscode.workspace.openTextDocument({ content: `${setupLines(plan).join('\n')}\n`, language: 'ini' });
        await vscode.window.showTextDocument(shown, { preview: true, preserveFocus: true });
        const write = `Write ${plan.configPath}`;
        const writeAndApply = 'Write and Apply to Server';
        const confirmed = given.confirm === 'apply' ? writeAndApply : given.confirm === 'write' ? write : undefined;
        const answer = confirmed ?? (await vscode.window.showInformationMessage(
          `pgBackRest for ${name}: write ${plan.configPath} as shown? Apply to Server also runs the ALTER SYSTEM lines as ${conn.params.user} and reloads.`,
          { modal: true },
          write,
          writeAndApply,
        ));
        if (answer === undefined) return undefined;
        const written = await writeBackrestSetup(plan);
        let applied;
        if (answer === writeAndApply) applied = await withClient(conn.params, { password: conn.password }, (c) => applyBackrestServerSettings(c, plan));
        await vscode.commands.executeCommand('pgBackup.addRepository', { stanza, ...(plan.configPath !== undefined ? { config: plan.configPath } : {}) }, name);
        const restart = applied?.restartNeeded.length ? ` ${applied.restartNeeded.join(' and ')} take effect when the server restarts: restart it before pgbackrest stanza-create.` : '';
        const next = applied ? `Next: pgbackrest --stanza=${stanza} stanza-create, then Check pgBackRest Stanza.` : 'The server settings were not applied: run the SQL shown as a superuser.';
        void vscode.window.showInformationMessage(`Wrote ${plan.configPath}${written.repoCreated ? ` and made ${plan.repoPath}` : ''}.${written.warning ? ` ${written.warning}` : ''}${restart} ${next}`);
        return { plan, written, applied };
      },
    },
  } satisfies Partial<CommandTable>;
}
