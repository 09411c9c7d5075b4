// Which of a plan's backups a GFS retention keeps and which it removes, and why: borg prune 1.2's rules in a plan's time zone.
//
// The rules, in the order they are applied (see borg 1.2's `prune_within` and `prune_split`):
// 1. Candidates are ordered newest first by `startedAt`. Two backups that started at the same
//    millisecond are ordered by path in code-point order, the greater path counting as the newer
//    (backup names carry their time, so a later name is a later backup); the result never depends on
//    the order the caller listed them in.
// 2. `within: D` keeps every backup that started after the newest backup's start minus D (borg
//    measures from the clock; measuring from the newest backup makes a preview mean the same tomorrow).
//    Reason `within 2d`.
// 3. `last: N`, then `hourly`, `daily`, `weekly`, `monthly`, `yearly`, each with its count N: walk
//    the backups newest to oldest; a backup whose period differs from the one before it in the walk is
//    the newest of its period: when no earlier rule kept it, keep it and count it (`daily 3` is the
//    third backup the daily rule counted); one an earlier rule kept uses up its period but not the
//    count. Stop when N are counted. When the walk ends with fewer than N counted, the oldest backup is
//    kept too if nothing kept it yet, with the reason `oldest (daily)`: a young plan still keeps its
//    first backup for as long as the daily rule would, had it backups enough.
//    For `last` every backup is a period of its own, so `last: N` keeps the N newest backups no
//    earlier rule kept (borg counts `--keep-last` as `--keep-secondly`, which would merge two backups
//    of the same second; here both count).
// 4. Always kept, whatever the rules: the newest backup (`newest`) and the newest backup that passed
//    verification (`newest verified`). A plan without any keep rule removes nothing (`no keep rules`).
// 5. Everything else is removed.
//
// Periods are calendar periods in the plan's IANA zone: the local day, ISO week (Monday first, the
// ISO week-year, so 2026-12-28 .. 2027-01-03 is week 53 of 2026), month and year. An hourly period is
// one real hour: in autumn the repeated local hour (02:00–03:00 twice in Europe/Berlin) is two
// periods, told apart by the UTC offset, where borg's naive local time would merge them.
import { hasKeepRules, type KeepRules, type RetentionCandidate } from './rules';
import { civilDate, DAY_MS, zoneClock } from '../platform/zones';

export interface KeptBackup {
  candidate: RetentionCandidate;
  /** Every rule that kept it, in the order the rules apply: `within 2d`, `last 1`, `daily 3`, `oldest (weekly)`, `newest`, `newest verified`. */
  reasons: string[];
}

export interface RetentionPlan {
  /** Newest first. */
  keep: KeptBackup[];
  /** Newest first. */
  remove: RetentionCandidate[];
}

type PeriodRule = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';
const PERIOD_RULES: readonly PeriodRule[] = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'];

/**
 * The plan's retention: what to keep (with every reason) and what to remove. Pure and synchronous.
 * Throws a RangeError for a time zone Intl does not know (plans are validated before they get here).
 */
export function planRetention(candidates: readonly RetentionCandidate[], rules: KeepRules, timeZone: string): RetentionPlan {
  zoneClock(timeZone);
  const ordered = [...candidates].sort(newestFirst);
  const reasons = new Map<RetentionCandidate, string[]>();
  const add = (c: RetentionCandidate, reason: string): void => {
    const list = reasons.get(c);
    if (list) list.push(reason);
    else reasons.set(c, [reason]);
  };

  if (!hasKeepRules(rules)) {
    for (const c of ordered) add(c, 'no keep rules');
  } else {
    keepWithin(ordered, rules, add);
    keepSplit(ordered, rules.last ?? 0, 'last', (i) => i, reasons, add);
    let offsets: Float64Array | undefined;
    for (const rule of PERIOD_RULES) {
      const count = rules[rule] ?? 0;
      if (count <= 0) continue;
      offsets ??= offsetsOf(ordered, timeZone);
      const periods = periodsOf(ordered, offsets, rule);
      keepSplit(ordered, count, rule, (i) => periods[i] as number, reasons, add);
    }
  }

  const newest = ordered[0];
  if (newest) add(newest, 'newest');
  const newestVerified = ordered.find((c) => c.verified);
  if (newestVerified) add(newestVerified, 'newest verified');

  const keep: KeptBackup[] = [];
  const remove: RetentionCandidate[] = [];
  for (const c of ordered) {
    const why = reasons.get(c);
    if (why) keep.push({ candidate: c, reasons: why });
    else remove.push(c);
  }
  return { keep, remove };
}

