// Bringing a table back from the scratch server that holds it as it was, in one transaction on the live
// database, the server kept running: as a new table beside it, the missing rows only, or its whole contents.
// A dry run does all of it and rolls back, so its counts are the ones a real run would have.
import type pg from 'pg';
import { PgbrError } from '../platform/errors';
import { formatQualifiedName, type QualifiedName } from '../postgres/names';
import { fixSequences, insertMissingRows, replaceRows, type ApplyContext } from './applyRows';
import { asOfTableName } from './asOfName';
import type { BringBackCounts, BringBackMode, BringBackReport } from './bringBackReport';
import { compareStaged, DEFAULT_SAMPLE_SIZE, matching } from './compare';
import { inLiveTransaction } from './liveTransaction';
import { withPastClient } from './pastClient';
import type { PastServer } from './pastServer';
import { quoteTable, stagePastRows } from './stage';
import { columnsToBringBack, tableShape, type TableShape } from './tableShape';

export interface BringBackOptions {
  mode: BringBackMode;
  past: PastServer;
  /** A client of the live database, not inside a transaction. */
  live: pg.ClientBase;
  /** The table, by the same name on both servers. */
  table: QualifiedName;
  /** The moment the past version is of (the recovery target): it names the new table, in UTC. */
  asOf: Date;
  dryRun?: boolean;
  /** replace: required (outside a dry run), since rows added since and the current version of rows that differ are lost. */
  confirm?: boolean;
  /** missing-rows: leave out rows whose parent row is gone now (and report them) rather than change nothing. */
  skipOrphans?: boolean;
  sampleSize?: number;
  /**
   * How long to wait for the table's lock, or any row lock after it (default 10 s): waiting longer would hold
   * up every other writer of the table queued behind this transaction.
   */
  lockTimeoutMs?: number;
  /** Milliseconds from a fixed start, for the durations (default performance.now). */
  now?: () => number;
}

const SHARE_ROW_EXCLUSIVE = 'SHARE ROW EXCLUSIVE';
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

export async function bringBack(opts: BringBackOptions): Promise<BringBackReport> {
  return withPastClient(opts.past, async (past) => {
    const pastShape = await tableShape(past, opts.table, `the past version (${opts.past.source})`);
    return opts.mode === 'new-table' ? asNewTable(opts, past, pastShape) : intoLiveTable(opts, past, pastShape);
  });
}

const noCounts: BringBackCounts = { pastRows: 0, liveRows: 0, missing: 0, differ: 0, added: 0, inserted: 0, updated: 0, deleted: 0 };

async function asNewTable(opts: BringBackOptions, past: pg.ClientBase, pastShape: TableShape): Promise<BringBackReport> {
  const now = opts.now ?? (() => performance.now());
  const target = { schema: opts.table.schema, name: asOfTableName(opts.table.name, opts.asOf) };
  const dryRun = opts.dryRun ?? false;
  return inLiveTransaction(opts.live, dryRun ? 'rollback' : 'commit', `Copying the past version of ${formatQualifiedName(opts.table)} into ${formatQualifiedName(target)}`, async () => {
    const taken = await opts.live.query(
      'SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2',
      [target.schema, target.name],
    );
    if (taken.rows.length > 0) {
      throw new PgbrError('usage', `${formatQualifiedName(target)} already exists, so the past version was not copied: rename or drop it, or bring the table back as of another moment.`);
    }
    const t0 = now();
    const primaryKey = pastShape.key?.kind === 'primary key' ? pastShape.key.columns : undefined;
    const staged = await stagePastRows({ past, pastTable: opts.table, live: opts.live, columns: pastShape.columns, into: { table: target, ...(primaryKey ? { primaryKey } : {}) } });
    const t1 = now();
    const counted = await opts.live.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteTable(target)}`);
    const rows = Number(counted.rows[0]?.n ?? 0);
    if (rows !== staged.rows) throw new PgbrError('tool-failed', `${formatQualifiedName(target)} holds ${rows} rows where ${staged.rows} were copied, so it was not kept: try again.`);
    return {
      mode: 'new-table',
      table: formatQualifiedName(opts.table),
      source: opts.past.source,
      dryRun,
      newTable: formatQualifiedName(target),
      counts: { ...noCounts, pastRows: staged.rows, inserted: rows },
      lock: `none on ${formatQualifiedName(opts.table)}; ${formatQualifiedName(target)} is made in one transaction`,
      sequenceFixes: [],
      fkProblems: [],
      durations: { stageMs: Math.round(t1 - t0), compareMs: 0, applyMs: Math.round(now() - t1) },
      notes: [
        `The new table has the past version's columns, their NOT NULL and ${primaryKey ? 'its primary key' : 'no primary key (it had none)'} only: no foreign keys, other indexes, defaults, triggers or grants.`,
      ],
    };
  });
}

