import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { freePort } from '../platform/net';
import { removeIfKilled } from '../platform/reaper';
import { runTool, type RunResult } from '../platform/runner';
import type { WhenOptions } from '../platform/when';
import { quoteIdentAlways } from '../postgres/names';
import { withClient } from '../postgres/server';
import { applyRecovery, resolveDataDirOwner, type BaseBackupFormat } from './apply';
import type { RecoveryPlan } from './config';
import { endedEarlyMessage, reachedMessage } from './drillText';
import { DEFAULT_TIMEOUT_MS, LOG_TAIL_LINES, type LogState, asUser, checkArchiveReadable, checkServerVersion, isRoot, prepareScratchConfig, reachableTempDir, readLogLine, runuserPath, serverEnv, stopIfKilled, stopScratch } from './scratchServer';

// A recovery drill: restore a base backup into a scratch folder, recover it on a private socket, report what came back, remove it all.

export type DrillPhase = 'restore' | 'start' | 'recover' | 'inspect' | 'stop';

export interface DrillProgress {
  phase: DrillPhase;
  message: string;
  elapsedMs: number;
}

/** The plan a drill's runner needs; a base backup source needs a whole RecoveryPlan (its restore_command). */
export type DrillPlan = Pick<RecoveryPlan, 'target' | 'inclusive' | 'timeline' | 'action'> & Partial<Pick<RecoveryPlan, 'restore' | 'archiving'>>;

export interface DrillOwner {
  user: string;
  uid: number;
  gid: number;
}

/** What puts a data directory, with its recovery settings, into the scratch folder: a base backup copied, or a pgBackRest restore. */
export interface DrillSource {
  /** For the progress line: `restoring <label> into a scratch folder`. */
  label: string;
  /** As root: who owns the scratch folder and runs its server; default: the scratch folder's parent's owner, else postgres. */
  owner?(): Promise<DrillOwner>;
  /** Checks once the owner is known (as root: that it can read what recovery fetches). */
  check?(ctx: { runuser?: string; user?: string }): Promise<void>;
  /** Writes the data directory at `dataDir`; returns the recovery settings written and its owner. */
  restore(ctx: { root: string; dataDir: string; plan: DrillPlan; signal?: AbortSignal; logger?: Logger }): Promise<{ settings: string[]; owner?: DrillOwner }>;
}

/** The existing source: a pg_basebackup folder copied or extracted, with the plan's settings written by applyRecovery. */
export function baseBackupSource(baseBackupDir: string, format?: BaseBackupFormat): DrillSource {
  return {
    label: baseBackupDir,
    restore: async ({ dataDir, plan, signal, logger }) => {
      if (!plan.restore) throw new PgbrError('usage', 'a drill from a base backup needs the restore_command source of its plan.');
      const applied = await applyRecovery({ baseBackupDir, format, dataDir, plan: { ...plan, restore: plan.restore }, signal, logger });
      return { settings: applied.preview.settings, ...(applied.preview.owner ? { owner: applied.preview.owner } : {}) };
    },
  };
}

/** Where a recovered scratch server listens, and a role that may read everything there. */
export interface DrillServer {
  /** The socket folder (libpq's host). */
  socketDir: string;
  port: number;
  user: string;
}

export interface DrillOptions {
  /** A pg_basebackup folder; or give `source`. */
  baseBackupDir?: string;
  format?: BaseBackupFormat;
  source?: DrillSource;
  /** The recovery to rehearse; `shutdown` is run as `pause`, since a stopped server cannot be looked at. */
  plan: DrillPlan;
  /** Folder with the `postgres` server binary of the backup's major version. */
  binDir: string;
  signal?: AbortSignal;
  onProgress?: (p: DrillProgress) => void;
  logger?: Logger;
  /** Exact row counts of every user table in every database (default true). */
  countTables?: boolean;
  /** Only these databases are counted (a selective restore leaves the others unreadable). */
  databases?: string[];
  /** The role to connect as; default: the first of `postgres`, the data directory's owner, this process's user that exists. */
  superuser?: string;
  /** Where the scratch folder is made (default: the system temp folder); its path must be short enough for a socket. */
  scratchParent?: string;
  /** Give up on a recovery that has not reached its target by then (default 30 minutes). */
  timeoutMs?: number;
  /** The clock and zone for times in the report's message. */
  when?: WhenOptions;
  /**
   * Run while the server is up, once recovery has reached its target (paused there, read-only, unless the
   * plan promotes) and before it is stopped; not run when recovery ended early or failed. Its error is the
   * drill's, thrown after the scratch server is stopped and its folder removed; a cancel does not wait for it.
   */
  whileUp?: (server: DrillServer) => Promise<void>;
}

