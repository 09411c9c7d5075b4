// The WAL of a posix pgBackRest repository, read from its own layout: pgBackRest's info gives only the
// archive's min and max, so a segment missing between them (a gap that ends recovery there) is found
// here, with the same judgement as a plain archive folder's.
import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { analyzeArchive, type ArchiveProblem, type HistoryEntry, type KnownBaseBackup, type SegmentEntry, type TimelineSummary } from '../wal/check';
import { parseTimelineHistory } from '../wal/history';
import { type Compression, segmentNumber } from '../wal/names';
import type { BackrestStanzaInfo } from './info';
import { segmentSizeOf } from './window';

/** One archive id's folder (`archive/<stanza>/15-1`) as read. */
export interface BackrestArchiveScan {
  /** `15-1`: PostgreSQL version and db id. */
  archiveId: string;
  dir: string;
  segments: number;
  bytes: number;
  timelines: TimelineSummary[];
  problems: ArchiveProblem[];
}

/**
 * `<16 hex: timeline and log>/<segment>[.partial]-<sha1>[.<compression>]`, pgBackRest's name for a
 * pushed segment (archive-push's storage layout; the checksum is of the uncompressed segment).
 */
const SEGMENT_FILE = /^([0-9A-F]{24})(\.partial)?-[0-9a-f]{40}(?:\.(gz|zst|lz4|bz2|xz))?$/;
const HISTORY_FILE = /^([0-9A-F]{8})\.history$/;

/** The backups of info as the archive judgement knows base backups: where each stopped. */
function knownBackups(info: BackrestStanzaInfo): KnownBaseBackup[] {
  return info.backups
    .filter((b) => b.lsnStop && b.walStop)
    .map((b) => ({ label: b.label, stopLsn: b.lsnStop as string, stopWal: b.walStop as string, stopTime: b.stopTime, timeline: parseInt((b.walStop as string).slice(0, 8), 16) }));
}

/** Reads every archive id of repo1 under `repoPath`; an id folder that cannot be read is one problem, not a failure. */
export async function scanBackrestArchive(repoPath: string, info: BackrestStanzaInfo): Promise<BackrestArchiveScan[]> {
  const segmentSize = segmentSizeOf(info.backups);
  const scans: BackrestArchiveScan[] = [];
  for (const archive of info.archives.filter((a) => a.repoKey === 1)) {
    const dir = path.join(repoPath, 'archive', info.name, archive.id);
    const scan: BackrestArchiveScan = { archiveId: archive.id, dir, segments: 0, bytes: 0, timelines: [], problems: [] };
    scans.push(scan);
    let top: string[];
    try {
      top = (await fs.readdir(dir)).sort();
    } catch (e) {
      scan.problems.push({ kind: 'unreadable', severity: 'warning', message: `cannot read ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'}), so gaps in the archive of ${archive.id} are not checked: run pgbr as a user who can read the repository.` });
      continue;
    }
    const segments: SegmentEntry[] = [];
    const histories: HistoryEntry[] = [];
    for (const name of top) {
      const full = path.join(dir, name);
      const history = HISTORY_FILE.exec(name);
      if (history) {
        const tli = parseInt(history[1] as string, 16);
        const st = await fs.stat(full).catch(() => undefined);
        const text = await fs.readFile(full, 'utf8').catch(() => undefined);
        const parsed = text === undefined ? undefined : parseTimelineHistory(text, tli);
        histories.push({ file: name, tli, mtimeMs: st?.mtimeMs ?? 0, ...(parsed?.ok ? { switches: parsed.value } : { error: parsed ? parsed.reason : 'could not be read' }) });
        continue;
      }
      if (!/^[0-9A-F]{16}$/.test(name)) continue;
      // One folder holds at most 256 segments (a log's worth at 16 MiB): stat them synchronously, as
      // the plain archive scan does (a promise per file costs several times more), and yield between folders.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const file of (await fs.readdir(full).catch(() => [] as string[])).sort()) {
        const m = SEGMENT_FILE.exec(file);
        if (!m) continue;
        const segment = m[1] as string;
        const segno = segmentNumber(parseInt(segment.slice(8, 16), 16), parseInt(segment.slice(16), 16), segmentSize);
        if (segno === undefined) continue;
        const st = statSync(path.join(full, file), { throwIfNoEntry: false });
        if (!st) continue;
        const entry: SegmentEntry = { name: segment, tli: parseInt(segment.slice(0, 8), 16), segno, size: st.size, mtimeMs: st.mtimeMs, partial: m[2] !== undefined };
        if (m[3]) entry.compression = m[3] as Compression;
        segments.push(entry);
        scan.bytes += st.size;
        if (!entry.partial) scan.segments++;
      }
    }
    const analysis = analyzeArchive({ segmentSize, segments, histories, backups: [], stray: [], misnamed: [], knownBaseBackups: knownBackups(info) });
    scan.timelines = analysis.timelines;
    // A compressed or uncompressed size is pgBackRest's business: only what breaks recovery is kept.
    scan.problems.push(...analysis.problems.filter((p) => p.kind !== 'wrong-size'));
  }
  return scans;
}