/** Newest first; equal start times by path, the greater path first. */
function newestFirst(a: RetentionCandidate, b: RetentionCandidate): number {
  const d = b.startedAt.getTime() - a.startedAt.getTime();
  if (d !== 0) return d;
  return a.path < b.path ? 1 : a.path > b.path ? -1 : 0;
}

function keepWithin(ordered: readonly RetentionCandidate[], rules: KeepRules, add: (c: RetentionCandidate, reason: string) => void): void {
  const within = rules.within;
  const newest = ordered[0];
  if (!within || !newest) return;
  const after = newest.startedAt.getTime() - within.seconds * 1000;
  for (const c of ordered) {
    if (c.startedAt.getTime() <= after) break;
    add(c, `within ${within.text}`);
  }
}

/** borg's `prune_split`: the newest backup of each period, up to `count` of them, skipping those kept already. */
function keepSplit(
  ordered: readonly RetentionCandidate[],
  count: number,
  rule: string,
  periodOf: (index: number) => number,
  reasons: ReadonlyMap<RetentionCandidate, string[]>,
  add: (c: RetentionCandidate, reason: string) => void,
): void {
  if (count <= 0 || ordered.length === 0) return;
  let last: number | undefined;
  let counted = 0;
  for (let i = 0; i < ordered.length; i++) {
    const c = ordered[i] as RetentionCandidate;
    const period = periodOf(i);
    if (period === last) continue;
    last = period;
    if (reasons.has(c)) continue;
    counted++;
    add(c, `${rule} ${counted}`);
    if (counted === count) return;
  }
  const oldest = ordered[ordered.length - 1] as RetentionCandidate;
  if (!reasons.has(oldest)) add(oldest, `oldest (${rule})`);
}

const HOUR_MS = 3_600_000;

/** Each backup's UTC offset in the plan's zone, in milliseconds, asked once and shared by every rule. */
function offsetsOf(ordered: readonly RetentionCandidate[], timeZone: string): Float64Array {
  const clock = zoneClock(timeZone);
  const offsets = new Float64Array(ordered.length);
  for (let i = 0; i < ordered.length; i++) offsets[i] = clock.offsetMinutes((ordered[i] as RetentionCandidate).startedAt.getTime()) * 60_000;
  return offsets;
}

/**
 * Each backup's period under one rule, as a number: equal numbers, same period. Hourly: the real
 * hour (UTC start of the local hour), so a repeated local hour is two periods. Daily: the local day
 * counted from 1970-01-01. Weekly: Monday-first weeks counted from 1969-12-29, the Monday before
 * 1970-01-01 (a Thursday), which are exactly the ISO weeks, year ends included. Monthly and yearly:
 * the local calendar month and year.
 */
function periodsOf(ordered: readonly RetentionCandidate[], offsets: Float64Array, rule: PeriodRule): Float64Array {
  const keys = new Float64Array(ordered.length);
  for (let i = 0; i < ordered.length; i++) {
    const offsetMs = offsets[i] as number;
    const localMs = (ordered[i] as RetentionCandidate).startedAt.getTime() + offsetMs;
    const day = Math.floor(localMs / DAY_MS);
    switch (rule) {
      case 'hourly':
        keys[i] = Math.floor(localMs / HOUR_MS) * HOUR_MS - offsetMs;
        break;
      case 'daily':
        keys[i] = day;
        break;
      case 'weekly':
        keys[i] = Math.floor((day + 3) / 7);
        break;
      case 'monthly': {
        const c = civilDate(day);
        keys[i] = c.year * 12 + c.month;
        break;
      }
      case 'yearly':
        keys[i] = civilDate(day).year;
        break;
    }
  }
  return keys;
}
