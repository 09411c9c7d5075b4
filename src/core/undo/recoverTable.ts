// Undoing a bad query on one table end to end: the past version from the newest base backup that ended
// before the bad transaction (replayed to just before it), or without WAL from the newest dump with the
// table; compared with the live table and brought back, with the time each step took (RTO evidence).
import type { CatalogEntry, Decryption } from '../logical';
import type { BaseBackupEntry } from '../physical';
import type { DrillProgress, DrillSource } from '../pitr/drill';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import type { ToolInventory } from '../platform/tools';
import { formatStamp } from '../platform/when';
import { formatQualifiedName, type QualifiedName } from '../postgres/names';
import { withClient } from '../postgres/server';
import type { ConnectionParams } from '../profiles/types';
import { bringBack } from './bringBack';
import type { BringBackMode, BringBackReport } from './bringBackReport';
import { type Comparison, compareWithPast } from './compare';
import { drillPastSource, type PastTarget, pastTargetText } from './drillPastSource';
import { dumpPastSource } from './dumpPastSource';
import { type DumpWithTable, newestDumpWithTable } from './newestDump';
import type { PastSource } from './pastServer';

/** Where the table as it was can come from; the first that applies is used (see `choosePast`). */
export interface PastSources {
  /** A pgBackRest drill source (`backrestSource`): pgBackRest picks its backup set for the target. */
  backrest?: DrillSource;
  /** The base backups of the connection (`listBaseBackups`), any order; used with `archiveDir`. */
  baseBackups?: readonly BaseBackupEntry[];
  /** The connection's WAL archive folder: recovery copies WAL from it. */
  archiveDir?: string;
  /** The dumps of the dump folders: the fallback without base backups and WAL. */
  dumps?: readonly CatalogEntry[];
}

export interface RecoverTableOptions {
  live: { params: ConnectionParams; password?: string };
  /** The connection profile's name, as base backup records and dump manifests hold it. */
  connection: string;
  database: string;
  table: QualifiedName;
  target: PastTarget;
  /** When the bad transaction ended (the transaction list has it): which base backup or dump came before an xid. */
  targetEndedAt?: Date;
  sources: PastSources;
  /** Server binaries of the backup's major version. */
  binDir: string;
  /** Where pg_restore is found (for a dump). */
  inventory?: ToolInventory;
  /** pg_restore, for dumps the built-in reader cannot list. */
  pgRestore?: string;
  decryption?: Decryption;
  /** Default new-table. */
  mode?: BringBackMode;
  dryRun?: boolean;
  /** replace: confirmed by the user (outside a dry run). */
  confirm?: boolean;
  /** Only compare; bring nothing back. */
  preview?: boolean;
  sampleSize?: number;
  lockTimeoutMs?: number;
  scratchParent?: string;
  timeZone?: string;
  timeoutMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /** The wall clock (what a dump loses is counted to it; a moment for the new table's name when none is known). */
  clock?: () => Date;
  /** Milliseconds from a fixed start, for the durations (default performance.now). */
  now?: () => number;
}

export interface RecoverTableReport {
  table: string;
  target: { beforeXid?: string; beforeTime?: string; endedAt?: string; text: string };
  /** Where the past version came from (PastServer.source). */
  source: string;
  /** A dump instead of WAL: how much is lost. */
  dump?: { name: string; takenAt: string; lostMs: number; message: string };
  comparison: Comparison;
  /** Absent for a preview. */
  bringBack?: BringBackReport;
  durations: { recoverMs: number; compareMs: number; applyMs: number; totalMs: number };
}

export type ChosenPast =
  | { kind: 'backrest'; source: DrillSource }
  | { kind: 'base-backup'; backup: BaseBackupEntry; archiveDir: string }
  | { kind: 'dump'; found: DumpWithTable };

/** The moment the target is: the time itself, or when the xid ended, where that is known. */
export function targetMoment(target: PastTarget, endedAt?: Date): Date | undefined {
  return 'beforeTime' in target ? target.beforeTime : endedAt;
}

/**
 * The newest base backup of the connection that ended before the target: recovery cannot stop before the
 * backup's end. None: a PgbrError naming the oldest there is and what to do instead.
 */
export function chooseBaseBackup(backups: readonly BaseBackupEntry[], connection: string, target: PastTarget, endedAt?: Date, timeZone?: string): BaseBackupEntry {
  const zone = timeZone ? { timeZone } : {};
  const ours = backups.filter((b) => !b.missing && b.record.profile === connection).sort((a, b) => Date.parse(b.record.stopTime) - Date.parse(a.record.stopTime));
  const at = targetMoment(target, endedAt);
  if (at === undefined) {
    throw new PgbrError('usage', `when the transaction (${pastTargetText(target)}) ended is not known, so no base backup can be chosen for it: list the transactions with the WAL archive, or give the time instead.`);
  }
  const fits = ours.find((b) => Date.parse(b.record.stopTime) < at.getTime());
  if (fits) return fits;
  const oldest = ours.at(-1);
  const before = pastTargetText(target, timeZone);
  if (!oldest) throw new PgbrError('usage', `there is no base backup of ${connection} to recover the table from: take one with pgbr basebackup (it covers changes after it), or recover from a dump.`);
  throw new PgbrError(
    'usage',
    `no base backup of ${connection} ended before the moment wanted (${before}${'beforeXid' in target ? `, which ended ${formatStamp(at, zone)}` : ''}): the oldest, ${oldest.record.name}, ended ${formatStamp(new Date(oldest.record.stopTime), zone)}. Recover from an older backup or a dump taken before then.`,
  );
}