export interface TableCount {
  schema: string;
  table: string;
  /** Null when the table cannot be read during recovery (unlogged). */
  rows: number | null;
}

export interface DrillReport {
  status: 'reached' | 'ended-early' | 'failed';
  /** What happened, for people. */
  message: string;
  /** The log line that says where recovery stopped (`recovery stopping before commit of transaction 745, time …`, `… at restore point "x"`). */
  stopLine?: string;
  /** The last WAL record replayed. */
  recoveredLsn?: string;
  /** Commit time of the last transaction replayed, ISO 8601 in UTC to the microsecond. */
  recoveredTime?: string;
  /** The timeline of the last WAL file restored from the archive. */
  timeline?: number;
  /** Set when the drill promoted: the new timeline and the write position on it. */
  promoted?: { timeline?: number; currentLsn?: string };
  /** The recovered server's `TimeZone`. */
  serverTimeZone?: string;
  databases: { name: string; tables: TableCount[] }[];
  /** The recovery settings the scratch server ran with. */
  settings: string[];
  logTail: string[];
  port: number;
  durations: { restoreMs: number; recoverMs: number; inspectMs: number; stopMs: number; totalMs: number };
}

/** Runs the recovery on a scratch copy and reports what it recovered; the scratch server and folder are always removed. */
export async function runDrill(opts: DrillOptions): Promise<DrillReport> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const progress = (phase: DrillPhase, message: string) => opts.onProgress?.({ phase, message, elapsedMs: elapsed() });
  const logger = opts.logger;
  const cancelled = () => new PgbrError('cancelled', 'the recovery drill was cancelled; its scratch server was stopped and its folder removed.');
  if (opts.signal?.aborted) throw cancelled();

  const action = opts.plan.action === 'promote' ? 'promote' : 'pause';
  const plan: DrillPlan = { ...opts.plan, action };
  if (!opts.source && !opts.baseBackupDir) throw new PgbrError('usage', 'a drill needs a base backup folder or another source to restore from.');
  const source = opts.source ?? baseBackupSource(opts.baseBackupDir as string, opts.format);
  const postgres = path.join(opts.binDir, process.platform === 'win32' ? 'postgres.exe' : 'postgres');
  if (!existsSync(postgres)) {
    throw new PgbrError('tool-missing', `${opts.binDir} has no postgres server binary: the drill starts a real server, so install the PostgreSQL server package or pass the bin folder that has it.`);
  }
  const runuser = isRoot() ? await runuserPath() : undefined;

  const root = await fs.mkdtemp(path.join(opts.scratchParent ?? (runuser ? await reachableTempDir() : os.tmpdir()), 'pgbr-drill-'));
  // If this process exits or is killed mid-drill, the reaper stops the scratch server and removes the folder.
  const forgetRoot = removeIfKilled(root);
  let forgetServer: (() => void) | undefined;
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const logTail: string[] = [];
  const durations = { restoreMs: 0, recoverMs: 0, inspectMs: 0, stopMs: 0, totalMs: 0 };
  let server: Promise<RunResult> | undefined;
  let serverExited = false;
  let log: FileHandle | undefined;
  let port = 0;
  let settings: string[] = [];
  try {
    let user: string | undefined;
    if (runuser) {
      const owner = source.owner ? await source.owner() : await ownerForScratch();
      user = owner.user;
      await fs.chown(root, owner.uid, owner.gid);
      if (opts.plan.restore?.kind === 'copy') await checkArchiveReadable(runuser, user, opts.plan.restore.archiveDir);
    }
    await source.check?.({ ...(runuser ? { runuser } : {}), ...(user ? { user } : {}) });
    await fs.chmod(root, 0o700);

    progress('restore', `restoring ${source.label} into a scratch folder`);
    const t0 = performance.now();
    const applied = await source.restore({ root, dataDir, plan, ...(opts.signal ? { signal: opts.signal } : {}), ...(logger ? { logger } : {}) });
    durations.restoreMs = Math.round(performance.now() - t0);
    settings = applied.settings;
    await checkServerVersion(postgres, dataDir);

    port = await freePort();
    await prepareScratchConfig(dataDir, root, port, applied.owner);

    progress('start', `starting a scratch server on a private socket (port ${port})`);
    const state: LogState = { paused: false, ready: false, readOnlyReady: false };
    const serverLog = (log = await fs.open(logFile, 'a'));
    let wake: (() => void) | undefined;
    const onLine = (line: string) => {
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      void serverLog.write(`${line}\n`).catch(() => {});
      readLogLine(line, state);
      wake?.();
    };
    const t1 = performance.now();
    const cmd = asUser(runuser, user, postgres, ['-D', dataDir]);
    server = runTool({ ...cmd, env: serverEnv(), cwd: root, onStderrLine: onLine, onStdoutLine: onLine, logger, label: 'postgres (recovery drill)' });
    forgetServer = stopIfKilled(dataDir, opts.binDir, runuser, user);
    void server.then(() => {
      serverExited = true;
      wake?.();
    });

    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const settled = (): 'reached' | 'ended-early' | 'exited' | undefined => {
      if (state.endedEarly) return 'ended-early';
      const hasTarget = plan.target.kind !== 'latest';
      if (hasTarget && state.stopLine && (action === 'pause' ? state.paused : state.ready)) return 'reached';
      if (!hasTarget && state.ready) return 'reached';
      if (serverExited) return 'exited';
      return undefined;
    };
    progress('recover', 'replaying WAL from the archive');
    let outcome: ReturnType<typeof settled>;
    const onAbort = () => wake?.();
    opts.signal?.addEventListener('abort', onAbort);
    try {
      while (!(outcome = settled())) {
        if (opts.signal?.aborted) throw cancelled();
        if (Date.now() > deadline) break;
        // Woken by a log line, the server's exit or a cancel; the timer only bounds the wait.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200).unref();
        });
        wake = undefined;
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    durations.recoverMs = Math.round(performance.now() - t1);
    // The exit may race the FATAL line: let the last lines arrive.
    if (outcome === 'exited') {
      await server;
      if (state.endedEarly) outcome = 'ended-early';
    }

    const report: DrillReport = {
      status: 'failed',
      message: '',
      ...(state.stopLine ? { stopLine: state.stopLine } : {}),
      ...(state.lastRestored ? { timeline: parseInt(state.lastRestored.slice(0, 8), 16) } : {}),
      databases: [],
      settings,
      logTail,
      port,
      durations,
    };
    if (outcome === 'ended-early') {
      report.status = 'ended-early';
      report.message = endedEarlyMessage(state, opts.when);
      if (state.redoDone) report.recoveredLsn = state.redoDone;
    } else if (outcome === undefined) {
      report.message = `recovery did not reach its target within ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s; the scratch server was stopped. The log tail says how far it got.`;
    } else if (outcome === 'exited') {
      report.message = `the scratch server stopped before recovery reached its target${state.fatal ? `: ${state.fatal}` : ''}. The log tail says why.`;
    } else {
      progress('inspect', 'reading what was recovered');
      const t2 = performance.now();
      const user = await inspect(report, { socketDir: root, port, owner: applied.owner?.user, superuser: opts.superuser, countTables: opts.countTables ?? true, ...(opts.databases ? { only: opts.databases } : {}), promoted: action === 'promote' || plan.target.kind === 'latest' });
      if (report.promoted && state.newTimeline !== undefined) report.promoted.timeline ??= state.newTimeline;
      durations.inspectMs = Math.round(performance.now() - t2);
      report.status = 'reached';
      report.message = reachedMessage(report, state.stopLine, opts.when);
      if (opts.whileUp) await untilAborted(opts.whileUp({ socketDir: root, port, user }), opts.signal, cancelled);
    }
    return report;
  } finally {
    const t3 = performance.now();
    if (server) {
      progress('stop', 'stopping the scratch server');
      await stopScratch(dataDir, server, () => serverExited);
    }
    forgetServer?.();
    // Closed on every path (a failure, a cancel, an exception), once the server can write no more.
    await log?.close().catch(() => {});
    await fs.rm(root, { recursive: true, force: true });
    forgetRoot();
    durations.stopMs = Math.round(performance.now() - t3);
    durations.totalMs = elapsed();
  }

  async function ownerForScratch(): Promise<{ user: string; uid: number; gid: number }> {
    // The scratch folder is ours (root): its owner-to-be is the parent's, else postgres.
    const owner = await resolveDataDirOwner(path.join(root, 'data'));
    if (!owner) throw new PgbrError('io', 'could not choose a user to run the scratch server as.');
    return owner;
  }
}

