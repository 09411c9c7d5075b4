// Commands on dumps: back up (database, tables, globals), show contents, reveal, delete, clean leftovers.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PgbrError, removePartial, formatBytes, pathsOutside, plural } from '../core/platform';
import { manifestPathFor, verifyReportPathFor, runGlobalsDump, takenNameNote } from '../core/logical';
import { backupCommand, pickBackupConnection } from './backup';
import { restoreCommand } from './restore';
import { restoreFromOffsite } from './restoreOffsite';
import { verifyCommand } from './verify';
import { identityCommands } from './identityCommands';
import { DumpContentsProvider } from './contents';
import { pickDump } from './pickDump';
import { revealDump } from './reveal';
import type { VerifyReportProvider } from './verifyReport';
import { dumpFolders } from '../places';
import { withCancellableProgress } from '../progress';
import type { DumpsProvider } from './tree';
import { pickConnection } from '../pickConnection';
import type { BackupTarget, DumpSelection } from '../commandArgs';
import type { RestoreRequest } from '../requests';

export function dumpCommands(ctx: Ctx, tree: DumpsProvider, reports: VerifyReportProvider) {
  const backup = { pick: () => pickBackupConnection(ctx), run: (target: BackupTarget) => backupCommand(ctx, target) };
  const restore = {
    pick: async () => {
      const dumpPath = await pickDump(ctx, 'restore');
      return dumpPath === undefined ? undefined : { dumpPath, tables: [] };
    },
    run: (picked: DumpSelection, request: RestoreRequest | undefined) => restoreCommand(ctx, picked, request),
  };
  return {
    'pgBackup.backupDatabase': backup,
    'pgBackup.backupTables': backup,
    'pgBackup.backupGlobals': {
      pick: () => pickConnection(ctx, { title: 'Back up roles and tablespaces: connection' }),
      run: (name, options) => backupGlobals(ctx, name, options.noRolePasswords),
    },
    'pgBackup.refreshDumps': { run: () => tree.refresh() },
    'pgBackup.restoreDump': restore,
    'pgBackup.restoreTables': restore,
    'pgBackup.restoreFromOffsite': { run: (copy, request) => restoreFromOffsite(ctx, copy, request) },
    ...identityCommands(ctx),
    'pgBackup.verifyDump': { pick: () => pickDump(ctx, 'verify', { globals: false }), run: (dump, options) => verifyCommand(ctx, reports, dump, options) },

    'pgBackup.showDumpContents': {
      pick: () => pickDump(ctx, 'show'),
      run: async (dump) => {
        const doc = await vscode.workspace.openTextDocument(DumpContentsProvider.uriFor(dump));
        await vscode.window.showTextDocument(doc, { preview: true });
        return doc.getText();
      },
    },

    'pgBackup.revealDump': { pick: () => pickDump(ctx, 'reveal'), run: (dump) => revealDump(ctx, dump) },

    // A context-menu click acts on the whole selection; other callers pass paths.
    'pgBackup.deleteDump': {
      pick: async () => {
        const picked = await pickDump(ctx, 'delete');
        return picked === undefined ? undefined : [picked];
      },
      run: async (dumps, confirmed) => {
        await refuseOutsideDumpFolders(ctx, dumps, 'deleted');
        const names = dumps.map((d) => path.basename(d));
        const ok =
          callerConfirmed(ctx, confirmed) ||
          (await vscode.window.showWarningMessage(
            dumps.length === 1
              ? `Delete the dump ${names[0]}, its manifest and its verify report? This cannot be undone.`
              : `Delete ${plural(dumps.length, 'dump')}, their manifests and verify reports? This cannot be undone.`,
            { modal: true, ...(dumps.length > 1 ? { detail: names.join('\n') } : {}) },
            'Delete',
          )) === 'Delete';
        if (!ok) return false;
        for (const dump of dumps) {
          await fs.rm(dump, { recursive: true, force: true });
          await fs.rm(manifestPathFor(dump), { force: true });
          await fs.rm(verifyReportPathFor(dump), { force: true });
          ctx.log.info(`deleted ${dump}`);
        }
        ctx.dumpsChanged();
        return true;
      },
    },

    'pgBackup.cleanPartials': {
      run: async (paths, confirmed) => {
        if (!paths) return 0;
        await refuseOutsideDumpFolders(ctx, paths, 'removed');
        const ok =
          callerConfirmed(ctx, confirmed) ||
          (await vscode.window.showWarningMessage(
            `Delete ${paths.length} unfinished dump${paths.length === 1 ? '' : 's'} (.partial)? A dump still running in another window would fail.`,
            { modal: true, detail: paths.map((p) => path.basename(p)).join('\n') },
            'Delete',
          )) === 'Delete';
        if (!ok) return 0;
        for (const p of paths) await removePartial(p);
        ctx.log.info(`removed ${paths.length} .partial leftover(s)`);
        ctx.dumpsChanged();
        return paths.length;
      },
    },
  } satisfies Partial<CommandTable>;
}

/**
 * A caller may answer the question itself ({ confirm: true }), but not in a folder the user has not
 * trusted: there the folder's own settings chose the dump folders, so the person is always asked.
 */
function callerConfirmed(ctx: Ctx, confirmed: boolean): boolean {
  return ctx.trusted && confirmed;
}

/** Deleting commands act only inside the dump folders, whoever calls them (a menu, a keybinding, another extension). */
async function refuseOutsideDumpFolders(ctx: Ctx, paths: readonly string[], verb: string): Promise<void> {
  const folders = await dumpFolders(ctx);
  const outside = await pathsOutside(paths, folders);
  if (outside.length > 0) {
    const first = outside[0] ?? '';
    throw new PgbrError(
      'usage',
      `${first}${outside.length > 1 ? ` and ${outside.length - 1} more` : ''} ${outside.length > 1 ? 'are' : 'is'} not inside a dump folder (${folders.join(', ')}), so nothing was ${verb}: PG Backup deletes only in pgBackup.dumpFolders or the dumpFolders of pgbackup.yaml.`,
    );
  }
}

async function backupGlobals(ctx: Ctx, name: string, givenNoRolePasswords: boolean | undefined) {
  const profile = await ctx.profile(name);
  let noRolePasswords = givenNoRolePasswords;
  if (noRolePasswords === undefined) {
    const choice = await vscode.window.showQuickPick(
      [
        { label: 'Without role passwords', description: 'recommended; what a non-superuser can dump', value: true },
        { label: 'With password hashes', description: 'needs a superuser; keep the file secret', value: false },
      ],
      { title: `Back up roles and tablespaces of ${name}` },
    );
    if (!choice) return undefined;
    noRolePasswords = choice.value;
  }
  const conn = await ctx.connection(profile);
  const folder = (await dumpFolders(ctx))[0];
  if (!folder) throw new PgbrError('config', 'No dump folder is configured: set pgBackup.dumpFolders.');
  const tools = await ctx.tools();
  const result = await withCancellableProgress(`Backing up roles and tablespaces of ${name}`, async (_progress, signal) =>
    runGlobalsDump({
      connection: { params: conn.params, password: conn.password },
      profile: name,
      database: profile.params.database,
      noRolePasswords,
      output: { folder },
      tools,
      signal,
      logger: ctx.log,
    }),
  );
  const taken = takenNameNote(result);
  void vscode.window.showInformationMessage(`Backed up roles and tablespaces of ${name} to ${path.basename(result.path)} (${formatBytes(result.manifest.sizeBytes)}).${taken ? ` ${taken}` : ''}`);
  ctx.dumpsChanged();
  return result;
}

