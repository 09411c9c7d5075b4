// Commands on dumps: back up (database, tables, globals), show contents, reveal, delete, clean leftovers.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import type { CommandTable } from '../commands';
import { PgbrError } from '../core/platform/errors';
import { manifestPathFor, verifyReportPathFor } from '../core/logical/manifest';
import { removePartial } from '../core/platform/partials';
import { runGlobalsDump } from '../core/logical/globals';
import { takenNameNote } from '../core/logical/naming';
import { formatBytes } from '../core/platform/bytes';
import { pathsOutside } from '../core/platform/fsutil';
import { ProfileNode } from '../connections/nodes';
import { backupCommand } from './backup';
import { restoreCommand } from './restore';
import { verifyCommand } from './verify';
import { DumpContentsProvider } from './contents';
import { dumpPathOf, pickDump } from './pickDump';
import { revealDump } from './reveal';
import type { VerifyReportProvider } from './verifyReport';
import { dumpFolders } from '../places';
import { PartialsNode } from './nodes';
import { withCancellableProgress } from '../progress';
import type { DumpsProvider } from './tree';
import { plural } from '../core/platform/plural';
import { isConfirmed, selectedOrOne } from '../commandArgs';

export function dumpCommands(ctx: Ctx, tree: DumpsProvider, reports: VerifyReportProvider) {
  return {
    'pgBackup.backupDatabase': (arg?: unknown, selection?: unknown) => backupCommand(ctx, arg, selection),
    'pgBackup.backupTables': (arg?: unknown, selection?: unknown) => backupCommand(ctx, arg, selection),
    'pgBackup.backupGlobals': (arg?: unknown, options?: unknown) => backupGlobals(ctx, arg, options),
    'pgBackup.refreshDumps': () => tree.refresh(),
    'pgBackup.restoreDump': (arg?: unknown, selection?: unknown, options?: unknown) => restoreCommand(ctx, arg, selection, options),
    'pgBackup.restoreTables': (arg?: unknown, selection?: unknown, options?: unknown) => restoreCommand(ctx, arg, selection, options),
    'pgBackup.verifyDump': (arg?: unknown, options?: unknown) => verifyCommand(ctx, reports, arg, options),

    'pgBackup.showDumpContents': async (arg?: unknown) => {
      const dump = dumpPathOf(arg) ?? (await pickDump(ctx, 'show'));
      if (!dump) return undefined;
      const doc = await vscode.workspace.openTextDocument(DumpContentsProvider.uriFor(dump));
      await vscode.window.showTextDocument(doc, { preview: true });
      return doc.getText();
    },

    'pgBackup.revealDump': async (arg?: unknown) => {
      const dump = dumpPathOf(arg) ?? (await pickDump(ctx, 'reveal'));
      return dump ? revealDump(ctx, dump) : undefined;
    },

    // A context-menu click passes the clicked node and the whole selection; other callers pass paths.
    'pgBackup.deleteDump': async (arg?: unknown, selection?: unknown, options?: unknown) => {
      const dumps = [...new Set(selectedOrOne(arg, selection).map(dumpPathOf).filter((p): p is string => p !== undefined))];
      if (dumps.length === 0) {
        const picked = await pickDump(ctx, 'delete');
        if (!picked) return false;
        dumps.push(picked);
      }
      await refuseOutsideDumpFolders(ctx, dumps, 'deleted');
      const names = dumps.map((d) => path.basename(d));
      const ok =
        callerConfirmed(ctx, selection, options) ||
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

    'pgBackup.cleanPartials': async (arg?: unknown, selection?: unknown, options?: unknown) => {
      const paths = [
        ...new Set(
          selectedOrOne(arg, selection).flatMap((a) =>
            a instanceof PartialsNode ? a.paths : Array.isArray(a) ? a.filter((p): p is string => typeof p === 'string') : typeof a === 'string' ? [a] : [],
          ),
        ),
      ];
      if (paths.length === 0) return 0;
      await refuseOutsideDumpFolders(ctx, paths, 'removed');
      const ok =
        callerConfirmed(ctx, selection, options) ||
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
  } satisfies Partial<CommandTable>;
}

/**
 * A caller may answer the question itself ({ confirm: true }), but not in a folder the user has not
 * trusted: there the folder's own settings chose the dump folders, so the person is always asked.
 */
function callerConfirmed(ctx: Ctx, selection: unknown, options: unknown): boolean {
  return ctx.trusted && (isConfirmed(options) || isConfirmed(selection));
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

async function backupGlobals(ctx: Ctx, arg: unknown, options: unknown) {
  const name =
    arg instanceof ProfileNode
      ? arg.profile.name
      : typeof arg === 'string'
        ? arg
        : (await vscode.window.showQuickPick((await ctx.profiles()).profiles.map((p) => p.name), { title: 'Back up roles and tablespaces: connection' }));
  if (!name) return undefined;
  const profile = await ctx.profile(name);
  let noRolePasswords = typeof options === 'object' && options !== null ? (options as { noRolePasswords?: boolean }).noRolePasswords : undefined;
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

