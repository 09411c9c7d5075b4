// `pgbr recover-table --list-transactions`: the transactions that changed one table, from the archived
// WAL, so the moment just before a bad query can be picked as a recovery target (xid, exclusive).
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { findServerBinDir, parseTargetTime } from '../core/pitr';
import { formatWhen, PgbrError } from '../core/platform';
import { parseQualifiedName, withClient } from '../core/postgres';
import { relationLocator, tableTransactions, type TableTransaction } from '../core/undo';
import { archiveFor, jsonOption, workspaceOption } from './commands';
import type { CliContext, Io } from './io';
import { Exit, makeOutput, table as textTable } from './output';
import { binPathOption, connectionFor, connOption, inventoryFor, stderrLogger, verboseOption } from './shared';
import { profilesFor } from './workspace';

interface ListOptions {
  conn: string;
  db: string;
  table: string;
  listTransactions?: boolean;
  archive?: string;
  since?: string;
  until?: string;
  timeline?: string;
  binPath?: string;
  json?: boolean;
  verbose?: boolean;
  workspace: string;
}

function describe(t: TableTransaction): string {
  const parts = [t.deleted && `deleted ${t.deleted.toLocaleString('en-US')}`, t.updated && `updated ${t.updated.toLocaleString('en-US')}`, t.inserted && `inserted ${t.inserted.toLocaleString('en-US')}`].filter(Boolean);
  return `${parts.join(', ')} row${t.deleted + t.updated + t.inserted === 1 ? '' : 's'}`;
}

export async function listTransactionsCommand(opts: ListOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    if (!opts.listTransactions) throw new PgbrError('usage', 'give --list-transactions: it lists the transactions that changed the table, from the archived WAL.');
    const table = parseQualifiedName(opts.table);
    const since = opts.since ? parseTargetTime(opts.since).epochMs : undefined;
    const until = opts.until ? parseTargetTime(opts.until).epochMs : undefined;
    const timeline = opts.timeline === undefined ? undefined : Number(opts.timeline);
    if (timeline !== undefined && (!Number.isInteger(timeline) || timeline < 1)) throw new PgbrError('usage', `--timeline ${opts.timeline} is not a timeline: give a whole number from 1.`);
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const loaded = await profilesFor(opts.workspace, io);
    const { relation, archive, major } = await withClient(resolved.params, { password: resolved.password, database: opts.db }, async (c) => ({
      relation: await relationLocator(c, table),
      archive: await archiveFor(opts, name, loaded.config, c),
      major: Math.floor(Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num ?? 0) / 10_000) || undefined,
    }));
    if (!archive) throw new PgbrError('usage', `no WAL archive is known for ${name}: pass --archive DIR, or add the folder under archives: in pgbackup.yaml.`);
    const binDir = await findServerBinDir(await inventoryFor(opts.binPath, io), major);
    const read = await tableTransactions({ pgWaldump: path.join(binDir, 'pg_waldump'), archiveDir: archive, relation, ...(timeline ? { timeline } : {}), logger: stderrLogger(io, opts.verbose) });
    const shown = read.transactions.filter((t) => (since === undefined || (t.at && t.at.getTime() >= since)) && (until === undefined || (t.at && t.at.getTime() <= until)));
    const what = `${table.schema}.${table.name}`;
    out.result({ table: { schema: table.schema, name: table.name }, relation, archive, from: read.from, to: read.to, ...(read.stoppedAt ? { walEndsAt: read.stoppedAt } : {}), transactions: shown }, () => {
      if (shown.length === 0) return `No transaction changed ${what} in ${read.from} – ${read.to}${since !== undefined || until !== undefined ? ' between the times given' : ''}.`;
      const rows = [['XID', 'ENDED', 'OUTCOME', 'CHANGES', 'FIRST LSN']];
      for (const t of shown) rows.push([String(t.xid), t.at ? formatWhen(t.at, { seconds: true, noAge: true }) : '-', t.outcome, describe(t), t.firstLsn]);
      const last = shown.filter((t) => t.outcome === 'committed').at(-1);
      const hint = last ? `\nTo recover ${what} as it was just before xid ${last.xid} (${describe(last)}): recover to --target-xid ${last.xid} with --exclusive.` : '';
      return `Transactions that changed ${what} (WAL ${read.from} – ${read.to}):\n${textTable(rows)}${hint}`;
    });
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

export function addUndoCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('recover-table')
    .description('undo a bad query on one table: --list-transactions lists the transactions that changed it, read from the archived WAL with pg_waldump')
    .addOption(connOption())
    .requiredOption('--db <name>', 'the database the table is in')
    .requiredOption('--table <schema.table>', 'the table, in SQL syntax (orders, "My Schema"."Order""s")')
    .option('--list-transactions', 'list each transaction that changed the table: xid, when it ended, committed or aborted, rows inserted, updated and deleted')
    .option('--archive <dir>', "the WAL archive folder (default: the connection's in pgbackup.yaml)")
    .option('--since <time>', 'only transactions that ended at or after this time (with a zone: 2026-12-01 15:00 Europe/Berlin)')
    .option('--until <time>', 'only transactions that ended at or before this time')
    .addOption(new Option('--timeline <n>', 'the timeline to read (default 1)'))
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (opts: ListOptions) => exit(await listTransactionsCommand(opts, io)));
}
