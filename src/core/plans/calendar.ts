// systemd OnCalendar expressions: parsed and checked here, their next run times computed by croner in the plan's time zone.
import { Cron } from 'croner';
import { zoneOffsetMinutes } from '../platform/zones';

/** One comma-separated part of a field: `5`, `1..7`, `0/15`, `1..10/3`. */
export interface CalendarItem {
  from: number;
  to?: number;
  step?: number;
}

/** A field is `*` (any value) or a list of items. */
export type CalendarField = '*' | CalendarItem[];

export interface CalendarSpec {
  /** As written in the plan. */
  expression: string;
  /** 1 = Monday … 7 = Sunday, as systemd orders them; `*` when no weekday is named. */
  weekdays: CalendarField;
  years: CalendarField;
  months: CalendarField;
  days: CalendarField;
  hours: CalendarField;
  minutes: CalendarField;
  seconds: CalendarField;
}

/** systemd's shorthands (man systemd.time), written out. */
const SHORTHANDS: Record<string, string> = {
  minutely: '*-*-* *:*:00',
  hourly: '*-*-* *:00:00',
  daily: '*-*-* 00:00:00',
  monthly: '*-*-01 00:00:00',
  weekly: 'Mon *-*-* 00:00:00',
  yearly: '*-01-01 00:00:00',
  annually: '*-01-01 00:00:00',
  quarterly: '*-01,04,07,10-01 00:00:00',
  semiannually: '*-01,07-01 00:00:00',
};

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const FULL_WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

const LIMITS = {
  years: [1970, 2199],
  months: [1, 12],
  days: [1, 31],
  hours: [0, 23],
  minutes: [0, 59],
  seconds: [0, 59],
} as const;
type NumericField = keyof typeof LIMITS;

class CalendarProblem extends Error {}

/** Reads an OnCalendar expression, or says what is wrong with it and what to write instead. */
export function parseCalendar(expression: string): { spec: CalendarSpec } | { problem: string } {
  try {
    return { spec: readExpression(expression) };
  } catch (e) {
    if (e instanceof CalendarProblem) return { problem: `schedule "${expression}" ${e.message}` };
    throw e;
  }
}

