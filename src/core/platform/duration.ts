// Durations as pgbackup.yaml writes them (90s, 5m, 1h30m, 2d, 1w) and as people read an age (45 s, 2 h 5 min, 3 days).
import { PgbrError } from './errors';

// ---------------------------------------------------------------------------------------------
// Durations

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86400, day: 86400, days: 86400, w: 604800, week: 604800, weeks: 604800,
};

const DURATION_EXAMPLE = 'a number and a unit, like 90s, 5m, 1h, 2d or 1w';

/**
 * `90s`, `5m`, `1h`, `2d`, `1w`, `1h30m` → seconds. A bare number is refused: `rpo: 5` could mean
 * seconds or minutes, and a wrong guess makes every check meaningless.
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    throw new PgbrError('config', `${what} ${value} has no unit: write ${DURATION_EXAMPLE}`);
  }
  const text = value.trim();
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/iy;
  let seconds = 0;
  let parts = 0;
  part.lastIndex = 0;
  while (part.lastIndex < text.length) {
    const m = part.exec(text);
    const unit = m ? UNIT_SECONDS[(m[2] as string).toLowerCase()] : undefined;
    if (!m || unit === undefined) {
      parts = 0;
      break;
    }
    seconds += Number(m[1]) * unit;
    parts++;
  }
  if (parts === 0 || !(seconds > 0)) {
    throw new PgbrError('config', `${what} "${value}" is not a duration: write ${DURATION_EXAMPLE}`);
  }
  return Math.round(seconds);
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `45 s`, `4 min`, `2 h 5 min`, `1 day 3 h`, `3 days`: rounded down, as an age is read. Negative (clock skew) shows as 0 s. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  // Past a few days the hours are noise.
  return d < 3 && h ? `${plural(d, 'day')} ${h} h` : plural(d, 'day');
}

/** `archive_timeout` as SHOW prints it (`0`, `60s`, `5min`, `1h`) → seconds; 0 when off or unreadable. */
export function archiveTimeoutSeconds(text: string): number {
  const m = /^(\d+)\s*(ms|s|min|h|d)?$/.exec(text.trim());
  if (!m) return 0;
  const factor: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 };
  return Number(m[1]) * (factor[m[2] ?? 's'] ?? 1);
}
