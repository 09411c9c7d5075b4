// What a drill report says for people: where recovery stopped, the last commit it replayed, and what came back.
import { plural } from '../platform/plural';
import { formatWhen, type WhenOptions } from '../platform/when';

/**
 * A time as PostgreSQL writes it in its log or a query (`2026-11-22 14:30:05.123456+01`,
 * `2026-11-22T13:30:05.123456Z`); undefined when it is not one. Microseconds beyond the millisecond are dropped.
 */
export function parsePostgresTime(text: string): Date | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, day, time, fraction, zone] = m;
  const ms = (fraction ?? '').padEnd(3, '0').slice(0, 3);
  const offset = !zone || zone === 'Z' ? 'Z' : /^[+-]\d{2}$/.test(zone) ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const d = new Date(`${day}T${time}.${ms}${offset}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** A time read from the server, for people; as read when it cannot be parsed. */
function serverTime(text: string, when: WhenOptions | undefined): string {
  const d = parsePostgresTime(text);
  return d ? formatWhen(d, { seconds: true, ...when }) : text;
}

/** PostgreSQL's `recovery stopping … time 2026-11-22 14:30:05.123456+00` with the time written for people. */
export function stopLineText(line: string, when?: WhenOptions): string {
  return line.replace(/(?<=\btime )\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}(?::?\d{2})?)?/, (t) => serverTime(t, when));
}

/** The report's message when the archive ran out before the target. */
export function endedEarlyMessage(s: { redoDone?: string; lastTransaction?: string }, when?: WhenOptions): string {
  return (
    `recovery ended before reaching the target: the archived WAL ran out${s.redoDone ? ` at ${s.redoDone}` : ''}` +
    `${s.lastTransaction ? ` (last transaction committed ${serverTime(s.lastTransaction, when)})` : ''}, so the server stopped. ` +
    'The target lies beyond the archive: archive more WAL (SELECT pg_switch_wal() on the server), or choose an earlier target.'
  );
}

/** The report's message when recovery reached its target. */
export function reachedMessage(
  r: { recoveredLsn?: string; recoveredTime?: string; databases: { tables: { rows: number | null }[] }[] },
  stopLine: string | undefined,
  when?: WhenOptions,
): string {
  const rows = r.databases.reduce((n, d) => n + d.tables.reduce((m, t) => m + (t.rows ?? 0), 0), 0);
  const tables = r.databases.reduce((n, d) => n + d.tables.length, 0);
  return (
    `recovered to ${r.recoveredLsn ?? 'an unknown LSN'}${r.recoveredTime ? ` (last transaction committed ${serverTime(r.recoveredTime, when)})` : ''}` +
    `${stopLine ? `: ${stopLineText(stopLine, when)}` : ''}; ${plural(tables, 'table')}, ${plural(rows, 'row')} in ${plural(r.databases.length, 'database')}.`
  );
}