/** The hook's outcome, or the cancel's error as soon as the signal fires (the hook's own end is then ignored). */
async function untilAborted(work: Promise<void>, signal: AbortSignal | undefined, cancelled: () => PgbrError): Promise<void> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    throw cancelled();
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // The hook's reads fail once the server stops under them: nobody waits for that any more.
    work.catch(() => {});
  }
}

interface InspectOptions {
  socketDir: string;
  port: number;
  owner?: string;
  superuser?: string;
  countTables: boolean;
  only?: string[];
  promoted: boolean;
}

/** Fills in where recovery stopped (and the row counts, if asked); returns the role it connected as. */
async function inspect(report: DrillReport, o: InspectOptions): Promise<string> {
  const candidates = o.superuser ? [o.superuser] : [...new Set(['postgres', o.owner, os.userInfo().username].filter((u): u is string => !!u))];
  const params = (user: string, database: string) => ({ host: o.socketDir, port: o.port, user, database, sslmode: 'disable' as const });
  let user: string | undefined;
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      await withClient(params(candidate, 'postgres'), {}, async (c) => {
        const r = await c.query<{ rec: boolean; lsn: string | null; ts: string | null; cur: string | null; tz: string; wal: string | null }>(
          `SELECT pg_is_in_recovery() AS rec, pg_last_wal_replay_lsn()::text AS lsn,
                  to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts,
                  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS cur,
                  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS wal,
                  current_setting('TimeZone') AS tz`,
        );
        const row = r.rows[0];
        if (row?.lsn) report.recoveredLsn = row.lsn;
        if (row?.ts) report.recoveredTime = row.ts;
        if (row) report.serverTimeZone = row.tz;
        if (row && !row.rec) report.promoted = { ...(row.cur ? { currentLsn: row.cur } : {}), ...(row.wal ? { timeline: parseInt(row.wal.slice(0, 8), 16) } : {}) };
      });
      user = candidate;
      break;
    } catch (e) {
      lastError = e;
      if (!/role .* does not exist/i.test(e instanceof Error ? e.message : String(e))) throw e;
    }
  }
  if (!user) throw lastError instanceof Error ? lastError : new PgbrError('connection', 'could not connect to the scratch server.');
  if (!o.countTables) return user;

  const databases = await withClient(params(user, 'postgres'), {}, async (c) =>
    (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1')).rows.map((r) => r.datname),
  );
  for (const name of databases.filter((d) => !o.only || o.only.includes(d))) {
    const tables = await withClient(params(user, name), {}, async (c) => {
      const list = (
        await c.query<{ nspname: string; relname: string; unlogged: boolean }>(
          `SELECT n.nspname, c.relname, c.relpersistence = 'u' AS unlogged
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
            ORDER BY 1, 2`,
        )
      ).rows;
      const inRecovery = !report.promoted;
      const out: TableCount[] = [];
      for (const t of list) {
        // Unlogged tables come back empty after recovery, and cannot be read at all while it is paused.
        if (t.unlogged && inRecovery) {
          out.push({ schema: t.nspname, table: t.relname, rows: null });
          continue;
        }
        const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdentAlways(t.nspname)}.${quoteIdentAlways(t.relname)}`);
        out.push({ schema: t.nspname, table: t.relname, rows: Number(r.rows[0]?.n ?? 0) });
      }
      return out;
    });
    report.databases.push({ name, tables });
  }
  return user;
}
