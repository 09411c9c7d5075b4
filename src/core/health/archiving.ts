// Whether WAL archiving is on, decided once for `pgbr status`, the health checklist and the Connections view:
// archive_mode on (or always), an archive_command or an archive_library, and a wal_level WAL can be replayed from.
import type { ArchiverStatus, ServerInfo } from '../postgres/server';

/** What keeps archived WAL from being usable, with a short form for a tree row and the fix. */
export interface ArchivingBlock {
  short: string;
  detail: string;
  fix: string;
}

/** The first thing that stops archiving from being useful, or undefined when it is on. */
export function archivingBlock(server: ServerInfo): ArchivingBlock | undefined {
  if (server.walLevel === 'minimal') {
    return { short: 'wal_level minimal', detail: 'wal_level is minimal, so archived WAL cannot be used for recovery.', fix: 'set wal_level = replica in postgresql.conf, then restart.' };
  }
  if (server.archiveMode !== 'on' && server.archiveMode !== 'always') {
    return {
      short: 'archiving off',
      detail: `archive_mode is ${server.archiveMode || 'unknown'}: no WAL is archived, so there is no point-in-time recovery.`,
      fix: 'set archive_mode = on and archive_command in postgresql.conf, then restart.',
    };
  }
  if (!archivingVia(server)) {
    return {
      short: `archive_mode ${server.archiveMode}, no archive_command`,
      detail: `archive_mode is ${server.archiveMode} but archive_command and archive_library are empty: WAL piles up in pg_wal instead of being archived.`,
      fix: 'set archive_command (or archive_library) in postgresql.conf, then reload.',
    };
  }
  return undefined;
}

export function archivingOn(server: ServerInfo): boolean {
  return archivingBlock(server) === undefined;
}

/** `archive_library = basic_archive` or `archive_command set`; undefined when neither is. */
export function archivingVia(server: ServerInfo): string | undefined {
  const library = (server.archiveLibrary ?? '').trim();
  if (library) return `archive_library = ${library}`;
  return server.archiveCommand.trim() ? 'archive_command set' : undefined;
}

/** The last failure came after the last success (or there never was one): archiving is failing now. */
export function failingNow(a: ArchiverStatus): boolean {
  return a.failedCount > 0 && a.lastFailedTime !== null && (a.lastArchivedTime === null || a.lastFailedTime.getTime() > a.lastArchivedTime.getTime());
}
