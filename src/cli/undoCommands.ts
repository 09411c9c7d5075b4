// `pgbr recover-table --list-transactions`: the transactions that changed one table, from the archived
// WAL (followed across rewrites where that is certain), so the moment just before a bad query can be
// picked as a recovery target (xid, exclusive); without an archive, the newest dump that has the table.
// `--before-xid`/`--before-time` then recover and bring the table back (recoverTableCommand.ts).
import * as path from 'node:path';
import { Option, type Command } from 'commander';
import { findServerBinDir, parseTargetTime } from '../core/pitr';
import { listDumps, type CatalogEntry } from '../core/logical';
import { formatWhen, PgbrError } from '../core/platform';
import type { WorkspaceConfig } from '../core/profiles';
import { parseQualifiedName, type QualifiedName, withClient } from '../core/postgres';
import { type DumpWithTable, fileOwners, locateTable, newestDumpWithTable, type TableRewrite, tableTransactions, type TableTransaction } from '../core/undo';
import { archiveFor, jsonOption, workspaceOption } from './commands';
import type { CliContext, Io } from './io';
import { Exit, makeOutput, table as textTable } from './output';
import { RECOVER_MODES, type RecoverOptions, recoverRequest, recoverTableCommand } from './recoverTableCommand';
import { binPathOption, connectionFor, connOption, inventoryFor, stderrLogger, verboseOption } from './shared';
import { dumpFoldersFor, profilesFor } from './workspace';

export interface ListOptions {
  conn: string;
  db: string;
  table: string;
  listTransactions?: boolean;
  archive?: string;
  since?: string;
  until?: string;
  /** The issue's spelling of --since and --until. */
  from?: string;
  to?: string;
  timeline?: string;
  binPath?: string;
  json?: boolean;
  verbose?: boolean;
  workspace: string;
}

/** A word as a shell reads it back: bare when plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w.@%+,:/-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A connection's name as typed again; a URI (which may hold a password) is never echoed. */
function connWord(conn: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(conn) || conn.includes('=') ? '<the same connection>' : shellWord(conn);
}

function describe(t: TableTransaction): string {
  const parts = [t.deleted && `deleted ${t.deleted.toLocaleString('en-US')}`, t.updated && `updated ${t.updated.toLocaleString('en-US')}`, t.inserted && `inserted ${t.inserted.toLocaleString('en-US')}`].filter(Boolean);
  return `${parts.join(', ')} row${t.deleted + t.updated + t.inserted === 1 ? '' : 's'}`;
}

const HOW: Record<TableRewrite['how'], string> = {
  emptied: 'TRUNCATE, or VACUUM FULL of a table without rows',
  copied: 'VACUUM FULL or CLUSTER',
  rewritten: 'ALTER TABLE … TYPE, or TRUNCATE and inserts',
};

/** `xid 812 rewrote public.orders at … (TRUNCATE …): followed into the earlier file 16386.` */
export function rewriteLine(w: TableRewrite, what: string): string {
  const at = w.at ? ` at ${formatWhen(w.at, { seconds: true, noAge: true })}` : '';
  const head = `xid ${w.xid} rewrote ${what}${at} (${HOW[w.how]})`;
  if (w.followed) return `${head}: ${w.why}.`;
  const files = w.earlierRelfilenodes.length > 0 ? ` (files ${w.earlierRelfilenodes.join(', ')})` : '';
  return `${head}; changes before it are in an earlier file this reader cannot tell apart${files}: ${w.why}.`;
}

/** Without WAL that reaches back far enough: the newest dump of the connection's database that has the table's rows. */
async function dumpFallback(opts: ListOptions, config: WorkspaceConfig | undefined, connection: string, table: QualifiedName, before: Date | undefined): Promise<{ found?: DumpWithTable; skipped: string[] }> {
  const dumps: CatalogEntry[] = [];
  for (const folder of dumpFoldersFor(config, opts.workspace)) dumps.push(...(await listDumps(folder)).dumps);
  return newestDumpWithTable({ dumps, connection, database: opts.db, table, now: new Date(), ...(before ? { before } : {}) });
}

