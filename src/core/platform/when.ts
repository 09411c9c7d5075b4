/**
 * One way of writing a moment for people: the local wall time with its zone, and how long ago it was.
 * `today 19:19 UTC+1 · 3 min ago`, `yesterday 23:10 UTC+1 · 20 h ago`, `Mon 24 Nov 08:00 UTC+1 · 7 days ago`,
 * `3 Mar 2025 08:00 UTC · 1 year ago`. Machine output (`--json`, manifests) keeps ISO strings.
 */

export interface WhenOptions {
  /** The clock the age is measured against; also decides "today". */
  now?: Date;
  /** IANA zone to show the wall time in; default the machine's own. */
  timeZone?: string;
  /** Show seconds (`19:19:05`): for restore points and recovery targets, where they matter. */
  seconds?: boolean;
  /** Leave out the ` · 3 min ago` part. */
  noAge?: boolean;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  weekday: string;
  monthName: string;
  time: string;
  zone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    });
    formatters.set(key, f);
  }
  return f;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function wall(d: Date, timeZone: string | undefined, seconds: boolean): Wall {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(d)) parts[p.type] = p.value;
  const month = Number(parts.month);
  // `GMT`, `GMT+1`, `GMT+5:30` → `UTC`, `UTC+1`, `UTC+5:30`.
  const zone = (parts.timeZoneName ?? 'GMT').replace(/^(GMT|UTC)([+-]0)?/, 'UTC');
  return {
    year: Number(parts.year),
    month,
    day: Number(parts.day),
    weekday: parts.weekday ?? '',
    monthName: MONTHS[month - 1] ?? '',
    time: `${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ''}`,
    zone,
  };
}

const dayNumber = (w: Wall): number => Date.UTC(w.year, w.month - 1, w.day) / 86_400_000;

/** `just now`, `3 min ago`, `5 h ago`, `2 days ago`, `3 months ago`, `1 year ago`; `in 4 min` for a time ahead of the clock. */
export function formatAge(d: Date, now: Date = new Date()): string {
  const diff = (now.getTime() - d.getTime()) / 1000;
  const s = Math.abs(diff);
  if (s < 60) return 'just now';
  const unit = (n: number, one: string, short?: string): string => `${n} ${short ?? (n === 1 ? one : `${one}s`)}`;
  let text: string;
  if (s < 3600) text = unit(Math.floor(s / 60), 'min', 'min');
  else if (s < 86_400) text = unit(Math.floor(s / 3600), 'h', 'h');
  else if (s < 60 * 86_400) text = unit(Math.floor(s / 86_400), 'day');
  else if (s < 365 * 86_400) text = unit(Math.floor(s / (30 * 86_400)), 'month');
  else text = unit(Math.floor(s / (365 * 86_400)), 'year');
  return diff < 0 ? `in ${text}` : `${text} ago`;
}

/** The wall time with its zone, with the day said the way people say it: `today 19:19 UTC+1`. */
export function formatLocal(d: Date, opts: WhenOptions = {}): string {
  const now = opts.now ?? new Date();
  const w = wall(d, opts.timeZone, opts.seconds ?? false);
  const today = wall(now, opts.timeZone, false);
  const days = dayNumber(today) - dayNumber(w);
  let day: string;
  if (days === 0) day = 'today';
  else if (days === 1) day = 'yesterday';
  else if (days === -1) day = 'tomorrow';
  else if (days > 1 && days < 7) day = `${w.weekday} ${w.day} ${w.monthName}`;
  else if (w.year === today.year) day = `${w.day} ${w.monthName}`;
  else day = `${w.day} ${w.monthName} ${w.year}`;
  return `${day} ${w.time} ${w.zone}`;
}

/** `today 19:19 UTC+1 · 3 min ago`: what every tooltip, notification and report shows for a moment. */
export function formatWhen(d: Date | string | number, opts: WhenOptions = {}): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  const local = formatLocal(date, opts);
  return opts.noAge ? local : `${local} · ${formatAge(date, opts.now ?? new Date())}`;
}

/** `2026-11-24 19:19:05 UTC+1`: for text that is saved and read later (reports beside a dump), where "today" and "3 min ago" would go stale. */
export function formatStamp(d: Date | string | number, opts: Pick<WhenOptions, 'timeZone'> = {}): string {
  const date = d instanceof Date ? d : new Date(d);
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  const w = wall(date, opts.timeZone, true);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${w.time} ${w.zone}`;
}
