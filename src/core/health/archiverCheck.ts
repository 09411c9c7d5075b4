// Judges WAL archiving from the server's settings and pg_stat_archiver: each problem says what to fix.
import type { ArchiverStatus, ServerInfo } from '../postgres/server';
import { formatWhen } from '../platform/when';

export function archiverProblems(server: ServerInfo, a: ArchiverStatus): string[] {
  const problems: string[] = [];
  if (server.walLevel === 'minimal') {
    problems.push('wal_level is minimal: set wal_level = replica (or logical) and restart, or archived WAL cannot be used for recovery.');
  }
  if (server.archiveMode === 'off') {
    problems.push('archive_mode is off: set archive_mode = on and an archive_command, then restart, to make point-in-time recovery possible.');
  } else if (!server.archiveCommand && server.archiveMode !== 'off') {
    problems.push('archive_command is empty: WAL is kept in pg_wal until you set one (or archive_library); set it and reload.');
  }
  const failingNow =
    a.failedCount > 0 &&
    a.lastFailedTime !== null &&
    (a.lastArchivedTime === null || a.lastFailedTime.getTime() > a.lastArchivedTime.getTime());
  if (failingNow) {
    problems.push(
      `archiving is failing: ${a.failedCount} failure${a.failedCount === 1 ? '' : 's'}, the last for ${a.lastFailedWal ?? 'a WAL file'} ${a.lastFailedTime ? formatWhen(a.lastFailedTime) : 'at an unknown time'}, after the last success; check archive_command and the server log.`,
    );
  }
  return problems;
}
