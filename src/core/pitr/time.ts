// Recovery target times: a date, a time and an explicit zone (IANA name or offset), turned into one instant and shown back in any zone.
import { PgbrError } from '../platform/errors';
import { isTimeZone, zoneOffsetMinutes } from '../platform/zones';

export interface TargetTime {
  /** The instant, to the millisecond. */
  epochMs: number;
  /** Microseconds beyond `epochMs` (0–999): PostgreSQL keeps commit times to the microsecond. */
  extraMicros: number;
  /** Offset from UTC at that instant, in minutes east of Greenwich. */
  offsetMinutes: number;
  /** The IANA zone the time was given in, when it was given by name. */
  zone?: string;
  /** The fractional seconds as typed (`123456`), so nothing is rounded away. */
  fraction: string;
}

const TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*(?:(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)|\s([A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*))?$/;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Parses `2026-11-22 14:30`, `2026-11-22T14:30:00.25+01:00`, `2026-11-22 14:30:00Z` or
 * `2026-11-22 14:30 Europe/Berlin`; `zone` applies when the text names none. A local time that a
 * daylight-saving change skips or repeats is refused with the two readings, never guessed.
 */
export function parseTargetTime(text: string, zone?: string): TargetTime {
  const m = TIME_PATTERN.exec(text.trim());
  if (!m) {
    throw new PgbrError('usage', `"${text}" is not a recovery target time: give a date, a time and a time zone, like 2026-11-22 14:30:00 Europe/Berlin or 2026-11-22T14:30:00+01:00.`);
  }
  const [, y, mo, d, h, mi, s, frac, offsetText, zoneText] = m;
  const fields = { y: Number(y), mo: Number(mo), d: Number(d), h: Number(h), mi: Number(mi), s: Number(s ?? 0) };
  const wall = Date.UTC(fields.y, fields.mo - 1, fields.d, fields.h, fields.mi, fields.s);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== fields.y || check.getUTCMonth() !== fields.mo - 1 || check.getUTCDate() !== fields.d || fields.h > 23 || fields.mi > 59 || fields.s > 59) {
    throw new PgbrError('usage', `"${text}" is not a real date and time: check the day, month and hour.`);
  }
  const fraction = (frac ?? '').replace(/0+$/, '');
  const micros = Number((frac ?? '').padEnd(6, '0'));
  const ms = Math.floor(micros / 1000);
  const extraMicros = micros % 1000;

  if (offsetText !== undefined) {
    const offsetMinutes = parseOffset(offsetText);
    return { epochMs: wall - offsetMinutes * MINUTE + ms, extraMicros, offsetMinutes, fraction };
  }
  const name = zoneText ?? zone;
  if (name === undefined || name === '') {
    throw new PgbrError('usage', `"${text}" has no time zone: add one (2026-11-22 14:30 Europe/Berlin, or +01:00), because the server would otherwise read it in its own zone.`);
  }
  if (/^(UTC|GMT|Z)$/i.test(name)) return { epochMs: wall + ms, extraMicros, offsetMinutes: 0, fraction };
  if (!isTimeZone(name)) {
    throw new PgbrError('usage', `"${name}" is not a time zone this system knows: use an IANA name like Europe/Berlin or America/New_York, or an offset like +01:00.`);
  }
  // Every offset the zone uses within half a day either side; each that maps back to the same wall time is a reading.
  const offsets = new Set([zoneOffsetMinutes(name, wall - 12 * HOUR), zoneOffsetMinutes(name, wall), zoneOffsetMinutes(name, wall + 12 * HOUR)]);
  const readings = [...offsets].filter((o) => zoneOffsetMinutes(name, wall - o * MINUTE) === o).sort((a, b) => b - a);
  const wallText = `${y}-${mo}-${d} ${h}:${mi}${s !== undefined ? `:${s}` : ''}`;
  if (readings.length === 0) {
    throw new PgbrError('usage', `${wallText} does not exist in ${name}: the clocks skip it for daylight saving time. Give the offset you mean (${[...offsets].map(formatOffset).join(' or ')}).`);
  }
  if (readings.length > 1) {
    throw new PgbrError('usage', `${wallText} happens twice in ${name} (clocks go back): give the offset you mean, ${readings.map((o) => `${wallText}${formatOffset(o)}`).join(' or ')}.`);
  }
  const offsetMinutes = readings[0] as number;
  return { epochMs: wall - offsetMinutes * MINUTE + ms, extraMicros, offsetMinutes, zone: name, fraction };
}

function parseOffset(text: string): number {
  if (/^(Z|UTC|GMT)$/i.test(text)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(text) as RegExpExecArray;
  const minutes = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (Number(m[2]) > 15 || Number(m[3] ?? 0) > 59) throw new PgbrError('usage', `${text} is not a UTC offset: offsets run from -15:00 to +15:00.`);
  return m[1] === '-' ? -minutes : minutes;
}

/** `+01`, `+05:30`, `-03`: the form PostgreSQL itself prints. */
export function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  const hh = String(Math.floor(a / 60)).padStart(2, '0');
  const mm = a % 60;
  return `${sign}${hh}${mm ? `:${String(mm).padStart(2, '0')}` : ''}`;
}

function wallText(epochMs: number, offsetMinutes: number): string {
  return new Date(epochMs + offsetMinutes * MINUTE).toISOString().slice(0, 19).replace('T', ' ');
}

/** As written into `recovery_target_time`: the wall time where it was given, with its offset, so the server's zone does not matter. */
export function formatTargetTime(t: TargetTime): string {
  return `${wallText(t.epochMs, t.offsetMinutes)}${t.fraction ? `.${t.fraction}` : ''}${formatOffset(t.offsetMinutes)}`;
}

/** `2026-11-22 13:30:00 UTC`, for messages. */
export function formatUtc(d: Date | number): string {
  const ms = typeof d === 'number' ? d : d.getTime();
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export interface TimeDescription {
  /** `2026-11-22 13:30:00 UTC` */
  utc: string;
  /** `2026-11-22 08:30:00-05 (America/New_York)`, or undefined when the zone is unknown here. */
  server?: string;
  /** `2026-11-22 14:30:00+01 (Europe/Berlin)`: as the user gave it. */
  given: string;
}

/** One target shown three ways, so a zone mix-up is seen before recovery rather than after. */
export function describeTime(t: TargetTime, serverTimeZone?: string): TimeDescription {
  const secs = t.fraction ? `.${t.fraction}` : '';
  const utc = `${wallText(t.epochMs, 0)}${secs} UTC`;
  const given = `${formatTargetTime(t)}${t.zone ? ` (${t.zone})` : ''}`;
  if (!serverTimeZone || !isTimeZone(serverTimeZone)) return { utc, given };
  const offset = zoneOffsetMinutes(serverTimeZone, t.epochMs);
  return { utc, given, server: `${wallText(t.epochMs, offset)}${secs}${formatOffset(offset)} (${serverTimeZone})` };
}

/** Orders a target against a plain instant (a window edge), to the microsecond. */
export function compareToInstant(t: TargetTime, d: Date): number {
  const diff = t.epochMs - d.getTime();
  return diff !== 0 ? Math.sign(diff) : t.extraMicros > 0 ? 1 : 0;
}