function readExpression(expression: string): CalendarSpec {
  const written = expression.trim().replace(/\s+/g, ' ');
  if (!written) throw new CalendarProblem('is empty: write a systemd calendar expression such as daily or "*-*-* 02:30:00"');
  const [first = '', ...rest] = written.split(' ');
  const tokens = [...(SHORTHANDS[first.toLowerCase()] ?? first).split(' '), ...rest];
  let weekdays: CalendarField = '*';
  let date: Pick<CalendarSpec, 'years' | 'months' | 'days'> = { years: '*', months: '*', days: '*' };
  let time: Pick<CalendarSpec, 'hours' | 'minutes' | 'seconds'> | undefined;
  let stage = 0;
  for (const token of tokens) {
    if (/^[a-z]/i.test(token) && stage === 0 && !token.includes('/')) {
      weekdays = readWeekdays(token);
      stage = 1;
    } else if (token.includes(':') && stage < 3) {
      time = readTime(token);
      stage = 3;
    } else if (token.includes('-') && stage < 2) {
      date = readDate(token);
      stage = 2;
    } else if (/^[A-Z][A-Za-z_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(token) || token === 'UTC') {
      throw new CalendarProblem(`names the time zone "${token}": remove it and write it as the plan's timezone: instead`);
    } else {
      throw new CalendarProblem(`has "${token}" where systemd expects weekdays, then a date (*-*-*), then a time (02:30:00): see man systemd.time`);
    }
  }
  return { expression, weekdays, ...date, ...(time ?? { hours: [{ from: 0 }], minutes: [{ from: 0 }], seconds: [{ from: 0 }] }) };
}

function readWeekdays(token: string): CalendarField {
  const dayNumber = (name: string): number => {
    const lower = name.toLowerCase();
    const index = Math.max(WEEKDAYS.indexOf(lower), FULL_WEEKDAYS.indexOf(lower));
    if (index < 0) throw new CalendarProblem(`has "${name}", which is not a weekday: write Mon, Tue, … Sun, ranges like Mon..Fri and lists like Mon,Wed`);
    return index + 1;
  };
  return token.split(',').map((part) => {
    const [first, last, ...rest] = part.split('..');
    if (first === undefined || rest.length) throw new CalendarProblem(`has a weekday range "${part}" that is not like Mon..Fri`);
    const from = dayNumber(first);
    if (last === undefined) return { from };
    const to = dayNumber(last);
    if (to < from) throw new CalendarProblem(`has the weekday range "${part}" running backwards: weeks start on Monday, so write it as two parts, like Sat..Sun,Mon`);
    return { from, to };
  });
}

function readDate(token: string): Pick<CalendarSpec, 'years' | 'months' | 'days'> {
  if (token.includes('~')) {
    throw new CalendarProblem('counts days from the end of the month (~), which pgbr cannot compute run times for: name the days instead');
  }
  const parts = token.split('-');
  if (parts.length === 2) return { years: '*', months: readField(parts[0] as string, 'months'), days: readField(parts[1] as string, 'days') };
  if (parts.length === 3) {
    return { years: readField(parts[0] as string, 'years'), months: readField(parts[1] as string, 'months'), days: readField(parts[2] as string, 'days') };
  }
  throw new CalendarProblem(`has the date "${token}", which is not year-month-day like *-*-01 or 2027-01-31`);
}

function readTime(token: string): Pick<CalendarSpec, 'hours' | 'minutes' | 'seconds'> {
  const parts = token.split(':');
  if (parts.length !== 2 && parts.length !== 3) throw new CalendarProblem(`has the time "${token}", which is not hour:minute[:second] like 02:30 or 02:30:00`);
  if (parts[2]?.includes('.')) throw new CalendarProblem('has fractions of a second, which backups do not need: write whole seconds');
  return { hours: readField(parts[0] as string, 'hours'), minutes: readField(parts[1] as string, 'minutes'), seconds: readField(parts[2] ?? '00', 'seconds') };
}

function readField(text: string, field: NumericField): CalendarField {
  if (text === '*') return '*';
  const [min, max] = LIMITS[field];
  const singular = field.slice(0, -1);
  return text.split(',').map((part) => {
    if (/^\*\/\d+$/.test(part)) throw new CalendarProblem(`has "${part}", which systemd does not accept: write ${min}/${part.slice(2)} (from ${min}, every ${part.slice(2)})`);
    const m = /^(\d+)(?:\.\.(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CalendarProblem(`has the ${singular} "${part}", which is not a number, a range like 1..7, a repetition like 0/15 or a list of them`);
    const item: CalendarItem = { from: Number(m[1]) };
    if (m[2] !== undefined) item.to = Number(m[2]);
    if (m[3] !== undefined) item.step = Number(m[3]);
    for (const n of [item.from, item.to]) {
      if (n !== undefined && (n < min || n > max)) throw new CalendarProblem(`has the ${singular} ${n}, outside ${min}..${max}`);
    }
    if (item.to !== undefined && item.to < item.from) throw new CalendarProblem(`has the range "${part}" running backwards: write the smaller ${singular} first`);
    if (item.step === 0) throw new CalendarProblem(`repeats every 0 in "${part}": give a repetition of at least 1`);
    return item;
  });
}

/** A field in cron's syntax (croner's and crontab's alike): `1-7`, `0-59/15`, lists with commas. */
export function cronField(field: CalendarField, max: number): string {
  if (field === '*') return '*';
  return field
    .map(({ from, to, step }) => (step !== undefined ? `${from}-${to ?? max}/${step}` : to !== undefined ? `${from}-${to}` : String(from)))
    .join(',');
}

/** The expression as croner's seven fields (second … weekday, year); weekday 7 is Sunday in both. */
function cronerPattern(spec: CalendarSpec): string {
  return [
    cronField(spec.seconds, 59),
    cronField(spec.minutes, 59),
    cronField(spec.hours, 23),
    cronField(spec.days, 31),
    cronField(spec.months, 12),
    cronField(spec.weekdays, 7),
    cronField(spec.years, LIMITS.years[1]),
  ].join(' ');
}

/** The local time in `zone` as milliseconds, to compare wall-clock times across a DST change. */
function wallClock(date: Date, zone: string): number {
  return date.getTime() + zoneOffsetMinutes(zone, date.getTime()) * 60_000;
}

/**
 * The next `count` times after `from` that systemd would start the timer, in `zone`. croner finds the
 * candidates; systemd's rules across a DST change are then kept: a local time that does not exist that
 * day is skipped (croner would run a fixed time after the gap), and one that occurs twice runs once, at
 * its first occurrence (croner would run a repeating schedule at both).
 */
export function nextRuns(spec: CalendarSpec, zone: string, from: Date, count: number): Date[] {
  const job = new Cron(cronerPattern(spec), { timezone: zone, mode: '7-part', domAndDow: true });
  const runs: Date[] = [];
  let last = wallClock(from, zone);
  let cursor = from;
  // A gap or a repeated hour drops at most a few candidates per run asked for.
  for (let tries = 0; runs.length < count && tries < count * 4 + 8; tries++) {
    const next = job.nextRun(cursor);
    if (!next) break;
    cursor = next;
    const local = wallClock(next, zone);
    if (local <= last || !job.match(next)) continue;
    last = local;
    runs.push(next);
  }
  return runs;
}
