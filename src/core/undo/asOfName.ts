// The name of the past copy put beside a table: `orders_as_of_20261201_154702`, the moment in UTC, cut to
// the 63 bytes PostgreSQL keeps without splitting a character and without losing the moment.
import { PgbrError } from '../platform/errors';
import { MAX_NAME_BYTES } from '../postgres/names';

/** `20261201_154702`: the moment in UTC, to the second. */
export function asOfStamp(at: Date): string {
  if (Number.isNaN(at.getTime())) throw new PgbrError('usage', 'The moment the table is brought back as of is not a valid time: give it as 2026-12-01T15:47:02Z.');
  const iso = at.toISOString(); // 2026-12-01T15:47:02.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** `<table>_as_of_YYYYMMDD_HHMMSS`, the table's part shortened (whole characters) when the whole would pass 63 bytes. */
export function asOfTableName(table: string, at: Date): string {
  const suffix = `_as_of_${asOfStamp(at)}`;
  const chars = Array.from(table);
  while (chars.length > 0 && Buffer.byteLength(chars.join('') + suffix) > MAX_NAME_BYTES) chars.pop();
  return chars.join('') + suffix;
}
