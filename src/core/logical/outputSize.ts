// Bytes for a dump's progress: the tables' sizes read before it starts, the size of what pg_dump has written, and the words for both.
import type pg from 'pg';
import type { QualifiedName } from '../postgres/names';
import { formatBytes } from '../platform/bytes';
import type { DumpProgress } from './progress';
import { sizeOnDisk } from '../platform/fsutil';

export interface TableSize extends QualifiedName {
  /** `pg_table_size`: the table's rows with their TOAST, without indexes (which a dump holds as definitions only). */
  bytes: number;
}

/** The size of each table whose rows are dumped, in one query; a table that vanished counts 0. */
export async function tableSizes(client: pg.Client, tables: readonly QualifiedName[]): Promise<TableSize[]> {
  if (tables.length === 0) return [];
  const result = await client.query<{ s: string; n: string; bytes: string | null }>(
    `SELECT t.s, t.n, pg_catalog.pg_table_size(pg_catalog.to_regclass(pg_catalog.format('%I.%I', t.s, t.n))) AS bytes
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(s, n, i) ORDER BY t.i`,
    [tables.map((t) => t.schema), tables.map((t) => t.name)],
  );
  return result.rows.map((r) => ({ schema: r.s, name: r.n, bytes: Number(r.bytes ?? 0) }));
}

/** The bytes under `target`: a file's size, or the sum of a folder's files; 0 while it cannot be read. */
export function outputBytes(target: string): Promise<number> {
  // The folder-size walk every listing uses; a file not there yet (or gone) is 0 bytes written.
  return sizeOnDisk(target).catch(() => 0);
}

/**
 * Calls `onBytes` with the size of `target` every `intervalMs` until stopped. One reading at a time,
 * and a timer that never keeps the process alive.
 */
export function watchOutputSize(target: string, onBytes: (bytes: number) => void, intervalMs = 500): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> = Promise.resolve();
  const tick = (): void => {
    reading = outputBytes(target).then((bytes) => {
      if (stopped) return;
      onBytes(bytes);
      timer = setTimeout(tick, intervalMs);
      timer.unref();
    });
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await reading;
      // The last word is the final size, so a short dump still shows what it wrote.
      onBytes(await outputBytes(target));
    },
  };
}

/**
 * How far the dump is, 0 to 1, by the size of the tables done against all of them (a table of
 * 590 MB weighs more than one of 8 kB); by the count of tables when the sizes are unknown or zero.
 */
export function dumpFraction(p: DumpProgress): number {
  if (p.phase === 'verifying' || p.phase === 'done') return 1;
  if (p.tableBytesTotal && p.tableBytesTotal > 0 && p.tableBytesDone !== undefined) return Math.min(1, p.tableBytesDone / p.tableBytesTotal);
  return p.tablesTotal > 0 ? Math.min(1, p.tablesDone / p.tablesTotal) : 0;
}

/** `table 1 of 4: public.big (590 MB in the database) · 120 MB written`, or the phase with what is written. */
export function describeDumpProgress(p: DumpProgress): string {
  const written = p.bytesWritten !== undefined && p.bytesWritten > 0 ? `${formatBytes(p.bytesWritten)} written` : undefined;
  if (p.current !== undefined) {
    const size = p.currentTableBytes !== undefined ? ` (${formatBytes(p.currentTableBytes)} in the database)` : '';
    const head = `table ${Math.min(p.tablesDone + 1, p.tablesTotal)} of ${p.tablesTotal}: ${p.current}${size}`;
    return written ? `${head} · ${written}` : head;
  }
  const phase = PHASE_WORDS[p.phase];
  return written ? `${phase} · ${written}` : phase;
}

const PHASE_WORDS: Record<DumpProgress['phase'], string> = {
  starting: 'starting',
  reading: 'reading the catalog',
  schema: 'writing definitions',
  data: 'dumping rows',
  'post-data': 'writing indexes and constraints',
  verifying: 'reading the dump back',
  done: 'done',
};
