// The two ways of writing past rows into the live table itself, inside the caller's transaction with the
// past rows staged: the missing rows only (the undo of a DELETE), or the whole contents (the undo of a bad
// UPDATE); and what both check on the way: foreign keys out of and into the table, and its sequences.
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import { formatQualifiedName, quoteIdentAlways, sameName } from '../postgres/names';
import type { ForeignKeyProblem, SequenceFix } from './bringBackReport';
import { keyMatch, type Matching, missingRowsSql, rowText } from './compare';
import { columnList, quoteTable, STAGING_TABLE } from './stage';
import type { ForeignKeyShape, TableShape } from './tableShape';

export interface ApplyContext {
  live: pg.ClientBase;
  m: Matching;
  liveShape: TableShape;
  sampleSize: number;
  dryRun: boolean;
}

const has = (m: Matching, column: string) => m.columns.some((c) => c.name === column);

/** SQL true for a row `alias` of the rows to bring back whose parent under `fk` is not there now (MATCH SIMPLE: a NULL opts out). */
function orphanCondition(ctx: ApplyContext, fk: ForeignKeyShape, alias: string): string | undefined {
  // A column added since takes its default, not a past value: nothing of the past to check for it.
  if (!fk.columns.every((c) => has(ctx.m, c))) return undefined;
  const notNull = fk.columns.map((c) => `${alias}.${quoteIdentAlways(c)} IS NOT NULL`).join(' AND ');
  const match = (p: string) => fk.referencedColumns.map((rc, i) => `${p}.${quoteIdentAlways(rc)} = ${alias}.${quoteIdentAlways(fk.columns[i] as string)}`).join(' AND ');
  // A row may reference another row brought back with it (a parent deleted in the same transaction).
  const selfReference = sameName(fk.references, ctx.m.table) && fk.referencedColumns.every((c) => has(ctx.m, c));
  return `(${notNull} AND NOT EXISTS (SELECT 1 FROM ${quoteTable(fk.references)} p WHERE ${match('p')})${selfReference ? ` AND NOT EXISTS (SELECT 1 FROM ${STAGING_TABLE} p WHERE ${match('p')})` : ''})`;
}

async function countAndSample(ctx: ApplyContext, from: string, row: string, order: string): Promise<{ rows: number; samples: string[] }> {
  const n = (await ctx.live.query<{ n: string }>(`SELECT count(*)::text AS n ${from}`)).rows[0]?.n ?? '0';
  const samples = Number(n) === 0 ? [] : (await ctx.live.query<{ t: string }>(`SELECT ${row} AS t ${from} ORDER BY ${order} LIMIT ${Math.max(0, Math.floor(ctx.sampleSize))}`)).rows.map((r) => r.t);
  return { rows: Number(n), samples };
}

function insertInto(ctx: ApplyContext, fromSql: string, where: string[]): string {
  const list = columnList(ctx.m.columns);
  const overriding = ctx.m.columns.some((c) => c.identity === 'always') ? ' OVERRIDING SYSTEM VALUE' : '';
  return `INSERT INTO ${quoteTable(ctx.m.table)} (${list})${overriding} SELECT ${columnList(ctx.m.columns, 's.')} FROM (${fromSql}) s${where.length ? ` WHERE ${where.map((w) => `NOT ${w}`).join(' AND ')}` : ''}`;
}

/**
 * Inserts the past rows whose key is not there now, as the table is at this moment (the caller holds a lock
 * that keeps writers out). Rows whose parent row is gone now fail the whole change with a PgbrError, unless
 * `skipOrphans`, when they are left out; either way they are reported. A dry run leaves them out to count the rest.
 */
export async function insertMissingRows(ctx: ApplyContext, skipOrphans: boolean): Promise<{ inserted: number; fkProblems: ForeignKeyProblem[] }> {
  const missing = missingRowsSql(ctx.m);
  const orphans: string[] = [];
  const fkProblems: ForeignKeyProblem[] = [];
  for (const fk of ctx.liveShape.foreignKeys) {
    const condition = orphanCondition(ctx, fk, 's');
    if (!condition) continue;
    const found = await countAndSample(ctx, `FROM (${missing}) s WHERE ${condition}`, rowText(ctx.m, 's'), ctx.m.key ? columnList(ctx.m.key.map((name) => ({ name })), 's.') : '1');
    if (found.rows === 0) continue;
    orphans.push(condition);
    fkProblems.push({ constraint: fk.name, direction: 'out', table: formatQualifiedName(fk.table), references: formatQualifiedName(fk.references), ...found, skipped: skipOrphans });
  }
  if (fkProblems.length > 0 && !skipOrphans && !ctx.dryRun) {
    const first = fkProblems[0] as ForeignKeyProblem;
    throw new PgbrError(
      'usage',
      `${first.rows} of the rows to bring back into ${formatQualifiedName(ctx.m.table)} reference a row of ${first.references} that is gone now (${first.constraint}, e.g. ${first.samples[0] ?? '?'}), so nothing was changed: bring those parent rows back first, or leave these rows out (skip orphans).`,
    );
  }
  const inserted = await ctx.live.query(insertInto(ctx, missing, orphans));
  return { inserted: inserted.rowCount ?? 0, fkProblems };
}

