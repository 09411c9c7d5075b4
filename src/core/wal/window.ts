// The recoverable window: from each base backup's end along unbroken WAL to the newest archived segment.
import { formatLsn, lsnToSegment, parseLsn, parseWalFileName, segmentNumber, segmentStartLsn } from './names';
import type { ArchiveInventory, BackupWindow, RecoverableWindow, WindowPoint } from './check';
import type { SegmentTable } from './segmentTable';
import type { Timeline } from './timeline';

interface BaseBackupPoint {
  label: string;
  origin: 'archive' | 'known';
  file?: string;
  timeline: number;
  stopLsn: bigint;
  stopSegno: number;
  from: WindowPoint;
}

/**
 * For each base backup: from its end (the earliest consistent point) to the end of the unbroken WAL
 * that follows it, across timeline switches that happen after it; the furthest branch wins, as
 * recovery_target_timeline = 'latest' would usually take it.
 */
export function recoverableWindow(inv: ArchiveInventory, timelines: Map<number, Timeline>, table: SegmentTable, size: number): RecoverableWindow {
  const points = baseBackupPoints(inv, size);
  if (points.length === 0) {
    return {
      backups: [],
      note: 'no base backup is known (no .backup file in the archive, none made by the extension): archived WAL alone restores nothing',
    };
  }
  const children = new Map<number, Timeline[]>();
  for (const t of timelines.values()) {
    if (t.parent === undefined) continue;
    const list = children.get(t.parent) ?? [];
    list.push(t);
    children.set(t.parent, list);
  }

  /** The furthest usable segment reachable from `segno` on `tli`, having WAL up to `segno - 1` already; `file` is the row of its newest file. */
  const reach = (tli: number, segno: number, since: bigint): { tli: number; segno: number; file: number } | undefined => {
    const t = timelines.get(tli);
    const run = t?.runs.find((r) => r.firstSegno <= segno && segno <= r.lastSegno);
    let best: { tli: number; segno: number; file: number } | undefined = run
      ? { tli, segno: run.lastSegno, file: run.last }
      : undefined;
    const reached = run ? run.lastSegno : segno - 1;
    for (const c of children.get(tli) ?? []) {
      if (c.switchLsn === undefined || c.switchLsn < since) continue;
      const s = lsnToSegment(c.switchLsn, size);
      if (s < segno || s > reached + 1) continue;
      const further = reach(c.tli, s, c.switchLsn);
      if (further && (!best || further.segno > best.segno || (further.segno === best.segno && further.tli > best.tli))) best = further;
    }
    return best;
  };

  const backups: BackupWindow[] = points.map((p) => {
    const end = reach(p.timeline, p.stopSegno, p.stopLsn);
    if (!end) {
      return { label: p.label, origin: p.origin, ...(p.file ? { file: p.file } : {}), from: p.from, to: { ...p.from }, walAfterStop: false };
    }
    const mtime = new Date(table.mtimeMs[end.file] as number);
    const to: WindowPoint = {
      lsn: formatLsn(segmentStartLsn(end.segno + 1, size)),
      timeline: end.tli,
      // A segment's file time is when it was archived, a little after its last record: clamp so the window never runs backwards.
      time: p.from.time && p.from.time > mtime ? p.from.time : mtime,
      exact: false,
      source: `time ${table.name(end.file)} was archived`,
    };
    return { label: p.label, origin: p.origin, ...(p.file ? { file: p.file } : {}), from: p.from, to, walAfterStop: true };
  });

  const window: RecoverableWindow = { backups };
  for (const b of backups) {
    const from = b.from.time;
    const to = b.to.time;
    if (from && (!window.earliest?.time || from < window.earliest.time)) window.earliest = { ...b.from, backup: b.label };
    if (to && (!window.latest?.time || to > window.latest.time)) window.latest = { ...b.to, backup: b.label };
  }
  if (!window.earliest) window.note = 'no base backup has a known time: the window is known by LSN only';
  return window;
}

function baseBackupPoints(inv: ArchiveInventory, size: number): BaseBackupPoint[] {
  const points: BaseBackupPoint[] = [];
  const stopSegno = (stopWal: string | undefined, lsn: bigint): number => {
    const parsed = stopWal === undefined ? undefined : parseWalFileName(stopWal);
    const n = parsed?.kind === 'segment' ? segmentNumber(parsed.log, parsed.seg, size) : undefined;
    return n ?? lsnToSegment(lsn, size);
  };
  for (const b of inv.backups) {
    const h = b.backup;
    const lsn = h ? parseLsn(h.stopLsn) : undefined;
    if (!h || lsn === undefined) continue;
    const timeline = h.stopTimeline ?? b.tli;
    const from: WindowPoint = h.stopTime
      ? { lsn: h.stopLsn, timeline, time: h.stopTime, exact: true, source: `STOP TIME in ${b.file}` }
      : {
          lsn: h.stopLsn,
          timeline,
          time: new Date(b.mtimeMs),
          exact: false,
          source: h.stopTimeText
            ? `time ${b.file} was written (its STOP TIME "${h.stopTimeText}" has an ambiguous time zone)`
            : `time ${b.file} was written`,
        };
    points.push({ label: h.label ?? b.file, origin: 'archive', file: b.file, timeline, stopLsn: lsn, stopSegno: stopSegno(h.stopWal, lsn), from });
  }
  for (const k of inv.knownBaseBackups) {
    const lsn = parseLsn(k.stopLsn);
    if (lsn === undefined) continue;
    // The same backup can be both in the archive and in the extension's records: count it once.
    if (points.some((p) => p.timeline === k.timeline && p.stopLsn === lsn)) continue;
    const from: WindowPoint = k.stopTime
      ? { lsn: formatLsn(lsn), timeline: k.timeline, time: k.stopTime, exact: true, source: `stop time of base backup "${k.label}"` }
      : { lsn: formatLsn(lsn), timeline: k.timeline, exact: false, source: `base backup "${k.label}" has no recorded stop time` };
    points.push({ label: k.label, origin: 'known', timeline: k.timeline, stopLsn: lsn, stopSegno: stopSegno(k.stopWal, lsn), from });
  }
  return points;
}
