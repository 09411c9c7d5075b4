// Where things live: the dump folders, the base-backup folder and WAL archive folders, decided here for
// both the editor and pgbr, with `~` and relative paths read the same way everywhere.
import * as os from 'node:os';
import * as path from 'node:path';

/** The folder under a workspace that dumps (and, below it, base backups) go to when nothing is configured. */
export const WORKSPACE_DUMP_FOLDER = '.pg-backups';
export const DEFAULT_BASE_BACKUP_SUBFOLDER = 'base';

export interface Places {
  /** Relative paths are read against it; the defaults live in it. */
  workspaceFolder?: string;
  /** Where files go without a workspace: the editor's global storage, `~/.pgbr` for pgbr. */
  storage: string;
  /** For `~`; the user's home by default. */
  homedir?: string;
}

/** `~/x` and `~` from the home folder, relative paths from the workspace (when there is one), normalized. */
export function expandFolder(folder: string, places: Pick<Places, 'workspaceFolder' | 'homedir'>): string {
  const trimmed = folder.trim();
  const home = places.homedir ?? os.homedir();
  const expanded = trimmed === '~' ? home : /^~[\\/]/.test(trimmed) ? path.join(home, trimmed.slice(2)) : trimmed;
  const full = path.isAbsolute(expanded) || !places.workspaceFolder ? path.normalize(expanded) : path.resolve(places.workspaceFolder, expanded);
  // `/srv/dumps/` and `/srv/dumps` are one folder.
  return full.length > 1 && /[\\/]$/.test(full) && full !== path.parse(full).root ? full.slice(0, -1) : full;
}

/** The configured dump folders in order (the first is written to), else `<workspace>/.pg-backups`, else the storage folder. */
export function dumpFoldersFrom(configured: readonly unknown[], places: Places): string[] {
  const folders = configured.filter((f): f is string => typeof f === 'string' && f.trim() !== '').map((f) => expandFolder(f, places));
  if (folders.length > 0) return [...new Set(folders)];
  return [places.workspaceFolder ? path.join(places.workspaceFolder, WORKSPACE_DUMP_FOLDER) : places.storage];
}

/** The configured base-backup folder, else `<workspace>/.pg-backups/base`, else `<storage>/base`. */
export function baseBackupFolderFrom(configured: string | undefined, places: Places): string {
  if (configured?.trim()) return expandFolder(configured, places);
  if (places.workspaceFolder) return path.join(places.workspaceFolder, WORKSPACE_DUMP_FOLDER, DEFAULT_BASE_BACKUP_SUBFOLDER);
  return path.join(places.storage, DEFAULT_BASE_BACKUP_SUBFOLDER);
}

/** pgbr's storage folder for a run without a workspace. */
export function cliStorage(homedir: string = os.homedir()): string {
  return path.join(homedir, '.pgbr');
}
