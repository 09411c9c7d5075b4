// What the Recover Table flow asks of the editor: the connection through the credential store, the places
// of dumps, base backups and the WAL archive as the other features find them, and the core's undo steps.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { backrestSource } from '../core/backrest';
import { type CatalogEntry, listDumps } from '../core/logical';
import { listBaseBackups } from '../core/physical';
import { findServerBinDir } from '../core/pitr';
import { chooseTool, PgbrError, type ToolInventory } from '../core/platform';
import { formatQualifiedName, parseQualifiedName, type QualifiedName, quoteIdentAlways, type ResolvedConnection, withClient } from '../core/postgres';
import { TRUST_HINT } from '../core/profiles';
import { bringBack, choosePast, compareWithPast, fileOwners, locateTable, newestDumpWithTable, pastSourceFor, pastTargetText, type PastSources, type RecoverTableOptions, tableTransactions } from '../core/undo';
import { archiveForConnection } from '../core/wal';
import { archiveLocations, baseBackupFolder, dumpFolders } from '../places';
import type { MomentList, UndoBackend } from './flow';

/** The table a panel is for, as the Connections view names it. */
export interface TableRef {
  connection: string;
  database: string;
  table: QualifiedName;
}

interface Live {
  resolved: ResolvedConnection;
  archive?: string;
  binDir: string;
  inventory: ToolInventory;
  /** Only to list dumps the built-in reader cannot; without one, those are passed over with the reason. */
  pgRestore?: string;
}

function pgRestoreOf(inventory: ToolInventory, major: number | undefined): string | undefined {
  try {
    return chooseTool(inventory, 'pg_restore', major ?? 0).path;
  } catch {
    return undefined;
  }
}

