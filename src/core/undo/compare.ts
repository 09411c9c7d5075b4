// Past and present side by side before anything changes: rows then, rows now, rows missing now, rows that
// differ, rows added since, by the table's key (or, without one, by whole rows), with a sample of each.
import type pg from 'pg';
import { formatQualifiedName, type QualifiedName, quoteIdentAlways } from '../postgres/names';
import type { PastServer } from './pastServer';
import { STAGING_TABLE, quoteTable, stagePastRows } from './stage';
import { type ColumnShape, columnsToBringBack, tableShape, type TableShape } from './tableShape';
import { inLiveTransaction } from './liveTransaction';
import { withPastClient } from './pastClient';

export interface RowSamples {
  /** Rows of the past version whose key is gone now (whole row: rows only in the past version). */
  missing: string[];
  /** The same key then and now, another row. */
  differ: { then: string; now: string }[];
  /** Keys only there now (whole row: rows only in the live table). */
  added: string[];
}

export interface Comparison {
  pastRows: number;
  liveRows: number;
  missing: number;
  differ: number;
  added: number;
  by: 'primary key' | 'whole row';
  /** The columns rows are matched by, when by key (a primary key, or a unique index on NOT NULL columns). */
  key?: string[];
  /** Each row as PostgreSQL writes a row value: `(12,"Ann Lee",2026-12-01)`; at most `sampleSize` of each. */
  samples: RowSamples;
  /** Said when comparing by whole row: what that costs. */
  costMessage?: string;
}

/** How rows of the staged past version and of the live table are matched: what compare and bring-back share. */
export interface Matching {
  table: QualifiedName;
  columns: readonly ColumnShape[];
  key: readonly string[] | undefined;
}

export const DEFAULT_SAMPLE_SIZE = 5;
const SAMPLE_CHARS = 200;

/** The live key, when every column of it is one the past version has too; else rows are matched whole. */
export function matching(live: TableShape, columns: readonly ColumnShape[]): Matching {
  const key = live.key?.columns;
  const usable = key && key.every((k) => columns.some((c) => c.name === k));
  return { table: live.table, columns, key: usable ? key : undefined };
}

export function keyMatch(m: Matching, left: string, right: string): string {
  return (m.key ?? []).map((k) => `${left}.${quoteIdentAlways(k)} = ${right}.${quoteIdentAlways(k)}`).join(' AND ');
}

export function rowText(m: Matching, alias: string): string {
  return `ROW(${m.columns.map((c) => `${alias}.${quoteIdentAlways(c.name)}`).join(', ')})::text`;
}

/** Each column as text: whole rows compare even when a type (json, point) has no equality. */
function textColumns(m: Matching, alias: string): string {
  return m.columns.map((c, i) => `${alias}.${quoteIdentAlways(c.name)}::text AS c${i}`).join(', ');
}

function differs(m: Matching): string {
  const texts = (alias: string) => `ROW(${m.columns.map((c) => `${alias}.${quoteIdentAlways(c.name)}::text`).join(', ')})`;
  return `${texts('s')} IS DISTINCT FROM ${texts('l')}`;
}

/**
 * SQL of the staged past rows whose key is not in the live table now, with the table's column names and
 * types (whole row: the multiset difference, EXCEPT ALL over the columns as text, cast back).
 */
export function missingRowsSql(m: Matching): string {
  const live = quoteTable(m.table);
  if (m.key) return `SELECT s.* FROM ${STAGING_TABLE} s WHERE NOT EXISTS (SELECT 1 FROM ${live} l WHERE ${keyMatch(m, 'l', 's')})`;
  const typed = m.columns.map((c, i) => `x.c${i}::${c.type} AS ${quoteIdentAlways(c.name)}`).join(', ');
  return `SELECT ${typed} FROM (SELECT ${textColumns(m, 's')} FROM ${STAGING_TABLE} s EXCEPT ALL SELECT ${textColumns(m, 'l')} FROM ${live} l) x`;
}

function order(m: Matching, alias: string): string {
  return m.key ? m.key.map((k) => `${alias}.${quoteIdentAlways(k)}`).join(', ') : '1';
}

