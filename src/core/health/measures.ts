// What the snapshot and the checklist both measure against: thresholds, which dumps count, and how a moment is written.
import type { CatalogEntry } from '../logical/catalog';
import { formatWhen } from '../platform/when';
import type { WalLag } from './snapshot';
import { SEGMENT_HEADER_BYTES } from './walPosition';

/** More than this many segments waiting for the archiver (128 MiB at the default size) is lagging. */
export const LAGGING_SEGMENTS = 8;

/** Without a declared RPO, a last archive older than this, with WAL written since, is no longer "recent". */
export const DEFAULT_RECENT_SECONDS = 86400;

/** Nothing written since the last archived segment: the archive holds everything, however old the last archive is. */
export function nothingUnarchived(lag: WalLag): boolean {
  return lag.unarchivedBytes !== null && lag.unarchivedBytes <= SEGMENT_HEADER_BYTES;
}

export function isDatabaseDump(d: CatalogEntry): boolean {
  return d.manifest?.kind !== 'globals';
}

export function passedVerifications(dumps: readonly CatalogEntry[] | undefined): { dump: CatalogEntry; at: Date; durationMs: number }[] {
  const found: { dump: CatalogEntry; at: Date; durationMs: number }[] = [];
  for (const dump of dumps ?? []) {
    const v = dump.manifest?.verification;
    if (v?.status === 'passed' && isDatabaseDump(dump)) found.push({ dump, at: new Date(v.at), durationMs: v.durationMs });
  }
  return found.sort((a, b) => b.at.getTime() - a.at.getTime());
}

export const at = (d: Date | null | undefined, now: Date): string => (d ? formatWhen(d, { now }) : 'never');

/**
 * Archived WAL replays onto a base backup: with none known, "OK" would promise a recovery that cannot
 * happen. `takeOne` is how to take one where this is read (an editor command, a pgbr command line).
 */
export function missingBaseBackup(s: { rpo: { baseBackup: { ageSeconds: number | null } } }, takeOne: string): string | undefined {
  return s.rpo.baseBackup.ageSeconds === null ? `no base backup is known, and archived WAL alone restores nothing: take a base backup (${takeOne}).` : undefined;
}