/** The window --since/--until (or --from/--to) give, in epoch milliseconds; each end is inclusive. */
export function transactionWindow(opts: Pick<ListOptions, 'since' | 'until' | 'from' | 'to'>): { since?: number; until?: number } {
  const end = (name: string, value: string | undefined, alias: string, aliased: string | undefined): number | undefined => {
    if (value !== undefined && aliased !== undefined) throw new PgbrError('usage', `--${name} and --${alias} are the same option: give one of them.`);
    const text = value ?? aliased;
    if (text === undefined) return undefined;
    try {
      return parseTargetTime(text).epochMs;
    } catch (e) {
      throw new PgbrError('usage', `--${value !== undefined ? name : alias}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const since = end('since', opts.since, 'from', opts.from);
  const until = end('until', opts.until, 'to', opts.to);
  if (since !== undefined && until !== undefined && since > until) {
    const [first, last] = [opts.since !== undefined ? `--since ${opts.since}` : `--from ${opts.from}`, opts.until !== undefined ? `--until ${opts.until}` : `--to ${opts.to}`];
    throw new PgbrError('usage', `the window ends before it begins (${last} is before ${first}): swap them.`);
  }
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}

const dumpDoc = (d: DumpWithTable) => ({ path: d.dump.path, name: d.dump.name, takenAt: d.takenAt.toISOString(), lostMs: d.lostMs, message: d.message });
const sentence = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;

export async function listTransactionsCommand(opts: ListOptions, io: Io): Promise<number> {
  const out = makeOutput(!!opts.json, io.out, io.err);
  try {
    if (!opts.listTransactions) throw new PgbrError('usage', 'give --list-transactions: it lists the transactions that changed the table, from the archived WAL.');
    const table = parseQualifiedName(opts.table);
    const { since, until } = transactionWindow(opts);
    const timeline = opts.timeline === undefined ? undefined : Number(opts.timeline);
    if (timeline !== undefined && (!Number.isInteger(timeline) || timeline < 1)) throw new PgbrError('usage', `--timeline ${opts.timeline} is not a timeline: give a whole number from 1.`);
    const { name, resolved } = await connectionFor(opts.conn, opts.workspace, io);
    const loaded = await profilesFor(opts.workspace, io);
    const connect = { password: resolved.password, database: opts.db };
    const { located, archive, major } = await withClient(resolved.params, connect, async (c) => ({
      located: await locateTable(c, table),
      archive: await archiveFor(opts, name, loaded.config, c),
      major: Math.floor(Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num ?? 0) / 10_000) || undefined,
    }));
    const { relation, oid } = located;
    const what = `${table.schema}.${table.name}`;
    const doc = { table: { schema: table.schema, name: table.name }, relation };
    if (!archive) {
      const fallback = await dumpFallback(opts, loaded.config, name, table, since === undefined ? undefined : new Date(since));
      const noArchive = `no WAL archive is known for ${name}`;
      if (!fallback.found) {
        throw new PgbrError('usage', `${noArchive}, and no dump of ${opts.db} in the dump folders holds ${what}'s rows${fallback.skipped.length > 0 ? ` (passed over: ${fallback.skipped.join('; ')})` : ''}: pass --archive DIR, or add the folder under archives: in pgbackup.yaml.`);
      }
      const found = fallback.found;
      out.result({ ...doc, archive: null, transactions: [], rewrites: [], dump: dumpDoc(found), skipped: fallback.skipped }, () =>
        [`No WAL archive is known for ${name}, so the transactions that changed ${what} cannot be listed (pass --archive DIR, or add the folder under archives: in pgbackup.yaml).`, sentence(found.message), ...fallback.skipped.map((s) => `Passed over ${s}.`)].join('\n'),
      );
      return Exit.Ok;
    }
    const binDir = await findServerBinDir(await inventoryFor(opts.binPath, io), major);
    const read = await tableTransactions({
      pgWaldump: path.join(binDir, 'pg_waldump'),
      archiveDir: archive,
      relation,
      tableOid: oid,
      owners: (files) => withClient(resolved.params, connect, (c) => fileOwners(c, oid, files)),
      ...(timeline ? { timeline } : {}),
      logger: stderrLogger(io, opts.verbose),
    });
    const inRange = (at: Date | undefined) => (since === undefined || (at && at.getTime() >= since)) && (until === undefined || (at && at.getTime() <= until));
    const shown = read.transactions.filter((t) => inRange(t.at));
    const rewrites = read.rewrites.filter((w) => inRange(w.at) || !w.at);
    // The archive begins after the time asked for: what was before it is only in a dump.
    const short = since !== undefined && read.walStartsAt !== undefined && read.walStartsAt.getTime() > since;
    const fallback = short ? await dumpFallback(opts, loaded.config, name, table, new Date(since)) : undefined;
    const walDoc = { archive, from: read.from, to: read.to, ...(read.stoppedAt ? { walEndsAt: read.stoppedAt } : {}), ...(read.walStartsAt ? { walStartsAt: read.walStartsAt } : {}) };
    out.result({ ...doc, ...walDoc, transactions: shown, rewrites, ...(fallback?.found ? { dump: dumpDoc(fallback.found) } : {}) }, () => {
      const notes = rewrites.map((w) => rewriteLine(w, what));
      if (short && read.walStartsAt) {
        const reach = `The WAL archive reaches back only to ${formatWhen(read.walStartsAt, { seconds: true, noAge: true })}, after the --since time`;
        notes.push(fallback?.found ? `${reach}: ${fallback.found.message}.` : `${reach}, and no dump of ${opts.db} from before then holds ${what}'s rows.`);
      }
      const tail = notes.length > 0 ? `\n${notes.join('\n')}` : '';
      if (shown.length === 0) return `No transaction changed ${what} in ${read.from} – ${read.to}${since !== undefined || until !== undefined ? ' between the times given' : ''}.${tail}`;
      const rewrote = new Set(rewrites.map((w) => w.xid));
      const rows = [['XID', 'ENDED', 'OUTCOME', 'CHANGES', 'FIRST LSN']];
      for (const t of shown) rows.push([String(t.xid), t.at ? formatWhen(t.at, { seconds: true, noAge: true }) : '-', t.outcome, `${describe(t)}${rewrote.has(t.xid) ? ' (and rewrote the table)' : ''}`, t.firstLsn]);
      const last = shown.filter((t) => t.outcome === 'committed').at(-1);
      // The table alone (nothing else rolled back), and the whole cluster's target for a PITR.
      const hint = last
        ? `\nTo bring ${what} back as it was just before xid ${last.xid} (${describe(last)}): pgbr recover-table --conn ${connWord(opts.conn)} --db ${shellWord(opts.db)} --table ${shellWord(opts.table)} --before-xid ${last.xid} ` +
          `(a copy beside it by default; --mode missing-rows or replace). The whole cluster: recover to --target-xid ${last.xid} with --exclusive.`
        : '';
      return `Transactions that changed ${what} (WAL ${read.from} – ${read.to}):\n${textTable(rows)}${hint}${tail}`;
    });
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  }
}

