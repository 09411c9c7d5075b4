// "Restore from offsite…": pick a remote (those the dumps' manifests name, or another), pick a dump there,
// pull it into the first dump folder with every sha256 checked, then restore it as any dump is restored.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { listDumps } from '../core/logical';
import { listRemote, parseRemote, pullDump, type OffsiteRemote } from '../core/offsite';
import type { RestoreRequest } from '../requests';
import { formatBytes, PgbrError } from '../core/platform';
import { dumpFolders } from '../places';
import { withCancellableProgress } from '../progress';
import { restoreCommand } from './restore';

const OTHER = 'Another remote…';

/** The remotes the manifests here name, most used first: where copies were pushed from this workspace. */
async function knownTargets(folders: readonly string[]): Promise<string[]> {
  const counts = new Map<string, number>();
  for (const folder of folders) {
    for (const d of (await listDumps(folder)).dumps) for (const c of d.manifest?.offsite ?? []) counts.set(c.target, (counts.get(c.target) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
}

async function pickRemote(known: readonly string[]): Promise<string | undefined> {
  const picked = known.length
    ? await vscode.window.showQuickPick([...known, OTHER], { title: 'Restore from offsite: which remote?', placeHolder: 'remotes the dumps here were copied to', ignoreFocusOut: true })
    : OTHER;
  if (picked !== OTHER) return picked;
  return vscode.window.showInputBox({
    title: 'Restore from offsite: rclone remote',
    prompt: 'a remote of your rclone.conf (backup:pg), :backend:path, or a folder; keys stay in rclone\'s config or environment',
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        parseRemote(value, '/');
        return undefined;
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    },
  });
}

/** With `copy` given (a caller, a test) nothing is asked until the restore, and with `request` nothing at all. */
export async function restoreFromOffsite(ctx: Ctx, copy: { from: string; dump: string } | undefined, request: RestoreRequest | undefined): Promise<unknown> {
  const folders = await dumpFolders(ctx);
  const into = folders[0];
  if (!into) throw new PgbrError('config', 'No dump folder is set, so there is nowhere to pull a copy to: set pgBackup.dumpFolders.');
  const spec = copy?.from ?? (await pickRemote(await knownTargets(folders)));
  if (spec === undefined) return undefined;
  const remote = parseRemote(spec, ctx.workspaceFolder ?? into);
  const name = copy?.dump ?? (await pickRemoteDump(remote));
  if (name === undefined) return undefined;
  const pulled = await withCancellableProgress(`Pulling ${name} from ${remote.target}`, (_p, signal) => pullDump(name, remote, into, { signal, logger: ctx.log }));
  ctx.log.info(`pulled ${pulled.from} to ${pulled.path}; every sha256 matches its manifest`);
  ctx.dumpsChanged();
  return restoreCommand(ctx, { dumpPath: pulled.path, tables: [] }, request);
}

async function pickRemoteDump(remote: OffsiteRemote): Promise<string | undefined> {
  const listing = await withCancellableProgress(`Listing ${remote.target}`, (_p, signal) => listRemote(remote, { signal }));
  const dumps = listing.dumps.filter((d) => d.manifest);
  if (dumps.length === 0) throw new PgbrError('usage', `There is no dump with its manifest at ${remote.target}: push one with pgbr offsite push, or pick another remote.`);
  const picked = await vscode.window.showQuickPick(
    dumps
      .sort((a, b) => b.name.localeCompare(a.name))
      .map((d) => ({ label: d.name, description: [formatBytes(d.sizeBytes), d.modified ? d.modified.slice(0, 16).replace('T', ' ') : undefined].filter(Boolean).join(' · '), name: d.name })),
    { title: `Restore from ${remote.target}: which dump?`, placeHolder: 'it is pulled into the first dump folder and checked against its manifest first', ignoreFocusOut: true },
  );
  return picked?.name;
}