/** Rows of other tables that reference rows `doomed` (SQL true for a live row `l` that is to be deleted). */
async function referencesToDeleted(ctx: ApplyContext, doomed: string): Promise<ForeignKeyProblem[]> {
  const problems: ForeignKeyProblem[] = [];
  for (const fk of ctx.liveShape.referencedBy) {
    const self = sameName(fk.table, ctx.m.table);
    // Whole rows: every row is deleted and inserted again in one statement each, which a reference within the table survives.
    if (self && !ctx.m.key) continue;
    const match = fk.referencedColumns.map((rc, i) => `l.${quoteIdentAlways(rc)} = c.${quoteIdentAlways(fk.columns[i] as string)}`).join(' AND ');
    const survives = self ? ` AND EXISTS (SELECT 1 FROM ${STAGING_TABLE} s WHERE ${keyMatch(ctx.m, 'c', 's')})` : '';
    const found = await countAndSample(ctx, `FROM ${quoteTable(fk.table)} c WHERE EXISTS (SELECT 1 FROM ${quoteTable(ctx.m.table)} l WHERE ${match} AND ${doomed})${survives}`, 'ROW(c.*)::text', '1');
    if (found.rows > 0) problems.push({ constraint: fk.name, direction: 'in', table: formatQualifiedName(fk.table), references: formatQualifiedName(fk.references), ...found, skipped: false });
  }
  return problems;
}

/**
 * Makes the table's contents the past version's. By key: rows added since are deleted, rows that differ are
 * updated back in place (so references to them from other tables stay valid, where a DELETE would fail or
 * cascade), missing rows are inserted. Without a key: every row deleted, the past rows inserted. Rows of
 * other tables referencing a row to be deleted refuse the change (reported; a dry run only reports).
 */
export async function replaceRows(ctx: ApplyContext): Promise<{ inserted: number; updated: number; deleted: number; fkProblems: ForeignKeyProblem[] }> {
  const table = quoteTable(ctx.m.table);
  const key = ctx.m.key;
  const doomed = key ? `NOT EXISTS (SELECT 1 FROM ${STAGING_TABLE} s WHERE ${keyMatch(ctx.m, 'l', 's')})` : 'true';
  const fkProblems = await referencesToDeleted(ctx, doomed);
  if (fkProblems.length > 0 && !ctx.dryRun) {
    const first = fkProblems[0] as ForeignKeyProblem;
    throw new PgbrError(
      'usage',
      `${first.rows} row${first.rows === 1 ? '' : 's'} of ${first.table} ${first.rows === 1 ? 'references' : 'reference'} rows of ${formatQualifiedName(ctx.m.table)} that replacing it would delete (${first.constraint}, e.g. ${first.samples[0] ?? '?'}), so nothing was changed: bring the past version back as a new table instead, or the missing rows only.`,
    );
  }
  // A dry run refused by references only counts the rows it would delete: deleting them would fail or cascade.
  const remove = async (sql: string) =>
    fkProblems.length > 0 ? Number((await ctx.live.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table} l WHERE ${doomed}`)).rows[0]?.n ?? 0) : ((await ctx.live.query(sql)).rowCount ?? 0);
  if (!key) {
    const deleted = await remove(`DELETE FROM ${table}`);
    const inserted = await ctx.live.query(insertInto(ctx, `SELECT * FROM ${STAGING_TABLE}`, []));
    return { inserted: inserted.rowCount ?? 0, updated: 0, deleted, fkProblems };
  }
  const deleted = await remove(`DELETE FROM ${table} l WHERE ${doomed}`);
  const changing = ctx.m.columns.filter((c) => !key.includes(c.name));
  let updated = 0;
  if (changing.length > 0) {
    const set = changing.map((c) => `${quoteIdentAlways(c.name)} = s.${quoteIdentAlways(c.name)}`).join(', ');
    const distinct = (alias: string) => `ROW(${changing.map((c) => `${alias}.${quoteIdentAlways(c.name)}::text`).join(', ')})`;
    const r = await ctx.live.query(`UPDATE ${table} l SET ${set} FROM ${STAGING_TABLE} s WHERE ${keyMatch(ctx.m, 'l', 's')} AND ${distinct('s')} IS DISTINCT FROM ${distinct('l')}`);
    updated = r.rowCount ?? 0;
  }
  const inserted = await ctx.live.query(insertInto(ctx, missingRowsSql(ctx.m), []));
  return { inserted: inserted.rowCount ?? 0, updated, deleted, fkProblems };
}

/**
 * Sequences of the table's columns whose last value is below the highest value there now (ids brought
 * back above it would collide with the next new row): moved up with setval, or in a dry run only said,
 * since setval is not undone by a rollback. Run last, just before the commit, for that reason.
 */
export async function fixSequences(ctx: ApplyContext): Promise<SequenceFix[]> {
  const fixes: SequenceFix[] = [];
  for (const owned of ctx.liveShape.sequences) {
    if (!has(ctx.m, owned.column)) continue;
    const seq = quoteTable(owned.sequence);
    const r = await ctx.live.query<{ max: string | null; last: string; is_called: boolean }>(
      `SELECT (SELECT max(${quoteIdentAlways(owned.column)}) FROM ${quoteTable(ctx.m.table)})::text AS max, last_value::text AS last, is_called FROM ${seq}`,
    );
    const row = r.rows[0];
    if (!row?.max || !/^-?\d+$/.test(row.max)) continue;
    const max = BigInt(row.max);
    const last = BigInt(row.last);
    // Not yet called, the next value is last_value itself.
    if (max < last || (max === last && row.is_called)) continue;
    if (!ctx.dryRun) await ctx.live.query('SELECT pg_catalog.setval($1::regclass, $2::bigint)', [seq, row.max]);
    fixes.push({ sequence: formatQualifiedName(owned.sequence), column: owned.column, from: row.last, to: row.max, applied: !ctx.dryRun });
  }
  return fixes;
}
