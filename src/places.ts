// Where the editor finds dumps, base backups and WAL archives: its settings first, then pgbackup.yaml,
// read by the core's rules (core/profiles/places.ts) that pgbr follows too. Every feature asks here.
import type { Ctx } from './ctx';
import { DEFAULT_NAME_TEMPLATE } from './core/logical';
import { baseBackupFolderFrom, dumpFoldersFrom } from './core/profiles';
import { parseArchiveLocations, type ArchiveLocation } from './core/wal';
import { setting } from './settings';

/** Every dump folder to list, first one written to; relative paths are read against the workspace folder. */
export async function dumpFolders(ctx: Ctx): Promise<string[]> {
  const fromSetting = setting('dumpFolders') ?? [];
  const fromYaml = (await ctx.profiles()).config?.dumpFolders ?? [];
  return dumpFoldersFrom([...fromSetting, ...fromYaml], ctx.places);
}

export async function nameTemplate(ctx: Ctx): Promise<string> {
  const fromSetting = setting('dumpNameTemplate');
  const fromYaml = (await ctx.profiles()).config?.dumpNameTemplate;
  return fromSetting?.trim() || (typeof fromYaml === 'string' && fromYaml.trim()) || DEFAULT_NAME_TEMPLATE;
}

/** Where base backups (and the restore-point record) live: setting, then pgbackup.yaml, then the default. */
export async function baseBackupFolder(ctx: Ctx): Promise<string> {
  const fromSetting = setting('baseBackupFolder')?.trim();
  const fromYaml = (await ctx.profiles()).config?.baseBackupFolder?.trim();
  return baseBackupFolderFrom(fromSetting || fromYaml || undefined, ctx.places);
}

/** The WAL archive locations: from pgbackup.yaml, then the pgBackup.archives setting, each folder once. */
export async function archiveLocations(ctx: Ctx): Promise<{ locations: ArchiveLocation[]; problems: string[] }> {
  const fromYaml = parseArchiveLocations((await ctx.profiles()).config?.archives ?? [], 'pgbackup.yaml', ctx.workspaceFolder);
  const fromSettings = setting('archives') ?? [];
  const fromSetting = parseArchiveLocations(fromSettings, 'setting pgBackup.archives', ctx.workspaceFolder);
  const seen = new Set<string>();
  const locations = [...fromYaml.locations, ...fromSetting.locations].filter((l) => !seen.has(l.path) && seen.add(l.path));
  return { locations, problems: [...fromYaml.problems, ...fromSetting.problems] };
}
