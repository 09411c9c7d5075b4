// Readers for the two text files PostgreSQL puts in a WAL archive: timeline history (`00000002.history`) and backup history (`….backup`).
import { parseLsn } from './names';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One line of a timeline history file: `parentTli` ended at `switchLsn` and the next timeline began there. */
export interface TimelineSwitch {
  parentTli: number;
  /** `0/5000100` */
  switchLsn: string;
  /** Why recovery ended, as the server wrote it (`no recovery target specified`, `at restore point "x"`). */
  reason: string;
}

/**
 * The history file of timeline N lists every ancestor, oldest first; its last line is N's own parent.
 * Parsed as PostgreSQL's `readTimeLineHistory` does: blank and `#` lines skipped, IDs increasing.
 */
export function parseTimelineHistory(text: string, tli?: number): ParseResult<TimelineSwitch[]> {
  const switches: TimelineSwitch[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '').trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\d+)\s+([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8})(?:\s+(.*))?$/.exec(line);
    if (!m) return { ok: false, reason: `line ${i + 1} is not "parent timeline, switch LSN, reason"` };
    const parentTli = Number(m[1]);
    const previous = switches[switches.length - 1];
    if (parentTli < 1 || (previous && parentTli <= previous.parentTli)) {
      return { ok: false, reason: `line ${i + 1}: timeline IDs must increase` };
    }
    if (tli !== undefined && parentTli >= tli) {
      return { ok: false, reason: `line ${i + 1}: timeline ${parentTli} cannot be an ancestor of timeline ${tli}` };
    }
    switches.push({ parentTli, switchLsn: (m[2] as string).toUpperCase(), reason: (m[3] ?? '').trim() });
  }
  if (switches.length === 0) return { ok: false, reason: 'it lists no parent timeline' };
  return { ok: true, value: switches };
}

/** What `pg_backup_stop` writes into the archive when a base backup ends. */
export interface BackupHistory {
  startLsn: string;
  /** The segment of the start LSN, as the file names it. */
  startWal: string;
  stopLsn: string;
  stopWal: string;
  checkpointLsn?: string;
  /** `streamed` since PostgreSQL 15; `pg_start_backup` for older exclusive backups. */
  method?: string;
  /** `primary` or `standby`. */
  from?: string;
  label?: string;
  /** Undefined when the time zone abbreviation is ambiguous or unknown: see `startTimeText`. */
  startTime?: Date;
  startTimeText?: string;
  stopTime?: Date;
  stopTimeText?: string;
  startTimeline?: number;
  stopTimeline?: number;
}

/** Parses `KEY: value` lines; the start and stop locations are required, everything else is kept when present. */
export function parseBackupHistory(text: string): ParseResult<BackupHistory> {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  const location = (key: string): { lsn: string; file: string } | undefined => {
    const m = /^([0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}) \(file ([0-9A-F]{24})\)$/.exec(fields.get(key) ?? '');
    return m ? { lsn: (m[1] as string).toUpperCase(), file: m[2] as string } : undefined;
  };
  const start = location('START WAL LOCATION');
  const stop = location('STOP WAL LOCATION');
  if (!start) return { ok: false, reason: 'it has no readable START WAL LOCATION line' };
  if (!stop) return { ok: false, reason: 'it has no readable STOP WAL LOCATION line' };
  const timeline = (key: string): number | undefined => {
    const v = fields.get(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
  };
  const checkpoint = fields.get('CHECKPOINT LOCATION');
  const startTimeText = fields.get('START TIME');
  const stopTimeText = fields.get('STOP TIME');
  const value: BackupHistory = dropUndefined({
    startLsn: start.lsn,
    startWal: start.file,
    stopLsn: stop.lsn,
    stopWal: stop.file,
    checkpointLsn: checkpoint !== undefined && parseLsn(checkpoint) !== undefined ? checkpoint.toUpperCase() : undefined,
    method: fields.get('BACKUP METHOD'),
    from: fields.get('BACKUP FROM'),
    label: fields.get('LABEL'),
    startTime: startTimeText === undefined ? undefined : parsePgTime(startTimeText),
    startTimeText,
    stopTime: stopTimeText === undefined ? undefined : parsePgTime(stopTimeText),
    stopTimeText,
    startTimeline: timeline('START TIMELINE'),
    stopTimeline: timeline('STOP TIMELINE'),
  });
  return { ok: true, value };
}

/** Fields that are absent stay absent, so results compare and serialise without `undefined` keys. */
function dropUndefined<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

// Zone abbreviations tzdata uses that mean one offset only (minutes east of UTC). Ambiguous ones
// (CST, IST, AST…) are left out on purpose: a wrong guess would move a PITR target by hours.
const ZONES: Record<string, number> = {
  UTC: 0,
  UT: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  SAST: 120,
  WAT: 60,
  CAT: 120,
  EAT: 180,
  PKT: 300,
  HKT: 480,
  JST: 540,
  KST: 540,
  AWST: 480,
  ACST: 570,
  ACDT: 630,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
  HST: -600,
  AKST: -540,
  AKDT: -480,
  PST: -480,
  PDT: -420,
  MST: -420,
  MDT: -360,
  EST: -300,
  EDT: -240,
  NST: -210,
  NDT: -150,
};

/**
 * A time as the server writes it in backup files (`%Y-%m-%d %H:%M:%S %Z` in log_timezone):
 * `2026-11-22 07:00:01 UTC`, `2026-11-22 08:00:01 CET`, `2026-11-22 04:00:01 -03`.
 * Undefined when the zone is ambiguous or unknown; callers then fall back to an estimate.
 */
export function parsePgTime(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?\s*(\S+)$/.exec(text.trim());
  if (!m) return undefined;
  const zone = m[8] as string;
  let offset: number | undefined = ZONES[zone.toUpperCase()];
  const numeric = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (numeric) offset = (numeric[1] === '-' ? -1 : 1) * (Number(numeric[2]) * 60 + Number(numeric[3] ?? 0));
  if (offset === undefined) return undefined;
  const ms = m[7] ? Math.round(Number(m[7]) * 1000) : 0;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms);
  return Number.isNaN(utc) ? undefined : new Date(utc - offset * 60_000);
}
