// The one way a dump command started with nothing selected asks which dump: every known dump, newest first.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { PgbrError, formatBytes, formatAge } from '../core/platform';
import { listDumps, type CatalogEntry } from '../core/logical';
import { dumpFolders } from '../places';

export interface DumpPick extends vscode.QuickPickItem {
  entry: CatalogEntry;
}

/** The QuickPick's rows: name, then database and age, the folder under it; newest first across every dump folder. */
function dumpPickItems(entries: readonly CatalogEntry[], now: Date): DumpPick[] {
  return [...entries]
    .sort((a, b) => b.time.getTime() - a.time.getTime() || a.name.localeCompare(b.name))
    .map((entry) => ({
      label: entry.name,
      description: [entry.manifest?.database ?? 'database unknown', formatAge(entry.time, now), formatBytes(entry.sizeBytes), entry.damage ? 'DAMAGED' : undefined]
        .filter(Boolean)
        .join(' · '),
      detail: path.dirname(entry.path),
      entry,
    }));
}

/**
 * Asks for a dump (`verb`: "verify", "restore"…); undefined when the person closes the list.
 * `globals: false` leaves out dumps of roles and tablespaces.
 * With no dump anywhere it says where it looked and how to make one.
 */
export async function pickDump(ctx: Ctx, verb: string, opts: { globals?: boolean } = {}): Promise<string | undefined> {
  const folders = await dumpFolders(ctx);
  const entries = (await Promise.all(folders.map((f) => listDumps(f))))
    .flatMap((c) => c.dumps)
    // A dump of roles and tablespaces holds no database to verify: the Dumps view does not offer it either.
    .filter((e) => opts.globals !== false || e.manifest?.kind !== 'globals');
  if (entries.length === 0) {
    throw new PgbrError('usage', `There is no dump to ${verb} in ${folders.join(', ')}: take one with "PG Backup: Back Up Database…", or add the folder that holds yours to pgBackup.dumpFolders.`);
  }
  const picked = await vscode.window.showQuickPick(dumpPickItems(entries, new Date()), {
    title: `Which dump to ${verb}?`,
    placeHolder: 'newest first; type to filter by name, database or folder',
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  return picked?.entry.path;
}

