// The base backups a connection's health is judged on: the archive's backup history files and the records this tool wrote, read one way for the editor and pgbr.
import { errorMessage } from '../platform/errors';
import { listBaseBackups } from '../physical/catalog';
import { readBackupHistories } from '../wal/scan';
import type { BaseBackupSeen } from './snapshot';

export interface BaseBackupSources {
  /** The connection's WAL archive, when one is known. */
  archive?: string;
  /** The folder base backups are written to (`baseBackupFolder`). */
  folder: string;
  /** The connection whose records count: base backups of other connections in the same folder do not. */
  profile: string;
}

/**
 * Every base backup seen, newest first: the archive's `.backup` files (any tool's backups), and the
 * records in the base-backup folder whose folder is still there (a backup taken without archiving
 * leaves no `.backup` file). One backup found both ways is listed once. What cannot be read is a note.
 */
export async function baseBackupsSeen(sources: BaseBackupSources, notes: string[]): Promise<BaseBackupSeen[]> {
  const seen: BaseBackupSeen[] = [];
  if (sources.archive !== undefined) {
    try {
      const histories = await readBackupHistories(sources.archive);
      for (const h of histories) if (h.stopTime) seen.push({ label: h.label ?? h.file, stopTime: h.stopTime });
      const undated = histories.filter((h) => !h.stopTime).length;
      if (undated) notes.push(`${undated} backup history file(s) in ${sources.archive} have no readable stop time and are not counted`);
    } catch (e) {
      notes.push(`base backups in the archive not checked: ${errorMessage(e)}`);
    }
  }
  try {
    const catalog = await listBaseBackups(sources.folder);
    notes.push(...catalog.problems);
    for (const b of catalog.backups) {
      if (b.missing || b.record.profile !== sources.profile) continue;
      const stopTime = new Date(b.record.stopTime);
      if (Number.isNaN(stopTime.getTime())) continue;
      if (seen.some((s) => s.label === b.record.label && Math.abs(s.stopTime.getTime() - stopTime.getTime()) < 1000)) continue;
      seen.push({ label: b.record.label, stopTime });
    }
  } catch (e) {
    notes.push(`base backups in ${sources.folder} not checked: ${errorMessage(e)}`);
  }
  return seen.sort((a, b) => b.stopTime.getTime() - a.stopTime.getTime());
}
