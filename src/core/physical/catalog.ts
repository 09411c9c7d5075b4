// The base backups in a folder, with the leftovers of runs that did not finish.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { errorMessage } from '../platform/errors';
import { pathExists } from '../platform/fsutil';
import { claimedPaths } from '../platform/partials';
import { type BaseBackupRecord, RECORD_SUFFIX, readRecord } from './record';

export interface BaseBackupEntry {
  path: string;
  recordPath: string;
  record: BaseBackupRecord;
  /** The record is there but its folder is gone (deleted or moved by hand). */
  missing: boolean;
}

export interface BaseBackupPartial {
  path: string;
  modified: Date;
}

export interface BaseBackupCatalog {
  /** Newest first. */
  backups: BaseBackupEntry[];
  /** `.partial` folders no backup of this process is writing: what a crash or a kill left. */
  partials: BaseBackupPartial[];
  /** One sentence per record that could not be read. */
  problems: string[];
}

/** The base backups of a folder, from their records; a missing folder is an empty catalog. */
export async function listBaseBackups(folder: string): Promise<BaseBackupCatalog> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { backups: [], partials: [], problems: [] };
    throw e;
  }
  const backups: BaseBackupEntry[] = [];
  const partials: BaseBackupPartial[] = [];
  const problems: string[] = [];
  // Being written by this process or any other live pgbr or editor: not a leftover.
  const claimed = claimedPaths();
  for (const name of names) {
    const full = path.join(folder, name);
    if (name.endsWith('.partial')) {
      if (claimed.has(full)) continue;
      const stat = await fs.lstat(full).catch(() => undefined);
      if (stat?.isDirectory()) partials.push({ path: full, modified: stat.mtime });
      continue;
    }
    if (!name.endsWith(RECORD_SUFFIX)) continue;
    const backupPath = full.slice(0, -RECORD_SUFFIX.length);
    try {
      const record = readRecord(await fs.readFile(full, 'utf8'));
      backups.push({ path: backupPath, recordPath: full, record, missing: !(await pathExists(backupPath)) });
    } catch (e) {
      problems.push(`${full} cannot be read (${errorMessage(e)}): the base backup beside it is not listed`);
    }
  }
  backups.sort((a, b) => b.record.stopTime.localeCompare(a.record.stopTime) || b.path.localeCompare(a.path));
  partials.sort((a, b) => a.path.localeCompare(b.path));
  return { backups, partials, problems };
}