export function addUndoCommands(program: Command, { io, exit }: CliContext): void {
  program
    .command('recover-table')
    .description(
      'undo a bad query on one table: --list-transactions lists the transactions that changed it, read from the archived WAL with pg_waldump (or, without an archive, names the newest dump that has it); --before-xid or --before-time recovers the table as it was just before, on a scratch server, compares it with the live table and brings it back (exit 2 when refused)',
    )
    .addOption(connOption())
    .requiredOption('--db <name>', 'the database the table is in')
    .requiredOption('--table <schema.table>', 'the table, in SQL syntax (orders, "My Schema"."Order""s")')
    .option('--list-transactions', 'list each transaction that changed the table: xid, when it ended, committed or aborted, rows inserted, updated and deleted')
    .option('--before-xid <xid>', 'recover the table as it was just before this transaction (from --list-transactions)')
    .option('--before-time <time>', 'recover the table as it was just before this time (with a zone: 2026-12-01 15:47:03 Europe/Berlin)')
    .addOption(new Option('--mode <mode>', 'how it comes back: a new table beside it, the missing rows only, or its whole contents replaced').choices(RECOVER_MODES))
    .option('--dry-run', 'compare and try the change in a transaction that is rolled back: nothing changes')
    .option('--yes', 'confirm --mode replace, which loses rows added since and the current version of rows that differ')
    .option('--archive <dir>', "the WAL archive folder (default: the connection's in pgbackup.yaml)")
    .option('--since <time>', 'only transactions that ended at or after this time (with a zone: 2026-12-01 15:00 Europe/Berlin)')
    .option('--until <time>', 'only transactions that ended at or before this time')
    .option('--from <time>', 'the same as --since')
    .option('--to <time>', 'the same as --until')
    .addOption(new Option('--timeline <n>', 'the timeline to read (default 1)'))
    .addOption(binPathOption())
    .addOption(workspaceOption())
    .addOption(verboseOption())
    .addOption(jsonOption())
    .action(async (opts: RecoverOptions) => {
      let request: ReturnType<typeof recoverRequest>;
      try {
        request = recoverRequest(opts);
      } catch (e) {
        return exit(makeOutput(!!opts.json, io.out, io.err).fail(e));
      }
      return exit(request.kind === 'list' ? await listTransactionsCommand(opts, io) : await recoverTableCommand(opts, request.target, io));
    });
}
