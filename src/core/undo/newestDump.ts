// Without WAL to go back through, the table as it was is in a dump: the newest one of that connection and
// database whose table of contents holds the table's rows, and what is lost by going back to it.
import type { CatalogEntry, Decryption } from '../logical';
import { readToc } from '../logical';
import { formatDuration } from '../platform/duration';
import { errorMessage } from '../platform/errors';
import { formatStamp } from '../platform/when';
import type { QualifiedName } from '../postgres/names';

export interface DumpWithTable {
  dump: CatalogEntry;
  /** When its rows were read: pg_dump takes its snapshot as it starts. */
  takenAt: Date;
  /** From then to `now`: the changes made in this span are not in it. */
  lostMs: number;
  /** `the newest dump with public.orders is orders_20261201-030000.dump of 2026-12-01 03:00:04 UTC: changes after it are lost (12 h 47 min before now)`. */
  message: string;
}

export interface NewestDumpOptions {
  /** The catalog's dumps (`listDumps` of each dump folder), in any order. */
  dumps: readonly CatalogEntry[];
  /** The connection profile's name, as dump manifests record it. */
  connection: string;
  database: string;
  table: QualifiedName;
  /** The clock: how much is lost is counted to it. */
  now: Date;
  /** Only dumps taken at or before this time (the moment the table is wanted as it was). */
  before?: Date;
  /** The zone times are written in (default the machine's). */
  timeZone?: string;
  /** pg_restore, for archives the built-in reader cannot list. */
  pgRestore?: string;
  decryption?: Decryption;
  signal?: AbortSignal;
}

const qualified = (t: QualifiedName) => `${t.schema}.${t.name}`;

/**
 * The newest dump of the connection's database, not damaged, whose table of contents has the table's
 * rows (`TABLE DATA`); `skipped` says why a dump that could have been it was passed over. A dump without a
 * manifest is not considered: nothing says which server and database it came from.
 */
export async function newestDumpWithTable(opts: NewestDumpOptions): Promise<{ found?: DumpWithTable; skipped: string[] }> {
  const skipped: string[] = [];
  const takenAt = (d: CatalogEntry) => (d.manifest?.startedAt ? new Date(d.manifest.startedAt) : d.time);
  const ours = opts.dumps
    .filter((d) => d.manifest?.kind === 'database' && d.manifest.profile === opts.connection && d.manifest.database === opts.database)
    .filter((d) => opts.before === undefined || takenAt(d).getTime() <= opts.before.getTime())
    .sort((a, b) => takenAt(b).getTime() - takenAt(a).getTime() || a.name.localeCompare(b.name));
  for (const dump of ours) {
    if (dump.damage) {
      skipped.push(`${dump.name}: damaged (${dump.damage})`);
      continue;
    }
    let hasRows: boolean;
    try {
      const toc = await readToc(dump.path, { ...(opts.pgRestore ? { pgRestore: opts.pgRestore } : {}), ...(opts.decryption ? { decryption: opts.decryption } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      hasRows = toc.entries.some((e) => e.desc === 'TABLE DATA' && e.schema === opts.table.schema && e.name === opts.table.name);
    } catch (e) {
      skipped.push(`${dump.name}: its table of contents cannot be read (${errorMessage(e)})`);
      continue;
    }
    if (!hasRows) continue;
    const at = takenAt(dump);
    const lostMs = Math.max(0, opts.now.getTime() - at.getTime());
    const when = formatStamp(at, opts.timeZone ? { timeZone: opts.timeZone } : {});
    return {
      found: { dump, takenAt: at, lostMs, message: `the newest dump with ${qualified(opts.table)} is ${dump.name} of ${when}: changes after it are lost (${formatDuration(lostMs / 1000)} before now)` },
      skipped,
    };
  }
  return { skipped };
}
