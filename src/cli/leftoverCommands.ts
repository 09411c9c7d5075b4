// `pgbr leftovers`: what runs that did not finish left behind, and removing it on request.
import { errorMessage, describeLeftovers, dropScratchDatabases, findDrillLeftovers, findScratchDatabases, type DrillFolderLeftover, type ScratchDatabaseLeftover, findPartials, removePartial, type PartialLeftover, tempRoot } from '../core/platform';
import type { Command } from 'commander';
import { withClient } from '../core/postgres';
import { jsonOption, workspaceOption } from './commands';
import { baseBackupFolderFor, dumpFoldersFor, profilesFor } from './workspace';
import { Exit, makeOutput } from './output';
import type { CliContext, Io } from './io';
import { connectionFor } from './shared';

interface LeftoverOptions {
  conn?: string;
  dropScratch?: boolean;
  removePartials?: boolean;
  workspace: string;
  json?: boolean;
}

/** Where a drill's scratch folder may be: the temp folder, and the shared ones a drill run as root falls back to. */
const DRILL_ROOTS = () => [tempRoot(), '/tmp', '/var/tmp'];

export async function leftoversCommand(opts: LeftoverOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    const loaded = await profilesFor(opts.workspace, io);
    const folders = [...dumpFoldersFor(loaded.config, opts.workspace), baseBackupFolderFor(loaded.config, opts.workspace)];
    let partials: PartialLeftover[] = await findPartials(folders);
    const removed: string[] = [];
    if (opts.removePartials) {
      // removePartial looks at the claims again: a run that started since the listing keeps its file.
      const kept: PartialLeftover[] = [];
      for (const p of partials) {
        try {
          await removePartial(p.path);
          removed.push(p.path);
        } catch (e) {
          io.err(`pgbr: ${errorMessage(e)}\n`);
          kept.push(p);
        }
      }
      partials = kept;
    }
    const drills: DrillFolderLeftover[] = await findDrillLeftovers(DRILL_ROOTS());
    let scratch: ScratchDatabaseLeftover[] = [];
    const dropped: string[] = [];
    if (opts.conn) {
      const { resolved } = await connectionFor(opts.conn, opts.workspace, io);
      scratch = await withClient(resolved.params, { password: resolved.password, database: resolved.params.database || 'postgres' }, async (c) => {
        const found = await findScratchDatabases(c);
        if (!opts.dropScratch) return found;
        const r = await dropScratchDatabases(c, found);
        dropped.push(...r.dropped);
        return found.filter((f) => !r.dropped.includes(f.name));
      });
    }
    const notes = describeLeftovers({ partials, scratch, drills }).map((n) => (opts.conn ? n.replace('--conn NAME', `--conn ${opts.conn}`) : n));
    out.result({ partials, scratchDatabases: scratch, drillFolders: drills, removed, dropped, notes }, () => {
      const lines = [...removed.map((p) => `removed ${p}`), ...dropped.map((d) => `dropped database ${d}`)];
      for (const s of scratch.filter((s) => s.state === 'running')) lines.push(`kept ${s.name}: a verify of pid ${s.owner?.pid} on ${s.owner?.host} may still use it`);
      lines.push(...notes);
      if (!opts.conn) lines.push('scratch databases not checked: pass --conn NAME to look at a server.');
      if (lines.length === (opts.conn ? 0 : 1)) lines.unshift('nothing left behind.');
      return lines.join('\n');
    });
    return notes.length > 0 ? Exit.Problem : Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

export function addLeftoverCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('leftovers')
    .description('what runs that did not finish left: unfinished .partial backups, scratch databases of killed verifies, drill folders; exit 1 if any')
    .option('--conn <name|uri>', 'also look for pgbr_verify_* scratch databases on this server')
    .option('--drop-scratch', 'with --conn: drop the scratch databases whose verify is no longer running')
    .option('--remove-partials', 'remove the .partial files and folders no running pgbr is writing')
    .addOption(workspaceOption())
    .addOption(jsonOption())
    .action(async (opts: LeftoverOptions) => exit(await leftoversCommand(opts, io)));
}