const cut = (text: string) => (text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS - 1)}…` : text);

/** Compares the staged past rows with the live table, in the caller's transaction. */
export async function compareStaged(live: pg.ClientBase, m: Matching, sampleSize = DEFAULT_SAMPLE_SIZE): Promise<Comparison> {
  const table = quoteTable(m.table);
  const n = Math.max(0, Math.floor(sampleSize));
  const count = async (sql: string) => Number((await live.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) x`)).rows[0]?.n ?? 0);
  const texts = async (sql: string) => (await live.query<{ t: string }>(sql)).rows.map((r) => cut(r.t));
  const pastRows = await count(`SELECT 1 FROM ${STAGING_TABLE}`);
  const liveRows = await count(`SELECT 1 FROM ${table}`);
  if (m.key) {
    const match = keyMatch(m, 'l', 's');
    const added = `FROM ${table} l WHERE NOT EXISTS (SELECT 1 FROM ${STAGING_TABLE} s WHERE ${match})`;
    const differ = `FROM ${STAGING_TABLE} s JOIN ${table} l ON ${match} WHERE ${differs(m)}`;
    const pairs = await live.query<{ then: string; now: string }>(`SELECT ${rowText(m, 's')} AS then, ${rowText(m, 'l')} AS now ${differ} ORDER BY ${order(m, 's')} LIMIT ${n}`);
    return {
      pastRows,
      liveRows,
      missing: await count(missingRowsSql(m)),
      differ: await count(`SELECT 1 ${differ}`),
      added: await count(`SELECT 1 ${added}`),
      by: 'primary key',
      key: [...m.key],
      samples: {
        missing: await texts(`SELECT ${rowText(m, 's')} AS t FROM (${missingRowsSql(m)}) s ORDER BY ${order(m, 's')} LIMIT ${n}`),
        differ: pairs.rows.map((p) => ({ then: cut(p.then), now: cut(p.now) })),
        added: await texts(`SELECT ${rowText(m, 'l')} AS t ${added} ORDER BY ${order(m, 'l')} LIMIT ${n}`),
      },
    };
  }
  const onlyNow = `SELECT ${textColumns(m, 'l')} FROM ${table} l EXCEPT ALL SELECT ${textColumns(m, 's')} FROM ${STAGING_TABLE} s`;
  const whole = (sql: string) => `SELECT ROW(x.*)::text AS t FROM (${sql}) x ORDER BY 1 LIMIT ${n}`;
  return {
    pastRows,
    liveRows,
    missing: await count(missingRowsSql(m)),
    differ: 0,
    added: await count(onlyNow),
    by: 'whole row',
    samples: { missing: await texts(whole(missingRowsSql(m))), differ: [], added: await texts(whole(onlyNow)) },
    costMessage: wholeRowCost(m.table, m.columns.length),
  };
}

export function wholeRowCost(table: QualifiedName, columns: number): string {
  return `${formatQualifiedName(table)} has no primary key (nor a unique index on NOT NULL columns), so rows were compared whole: both versions were read in full and sorted on all ${columns} column${columns === 1 ? '' : 's'} (EXCEPT ALL), and a row that changed counts as one missing and one added.`;
}

export interface CompareOptions {
  past: PastServer;
  /** A client of the live database, not inside a transaction: the comparison runs in one it rolls back. */
  live: pg.ClientBase;
  table: QualifiedName;
  sampleSize?: number;
  /** Milliseconds from a fixed start, for the durations (default performance.now). */
  now?: () => number;
}

/** Stages the past rows in a TEMP table of the live session, compares, and rolls back: nothing is left behind. */
export async function compareWithPast(opts: CompareOptions): Promise<Comparison & { source: string; durations: { stageMs: number; compareMs: number } }> {
  const now = opts.now ?? (() => performance.now());
  return withPastClient(opts.past, async (past) => {
    const pastShape = await tableShape(past, opts.table, `the past version (${opts.past.source})`);
    return inLiveTransaction(opts.live, 'rollback', `Comparing ${formatQualifiedName(opts.table)} with its past version`, async () => {
      const liveShape = await tableShape(opts.live, opts.table);
      const m = matching(liveShape, columnsToBringBack(pastShape, liveShape));
      const t0 = now();
      await stagePastRows({ past, pastTable: opts.table, live: opts.live, columns: m.columns });
      const t1 = now();
      const comparison = await compareStaged(opts.live, m, opts.sampleSize);
      return { ...comparison, source: opts.past.source, durations: { stageMs: Math.round(t1 - t0), compareMs: Math.round(now() - t1) } };
    });
  });
}
