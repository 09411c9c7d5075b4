// `pgbr recover-table --before-xid X | --before-time T`: the table as it was just before a bad query, from
// the newest base backup and the WAL archive (or pgBackRest, or without WAL the newest dump), compared with
// the live table and brought back as a new table, its missing rows, or its whole contents.
import * as path from 'node:path';
import { listDumps, type CatalogEntry } from '../core/logical';
import { listBaseBackups } from '../core/physical';
import { findServerBinDir, parseTargetTime } from '../core/pitr';
import { abortOnSignals, chooseTool, PgbrError } from '../core/platform';
import { backrestSource } from '../core/backrest';
import { parseQualifiedName, type QualifiedName, type ResolvedConnection, withClient } from '../core/postgres';
import { type BringBackMode, describeBringBack, fileOwners, locateTable, type PastSources, type PastTarget, recoverTable, type RecoverTableReport, tableTransactions } from '../core/undo';
import { archiveFor } from './commands';
import type { Io } from './io';
import { Exit, makeOutput } from './output';
import { connectionFor, inventoryFor, stderrLogger } from './shared';
import type { ListOptions } from './undoCommands';
import { baseBackupFolderFor, dumpFoldersFor, profilesFor } from './workspace';

export const RECOVER_MODES: readonly BringBackMode[] = ['new-table', 'missing-rows', 'replace'];

export interface RecoverOptions extends ListOptions {
  beforeXid?: string;
  beforeTime?: string;
  mode?: BringBackMode;
  dryRun?: boolean;
  yes?: boolean;
}