/** Which past source to use: pgBackRest, else a base backup with the archive, else the newest dump with the table. */
export async function choosePast(opts: RecoverTableOptions): Promise<ChosenPast> {
  const s = opts.sources;
  if (s.backrest) return { kind: 'backrest', source: s.backrest };
  if (s.archiveDir && s.baseBackups && s.baseBackups.some((b) => !b.missing && b.record.profile === opts.connection)) {
    return { kind: 'base-backup', backup: chooseBaseBackup(s.baseBackups, opts.connection, opts.target, opts.targetEndedAt, opts.timeZone), archiveDir: s.archiveDir };
  }
  const what = formatQualifiedName(opts.table);
  const without = `there is no base backup of ${opts.connection} with a WAL archive`;
  const before = targetMoment(opts.target, opts.targetEndedAt);
  if (before === undefined) {
    throw new PgbrError('usage', `${without}, and without WAL the transaction (${pastTargetText(opts.target)}) cannot be placed in time to pick a dump taken before it: give --before-time with when the bad query ran.`);
  }
  const { found, skipped } = await newestDumpWithTable({
    dumps: s.dumps ?? [],
    connection: opts.connection,
    database: opts.database,
    table: opts.table,
    now: (opts.clock ?? (() => new Date()))(),
    before,
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    ...(opts.pgRestore ? { pgRestore: opts.pgRestore } : {}),
    ...(opts.decryption ? { decryption: opts.decryption } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!found) {
    const passed = skipped.length > 0 ? ` (passed over: ${skipped.join('; ')})` : '';
    throw new PgbrError('usage', `${without}, and no dump of ${opts.database} taken before ${formatStamp(before, opts.timeZone ? { timeZone: opts.timeZone } : {})} holds ${what}'s rows${passed}: take base backups with WAL archiving, or dumps, to be able to go back.`);
  }
  return { kind: 'dump', found };
}

function pastSourceFor(opts: RecoverTableOptions, chosen: ChosenPast): PastSource {
  const common = {
    binDir: opts.binDir,
    ...(opts.scratchParent ? { scratchParent: opts.scratchParent } : {}),
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  if (chosen.kind === 'dump') {
    if (!opts.inventory) throw new PgbrError('usage', 'restoring the table from a dump needs pg_restore: give the tool inventory.');
    return dumpPastSource({ ...common, dump: chosen.found.dump, table: opts.table, inventory: opts.inventory, database: opts.database, ...(opts.decryption ? { decryption: opts.decryption } : {}) });
  }
  const drill = {
    ...common,
    target: opts.target,
    database: opts.database,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.onProgress ? { onProgress: (p: DrillProgress) => opts.onProgress?.(`${p.phase}: ${p.message}`) } : {}),
  };
  if (chosen.kind === 'backrest') return drillPastSource({ ...drill, source: chosen.source });
  return drillPastSource({ ...drill, baseBackupDir: chosen.backup.path, format: chosen.backup.record.format, restore: { kind: 'copy', archiveDir: chosen.archiveDir } });
}

/** Recovers the table as it was on a scratch server, compares it with the live one, brings it back; the scratch server is gone after, on every path. */
export async function recoverTable(opts: RecoverTableOptions): Promise<RecoverTableReport> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const chosen = await choosePast(opts);
  const mode = opts.mode ?? 'new-table';
  const endedAt = opts.targetEndedAt;
  const asOf = chosen.kind === 'dump' ? chosen.found.takenAt : (targetMoment(opts.target, endedAt) ?? (opts.clock ?? (() => new Date()))());
  if (chosen.kind === 'dump') opts.onProgress?.(`restoring ${formatQualifiedName(opts.table)} from ${chosen.found.message}`);
  const connect = { database: opts.database, ...(opts.live.password !== undefined ? { password: opts.live.password } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  const done = await pastSourceFor(opts, chosen)(async (past) => {
    const up = now();
    return withClient(opts.live.params, connect, async (live) => {
      opts.onProgress?.(`comparing ${formatQualifiedName(opts.table)} with its past version`);
      const comparison = await compareWithPast({ past, live, table: opts.table, now, ...(opts.sampleSize !== undefined ? { sampleSize: opts.sampleSize } : {}) });
      const compared = now();
      if (opts.preview) return { past, up, compared, comparison, applied: now() };
      opts.onProgress?.(`${opts.dryRun ? 'trying' : 'applying'} ${mode}`);
      const report = await bringBack({
        mode,
        past,
        live,
        table: opts.table,
        asOf,
        now,
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(opts.confirm ? { confirm: true } : {}),
        ...(opts.sampleSize !== undefined ? { sampleSize: opts.sampleSize } : {}),
        ...(opts.lockTimeoutMs !== undefined ? { lockTimeoutMs: opts.lockTimeoutMs } : {}),
      });
      return { past, up, compared, comparison, report, applied: now() };
    });
  });
  const end = now();
  const { source, durations, ...comparison } = done.comparison;
  void durations;
  const target = 'beforeXid' in opts.target ? { beforeXid: opts.target.beforeXid.trim() } : { beforeTime: opts.target.beforeTime.toISOString() };
  return {
    table: formatQualifiedName(opts.table),
    target: { ...target, ...(endedAt ? { endedAt: endedAt.toISOString() } : {}), text: pastTargetText(opts.target, opts.timeZone) },
    source,
    ...(chosen.kind === 'dump' ? { dump: { name: chosen.found.dump.name, takenAt: chosen.found.takenAt.toISOString(), lostMs: chosen.found.lostMs, message: chosen.found.message } } : {}),
    comparison,
    ...(done.report ? { bringBack: done.report } : {}),
    durations: { recoverMs: Math.round(done.up - t0), compareMs: Math.round(done.compared - done.up), applyMs: Math.round(done.applied - done.compared), totalMs: Math.round(end - t0) },
  };
}
