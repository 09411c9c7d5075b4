// Sizes for people, the way PostgreSQL's pg_size_pretty writes them.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** `512 B`, `1.2 MB`, `34 GB`: 1024-based like pg_size_pretty, one decimal below 10. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  if (n < 0) return `-${formatBytes(-n)}`;
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  let text = value < 9.95 ? value.toFixed(1) : String(Math.round(value));
  // 1023.7 kB rounds to "1024 kB": show it as the next unit instead.
  if (Number(text) >= 1024 && unit < UNITS.length - 1) {
    unit++;
    text = (Number(text) / 1024).toFixed(1);
  }
  return `${text} ${UNITS[unit]}`;
}