/** What the options ask for: the transaction list, or the table just before an xid or a time. Exactly one. */
export function recoverRequest(o: Pick<RecoverOptions, 'listTransactions' | 'beforeXid' | 'beforeTime' | 'mode' | 'dryRun' | 'yes' | 'since' | 'until' | 'from' | 'to'>): { kind: 'list' } | { kind: 'recover'; target: PastTarget } {
  const given = [o.listTransactions && '--list-transactions', o.beforeXid !== undefined && '--before-xid', o.beforeTime !== undefined && '--before-time'].filter((g): g is string => typeof g === 'string');
  if (given.length !== 1) {
    throw new PgbrError('usage', `give exactly one of --before-xid X, --before-time T and --list-transactions${given.length ? ` (${given.join(' and ')} were given)` : ''}: list the transactions first to find the bad one.`);
  }
  if (o.listTransactions) {
    const extra = [o.mode !== undefined && '--mode', o.dryRun && '--dry-run', o.yes && '--yes'].filter(Boolean);
    if (extra.length > 0) throw new PgbrError('usage', `${extra.join(', ')} only go with --before-xid or --before-time: --list-transactions changes nothing.`);
    return { kind: 'list' };
  }
  const window = (['since', 'until', 'from', 'to'] as const).filter((k) => o[k] !== undefined).map((k) => `--${k}`);
  if (window.length > 0) throw new PgbrError('usage', `${window.join(', ')} only go with --list-transactions: the table is recovered to just before --before-xid or --before-time.`);
  if (o.beforeXid !== undefined) {
    const xid = o.beforeXid.trim();
    if (!/^\d+$/.test(xid) || Number(xid) < 3) throw new PgbrError('usage', `--before-xid ${o.beforeXid} is not a transaction id: give the number --list-transactions shows in its XID column.`);
    return { kind: 'recover', target: { beforeXid: xid } };
  }
  try {
    return { kind: 'recover', target: { beforeTime: new Date(parseTargetTime(o.beforeTime ?? '').epochMs) } };
  } catch (e) {
    throw new PgbrError('usage', `--before-time: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const rows = (n: number) => `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'}`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report for people: what was compared, what was done, from where, how long each step took. */
export function renderRecoverTable(r: RecoverTableReport): string {
  const c = r.comparison;
  const lines = [`${r.table} as it was ${r.target.text}${r.target.endedAt && r.target.beforeXid ? ` (it ended ${r.target.endedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')})` : ''}, from ${r.source}.`];
  if (r.dump) lines.push(`${r.dump.message.charAt(0).toUpperCase()}${r.dump.message.slice(1)}.`);
  const by = c.by === 'primary key' ? `by ${c.key && c.key.length > 0 ? `key (${c.key.join(', ')})` : 'primary key'}` : 'whole row';
  lines.push(`Compared ${by}: ${rows(c.pastRows)} then, ${rows(c.liveRows)} now; ${rows(c.missing)} missing now, ${rows(c.differ)} differ, ${rows(c.added)} added since.`);
  if (c.costMessage) lines.push(c.costMessage);
  const sample = (label: string, items: string[], total: number) => {
    if (items.length === 0) return;
    lines.push(`  ${label}${total > items.length ? ` (${items.length} of ${total.toLocaleString('en-US')})` : ''}:`, ...items.map((i) => `    ${i}`));
  };
  sample('missing now', c.samples.missing, c.missing);
  if (c.samples.differ.length > 0) {
    lines.push(`  differ${c.differ > c.samples.differ.length ? ` (${c.samples.differ.length} of ${c.differ.toLocaleString('en-US')})` : ''}:`);
    for (const d of c.samples.differ) lines.push(`    then ${d.then}`, `    now  ${d.now}`);
  }
  sample('added since', c.samples.added, c.added);
  if (r.bringBack) {
    // The source, the counts and the cost of a whole-row comparison are said above already.
    const said = new Set([`From ${r.bringBack.source}.`, c.costMessage]);
    const counts = `${r.bringBack.table}: ${rows(r.bringBack.counts.pastRows)} then, `;
    lines.push(...describeBringBack(r.bringBack).filter((l) => !said.has(l) && !l.startsWith(counts)));
  } else lines.push('Compared only: nothing was brought back.');
  const d = r.durations;
  lines.push(`Recovery time: ${secs(d.totalMs)} in all (scratch server up with the past table ${secs(d.recoverMs)}, comparing ${secs(d.compareMs)}, ${r.bringBack?.dryRun ? 'trying the change' : 'bringing back'} ${secs(d.applyMs)}).`);
  return lines.join('\n');
}

/** When the xid ended, from the archived WAL: it picks the base backup, and must be a transaction that changed the table. */
async function xidEndedAt(o: RecoverOptions, resolved: ResolvedConnection, table: QualifiedName, archive: string, binDir: string, io: Io, signal: AbortSignal): Promise<Date> {
  const connect = { password: resolved.password, database: o.db };
  const { relation, oid } = await withClient(resolved.params, connect, (c) => locateTable(c, table));
  const read = await tableTransactions({
    pgWaldump: path.join(binDir, 'pg_waldump'),
    archiveDir: archive,
    relation,
    tableOid: oid,
    owners: (files) => withClient(resolved.params, connect, (c) => fileOwners(c, oid, files)),
    signal,
    ...(o.timeline ? { timeline: Number(o.timeline) } : {}),
    ...(stderrLogger(io, o.verbose) ? { logger: stderrLogger(io, o.verbose) } : {}),
  });
  const xid = Number(o.beforeXid);
  const what = `${table.schema}.${table.name}`;
  const found = read.transactions.find((t) => t.xid === xid);
  const at = found?.at ?? read.rewrites.find((w) => w.xid === xid)?.at;
  if (found?.outcome === 'aborted') throw new PgbrError('usage', `xid ${xid} was rolled back, so it changed nothing in ${what} to undo: pick a committed one from --list-transactions.`);
  if (!at) throw new PgbrError('usage', `xid ${xid} did not change ${what} as far as the archived WAL (${read.from} – ${read.to}) shows, or has not ended there: pick one from --list-transactions, or give --before-time.`);
  return at;
}

export async function recoverTableCommand(o: RecoverOptions, target: PastTarget, io: Io): Promise<number> {
  const out = makeOutput(!!o.json, io.out, io.err);
  const interrupt = abortOnSignals();
  try {
    const table = parseQualifiedName(o.table);
    const mode = o.mode ?? 'new-table';
    const { name, resolved } = await connectionFor(o.conn, o.workspace, io);
    const loaded = await profilesFor(o.workspace, io);
    const config = loaded.config;
    const { archive, major } = await withClient(resolved.params, { password: resolved.password, database: o.db }, async (c) => ({
      archive: await archiveFor(o, name, config, c),
      major: Math.floor(Number((await c.query<{ server_version_num: string }>('SHOW server_version_num')).rows[0]?.server_version_num ?? 0) / 10_000) || undefined,
    }));
    const inventory = await inventoryFor(o.binPath, io);
    const binDir = await findServerBinDir(inventory, major);
    // Only to list dumps the built-in reader cannot; without one, those are passed over with the reason.
    const pgRestore = (() => {
      try {
        return chooseTool(inventory, 'pg_restore', major ?? 0).path;
      } catch {
        return undefined;
      }
    })();
    const repository = (config?.repositories ?? []).find((r) => r.connection === name);
    const sources: PastSources = {};
    if (repository) sources.backrest = backrestSource({ target: { stanza: repository.stanza, ...(repository.config !== undefined ? { config: repository.config } : {}) } });
    else if (archive) {
      sources.archiveDir = archive;
      sources.baseBackups = (await listBaseBackups(baseBackupFolderFor(config, o.workspace))).backups;
    }
    const dumps: CatalogEntry[] = [];
    for (const folder of dumpFoldersFor(config, o.workspace)) dumps.push(...(await listDumps(folder)).dumps);
    sources.dumps = dumps;
    const endedAt = 'beforeXid' in target && archive ? await xidEndedAt(o, resolved, table, archive, binDir, io, interrupt.signal) : undefined;
    const report = await recoverTable({
      live: { params: resolved.params, ...(resolved.password !== undefined ? { password: resolved.password } : {}) },
      connection: name,
      database: o.db,
      table,
      target,
      ...(endedAt ? { targetEndedAt: endedAt } : {}),
      sources,
      binDir,
      inventory,
      ...(pgRestore ? { pgRestore } : {}),
      mode,
      ...(o.dryRun ? { dryRun: true } : {}),
      ...(o.yes ? { confirm: true } : {}),
      signal: interrupt.signal,
      ...(stderrLogger(io, o.verbose) ? { logger: stderrLogger(io, o.verbose) } : {}),
      ...(o.json ? {} : { onProgress: (m: string) => io.err(`pgbr: ${m}\n`) }),
    });
    out.result(report, () => renderRecoverTable(report));
    return Exit.Ok;
  } catch (e) {
    return out.fail(e);
  } finally {
    interrupt.dispose();
  }
}