export function editorBackend(ctx: Ctx, ref: TableRef): UndoBackend {
  const connect = (resolved: ResolvedConnection) => ({ database: ref.database, ...(resolved.password !== undefined ? { password: resolved.password } : {}) });
  // Asked once per step: a password set or a setting changed in between is used by the next step.
  const live = async (): Promise<Live> => {
    const resolved = await ctx.connection(await ctx.profile(ref.connection));
    const { locations } = await archiveLocations(ctx);
    const read = await withClient(resolved.params, connect(resolved), async (c) => ({
      command: (await c.query<{ archive_command: string }>('SHOW archive_command')).rows[0]?.archive_command ?? '',
      major: Math.floor(Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num ?? 0) / 10_000) || undefined,
    }));
    const archive = archiveForConnection(locations, ref.connection, read.command)?.path;
    const inventory = await ctx.tools();
    const pgRestore = pgRestoreOf(inventory, read.major);
    return { resolved, inventory, binDir: await findServerBinDir(inventory, read.major), ...(archive ? { archive } : {}), ...(pgRestore ? { pgRestore } : {}) };
  };
  const dumps = async (): Promise<CatalogEntry[]> => (await Promise.all((await dumpFolders(ctx)).map((f) => listDumps(f)))).flatMap((l) => l.dumps);
  const withLive = async <T>(fn: (c: Parameters<Parameters<typeof withClient>[2]>[0]) => Promise<T>): Promise<T> => {
    const resolved = await ctx.connection(await ctx.profile(ref.connection));
    return withClient(resolved.params, connect(resolved), fn);
  };
  const what = formatQualifiedName(ref.table);

  return {
    ...ref,
    async listMoments(signal, onProgress): Promise<MomentList> {
      const l = await live();
      if (!l.archive) {
        onProgress('No WAL archive is known for this connection: looking for the newest dump with the table…');
        const { found, skipped } = await newestDumpWithTable({ dumps: await dumps(), connection: ref.connection, database: ref.database, table: ref.table, now: new Date(), signal, ...(l.pgRestore ? { pgRestore: l.pgRestore } : {}) });
        const why = `no WAL archive is known for ${ref.connection} (none in pgbackup.yaml or the settings, and its archive_command is not a plain copy into a folder).`;
        return { kind: 'dump', why: found ? why : `${why} No dump of ${ref.database} holds ${what}'s rows either: take base backups with WAL archiving, or dumps, to be able to go back.`, ...(found ? { found } : {}), skipped };
      }
      const connectLive = connect(l.resolved);
      const { relation, oid } = await withClient(l.resolved.params, connectLive, (c) => locateTable(c, ref.table));
      const read = await tableTransactions({
        pgWaldump: path.join(l.binDir, 'pg_waldump'),
        archiveDir: l.archive,
        relation,
        tableOid: oid,
        owners: (files) => withClient(l.resolved.params, connectLive, (c) => fileOwners(c, oid, files)),
        signal,
        logger: ctx.log,
      });
      return { kind: 'wal', archive: l.archive, from: read.from, to: read.to, transactions: read.transactions, rewrites: read.rewrites, ...(read.stoppedAt ? { stoppedAt: read.stoppedAt } : {}), ...(read.walStartsAt ? { walStartsAt: read.walStartsAt } : {}) };
    },

    async pastFor(pick, signal, onProgress) {
      const l = await live();
      const config = (await ctx.profiles()).config;
      const repository = (config?.repositories ?? []).find((r) => r.connection === ref.connection);
      const sources: PastSources = {};
      if (repository && !('dump' in pick)) {
        // pgBackRest reads its own config file, which could make it start a program: not in an untrusted folder.
        if (!ctx.trusted) throw new PgbrError('usage', `${ref.connection} is backed up by pgBackRest (stanza ${repository.stanza}), which this folder may not run because it is not trusted: ${TRUST_HINT}.`);
        sources.backrest = backrestSource({ target: { stanza: repository.stanza, ...(repository.config !== undefined ? { config: repository.config } : {}) } });
      } else if (l.archive && !('dump' in pick)) {
        sources.archiveDir = l.archive;
        sources.baseBackups = (await listBaseBackups(await baseBackupFolder(ctx))).backups;
      }
      const target = 'dump' in pick ? { beforeTime: pick.dump.takenAt } : { beforeXid: pick.xid };
      const opts: RecoverTableOptions = {
        live: { params: l.resolved.params, ...(l.resolved.password !== undefined ? { password: l.resolved.password } : {}) },
        connection: ref.connection,
        database: ref.database,
        table: ref.table,
        target,
        ...('dump' in pick ? {} : { targetEndedAt: pick.endedAt }),
        sources,
        binDir: l.binDir,
        inventory: l.inventory,
        ...(l.pgRestore ? { pgRestore: l.pgRestore } : {}),
        signal,
        logger: ctx.log,
        onProgress,
      };
      const chosen = 'dump' in pick ? { kind: 'dump' as const, found: pick.dump } : await choosePast(opts);
      if (chosen.kind === 'dump') onProgress(`Restoring ${what} from ${chosen.found.dump.name} on a scratch server…`);
      else onProgress(`Recovering a scratch copy ${pastTargetText(target)} from ${chosen.kind === 'backrest' ? `stanza ${repository?.stanza ?? ''}` : chosen.backup.record.name}…`);
      return {
        source: pastSourceFor(opts, chosen),
        target: chosen.kind === 'dump' ? `in the dump ${chosen.found.dump.name} (${chosen.found.message})` : pastTargetText(target),
        asOf: chosen.kind === 'dump' ? chosen.found.takenAt : 'dump' in pick ? pick.dump.takenAt : pick.endedAt,
        ...(chosen.kind === 'dump' ? { fromDump: true } : {}),
      };
    },

    compare: (past) => withLive((live) => compareWithPast({ past, live, table: ref.table })),
    bringBack: (past, o) => withLive((live) => bringBack({ past, live, table: ref.table, mode: o.mode, asOf: o.asOf, dryRun: o.dryRun, confirm: o.confirm })),

    async confirm(message, action) {
      return (await vscode.window.showWarningMessage(message, { modal: true }, action)) === action;
    },

    async openTable(name) {
      const t = parseQualifiedName(name);
      const sql = `SELECT * FROM ${quoteIdentAlways(t.schema)}.${quoteIdentAlways(t.name)} LIMIT 100`;
      const rows = await withLive(async (c) => (await c.query<Record<string, unknown>>(sql)).rows);
      const text = [`-- ${name} in ${ref.database} of ${ref.connection}: the first ${rows.length} rows (${sql})`, ...rows.map((r) => JSON.stringify(r))].join('\n');
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ language: 'jsonl', content: `${text}\n` }), { preview: true });
    },

    copy: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
    log: (line) => ctx.log.info(line),
  };
}
