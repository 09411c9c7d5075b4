// The table as it was just before a bad transaction, from a base backup and the archived WAL: the PITR drill
// recovers a scratch copy to just before it (xid or commit time, exclusive), the read runs while that server
// is paused there (read-only), and the drill stops it and removes its folder on every path (a SIGKILL too).
import * as path from 'node:path';
import type { BaseBackupFormat } from '../pitr/apply';
import { type RecoveryTarget, type RecoveryTimeline, resolveTarget, type RestoreSource } from '../pitr/config';
import { type DrillPlan, type DrillProgress, type DrillSource, runDrill } from '../pitr/drill';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { formatStamp } from '../platform/when';
import { withClient } from '../postgres/server';
import type { PastServer, PastSource } from './pastServer';

/** Just before the bad transaction: its xid (`recovery_target_xid`), or its commit time where the xid cannot be used. */
export type PastTarget = { beforeXid: string } | { beforeTime: Date };

export interface DrillPastSourceOptions {
  /** A pg_basebackup folder; or give `source` (a pgBackRest restore, say: `backrestSource`, whose WAL comes through pgBackRest). */
  baseBackupDir?: string;
  format?: BaseBackupFormat;
  source?: DrillSource;
  /** The backup as `PastServer.source` names it; default `base backup <folder name>`, or the source's label. */
  label?: string;
  /** Where recovery fetches WAL from, as the PITR plan has it; needed with `baseBackupDir`. */
  restore?: RestoreSource;
  target: PastTarget;
  /** The database the table is in. */
  database: string;
  /** Folder with the `postgres` server binary of the backup's major version. */
  binDir: string;
  /** Default `latest`. */
  timeline?: RecoveryTimeline;
  /** The role to read as; default as the drill chooses (postgres, the data directory's owner, this process's user). */
  superuser?: string;
  /** Where the scratch folder is made (default the system temp folder); short enough for a socket path. */
  scratchParent?: string;
  /** The zone the `source` text gives a time target in (default the machine's). */
  timeZone?: string;
  /** Give up on a recovery that has not reached the target by then (the drill's default otherwise). */
  timeoutMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
  onProgress?: (p: DrillProgress) => void;
}

/** The recovery target for "just before" (the xid or the time itself, made exclusive by the plan), checked before anything runs. */
export function pastRecoveryTarget(target: PastTarget): RecoveryTarget {
  if (!('beforeXid' in target) && Number.isNaN(target.beforeTime.getTime())) {
    throw new PgbrError('usage', 'the time to recover the table to is not a valid date: give the commit time of the bad transaction.');
  }
  const recovery: RecoveryTarget = 'beforeXid' in target ? { kind: 'xid', xid: target.beforeXid.trim() } : { kind: 'time', time: target.beforeTime.toISOString() };
  resolveTarget(recovery);
  return recovery;
}

/** The drill's plan: stop just before the target and stay paused there (a paused server can be read, not written). */
export function pastRecoveryPlan(opts: Pick<DrillPastSourceOptions, 'target' | 'timeline' | 'restore'>): DrillPlan {
  return { target: pastRecoveryTarget(opts.target), inclusive: false, timeline: opts.timeline ?? 'latest', action: 'pause', ...(opts.restore ? { restore: opts.restore } : {}) };
}

/** `just before xid 1234`, `just before 2026-12-01 15:47:03 UTC`. */
export function pastTargetText(target: PastTarget, timeZone?: string): string {
  return 'beforeXid' in target ? `just before xid ${target.beforeXid.trim()}` : `just before ${formatStamp(target.beforeTime, timeZone ? { timeZone } : {})}`;
}

/** A `PastSource` that recovers a scratch copy of the cluster to just before the target for each read. */
export function drillPastSource(opts: DrillPastSourceOptions): PastSource {
  return async <T>(read: (server: PastServer) => Promise<T>): Promise<T> => {
    if (!opts.source && !opts.baseBackupDir) throw new PgbrError('usage', 'the table as it was needs a base backup folder or another source to recover from.');
    if (!opts.source && !opts.restore) throw new PgbrError('usage', 'recovering from a base backup needs the WAL archive (or restore_command) to replay.');
    const plan = pastRecoveryPlan(opts);
    const before = pastTargetText(opts.target, opts.timeZone);
    const backup = opts.label ?? (opts.source ? opts.source.label : `base backup ${path.basename(path.resolve(opts.baseBackupDir as string))}`);
    const source = `${backup} with WAL to ${before}`;
    let result: { value: T } | undefined;
    const report = await runDrill({
      ...(opts.source ? { source: opts.source } : { baseBackupDir: opts.baseBackupDir, ...(opts.format ? { format: opts.format } : {}) }),
      plan,
      binDir: opts.binDir,
      countTables: false,
      ...(opts.superuser ? { superuser: opts.superuser } : {}),
      ...(opts.scratchParent ? { scratchParent: opts.scratchParent } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      whileUp: async ({ socketDir, port, user }) => {
        const server: PastServer = { socketDir, port, user, database: opts.database, source };
        await checkDatabase(server, backup, before);
        result = { value: await read(server) };
      },
    });
    if (report.status !== 'reached' || !result) {
      throw new PgbrError('tool-failed', `${backup} could not be recovered to ${before}: ${report.message}`);
    }
    return result.value;
  };
}

/** A read of a database the backup does not have would fail with libpq's words; say it in ours. */
async function checkDatabase(server: PastServer, backup: string, before: string): Promise<void> {
  const found = await withClient({ host: server.socketDir, port: server.port, user: server.user, database: 'postgres', sslmode: 'disable' }, {}, async (c) =>
    (await c.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datallowconn', [server.database])).rowCount ?? 0,
  );
  if (found === 0) {
    throw new PgbrError('usage', `database ${server.database} is not in ${backup} as recovered to ${before}: it was created later, or the backup is of another server. Choose the backup of the server the table lives on.`);
  }
}
