// Judges WAL archiving from the server's settings and pg_stat_archiver: each problem says what to fix.
import type { ArchiverStatus, ServerInfo } from '../postgres/server';
import { plural } from '../platform/plural';
import { formatWhen } from '../platform/when';
import { archivingBlock, failingNow } from './archiving';

export function archiverProblems(server: ServerInfo, a: ArchiverStatus): string[] {
  const problems: string[] = [];
  const block = archivingBlock(server);
  if (block) problems.push(`${block.detail.replace(/\.$/, '')}: ${block.fix}`);
  if (failingNow(a)) {
    problems.push(
      `archiving is failing: ${plural(a.failedCount, 'failure')}, the last for ${a.lastFailedWal ?? 'a WAL file'} ${a.lastFailedTime ? formatWhen(a.lastFailedTime) : 'at an unknown time'}, after the last success; check archive_command and the server log.`,
    );
  }
  return problems;
}