async function intoLiveTable(opts: BringBackOptions, past: pg.ClientBase, pastShape: TableShape): Promise<BringBackReport> {
  const now = opts.now ?? (() => performance.now());
  const dryRun = opts.dryRun ?? false;
  const name = formatQualifiedName(opts.table);
  const what = opts.mode === 'replace' ? `Replacing the rows of ${name} with the past version` : `Bringing the missing rows of ${name} back`;
  return inLiveTransaction(opts.live, dryRun ? 'rollback' : 'commit', what, async () => {
    const liveShape = await tableShape(opts.live, opts.table);
    const m = matching(liveShape, columnsToBringBack(pastShape, liveShape));
    const ctx: ApplyContext = { live: opts.live, m, liveShape, sampleSize: opts.sampleSize ?? DEFAULT_SAMPLE_SIZE, dryRun };
    const t0 = now();
    await stagePastRows({ past, pastTable: opts.table, live: opts.live, columns: m.columns });
    const t1 = now();
    // Writers wait from here to the commit, so what is compared is what is changed; readers go on.
    await lockTable(opts);
    const comparison = await compareStaged(opts.live, m, ctx.sampleSize);
    const t2 = now();
    if (opts.mode === 'replace' && !dryRun && !opts.confirm) {
      const lost = [`${comparison.added} row${comparison.added === 1 ? '' : 's'} added since`];
      if (comparison.differ > 0) lost.push(`the current version of ${comparison.differ} row${comparison.differ === 1 ? '' : 's'} that differ`);
      throw new PgbrError('usage', `Replacing the rows of ${name} with the past version would lose ${lost.join(' and ')} (and bring back ${comparison.missing} missing), so nothing was changed: confirm to go ahead, or preview it with a dry run.`);
    }
    const applied = opts.mode === 'replace' ? await replaceRows(ctx) : { ...(await insertMissingRows(ctx, opts.skipOrphans ?? false)), updated: 0, deleted: 0 };
    const sequenceFixes = await fixSequences(ctx);
    const { missing, differ, added, pastRows, liveRows } = comparison;
    return {
      mode: opts.mode,
      table: name,
      source: opts.past.source,
      dryRun,
      counts: { pastRows, liveRows, missing, differ, added, inserted: applied.inserted, updated: applied.updated, deleted: applied.deleted },
      comparison,
      lock: `${SHARE_ROW_EXCLUSIVE} on ${name} from the comparison to the ${dryRun ? 'rollback' : 'commit'} (reads go on, writes wait)`,
      sequenceFixes,
      fkProblems: applied.fkProblems,
      durations: { stageMs: Math.round(t1 - t0), compareMs: Math.round(t2 - t1), applyMs: Math.round(now() - t2) },
      notes: notesFor(opts.mode, m.key !== undefined),
    };
  });
}

async function lockTable(opts: BringBackOptions): Promise<void> {
  const ms = Math.max(1, Math.round(opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS));
  await opts.live.query(`SET LOCAL lock_timeout = ${ms}`);
  try {
    await opts.live.query(`LOCK TABLE ${quoteTable(opts.table)} IN ${SHARE_ROW_EXCLUSIVE} MODE`);
  } catch (e) {
    if ((e as { code?: string }).code !== '55P03') throw e;
    throw new PgbrError(
      'usage',
      `Another session held a lock on ${formatQualifiedName(opts.table)} for more than ${ms} ms, so nothing changed: try again when its transaction has ended (pg_locks and pg_stat_activity show whose it is), or wait longer for it.`,
      { cause: e },
    );
  }
}

function notesFor(mode: BringBackMode, byKey: boolean): string[] {
  const triggers = 'Triggers on the table fired as for any other INSERT, UPDATE or DELETE.';
  if (mode === 'missing-rows') return ['Rows there now are left as they are, also where they differ from the past version.', triggers];
  return [
    byKey
      ? 'Rows that differ were updated back in place rather than deleted and inserted again, so rows of other tables that reference them stay valid.'
      : 'Without a key, every row was deleted and the past rows inserted (DELETE, not TRUNCATE, which would lock out readers too).',
    triggers,
  ];
}
