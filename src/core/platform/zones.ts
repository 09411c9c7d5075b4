// Local calendar fields of instants in an IANA time zone, fast enough for thousands of backups: Intl is asked about offset changes, not about every instant.
//
// `Intl.DateTimeFormat` knows every zone's rules but costs several microseconds a call, so each UTC
// year a zone is asked about is scanned once: its offset at every week boundary, and, where two
// boundaries differ, the exact second of the change by bisection (about 100 calls a year). Every
// instant's offset is then a lookup, and its local fields come from UTC arithmetic. The one
// assumption: a zone does not change its offset twice within a week and back again, which no zone
// in the tz database has done since standard time began.

export interface ZoneClock {
  /** Minutes east of UTC at that instant (120 for a Berlin summer, -300 for a New York winter). */
  offsetMinutes(ms: number): number;
}

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const clocks = new Map<string, ZoneClock>();

/** One clock per zone, built on first use and kept: its formatter and year scans are the costly part. Throws a RangeError for a zone Intl does not know. */
export function zoneClock(timeZone: string): ZoneClock {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = makeClock(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}

/** True when Node's ICU knows the zone (`Europe/Berlin`, `UTC`, `Etc/GMT+5`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in minutes. */
export function zoneOffsetMinutes(zone: string, epochMs: number): number {
  return zoneClock(zone).offsetMinutes(epochMs);
}

function makeClock(timeZone: string): ZoneClock {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  /** The zone's offset in minutes at a whole second, asked of Intl. */
  const askOffset = (ms: number): number => {
    // `12/31/2026, 23:59:58`: format is several times faster than formatToParts.
    const m = /^(\d+)\/(\d+)\/(-?\d+),? (\d+):(\d+):(\d+)$/.exec(format.format(ms));
    if (!m) throw new Error(`unexpected date format from Intl: ${format.format(ms)}`);
    const wall = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
    return Math.round((wall - ms) / 60_000);
  };
  askOffset(0);

  /** Per UTC year: where each offset begins (ascending `from`), the first at the year's start. */
  const years = new Map<number, { from: number[]; offset: number[] }>();
  const scanYear = (year: number): { from: number[]; offset: number[] } => {
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const spans = { from: [start], offset: [askOffset(start)] };
    let a = start;
    let oa = spans.offset[0] as number;
    while (a < end) {
      const b = Math.min(a + WEEK_MS, end);
      const ob = askOffset(b);
      if (ob !== oa) {
        // The first second with the new offset lies in (a, b].
        let lo = a;
        let hi = b;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (askOffset(mid) === oa) lo = mid;
          else hi = mid;
        }
        if (hi < end) {
          spans.from.push(hi);
          spans.offset.push(ob);
        }
      }
      a = b;
      oa = ob;
    }
    years.set(year, spans);
    return spans;
  };

  const offsetAt = (ms: number): number => {
    // A change within the second is impossible: offsets are asked of whole seconds.
    const second = Math.floor(ms / 1000) * 1000;
    const year = civilDate(Math.floor(second / DAY_MS)).year;
    const spans = years.get(year) ?? scanYear(year);
    let lo = 0;
    let hi = spans.from.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((spans.from[mid] as number) <= second) lo = mid;
      else hi = mid - 1;
    }
    return spans.offset[lo] as number;
  };

  return { offsetMinutes: offsetAt };
}

/**
 * The proleptic Gregorian year and month (1–12) of a day counted from 1970-01-01, without a Date
 * object (Howard Hinnant's `civil_from_days`): thousands of backups convert in microseconds.
 */
export function civilDate(days: number): { year: number; month: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month };
}
