// A recovery drill: restore a base backup into a scratch folder, recover it on a private socket, report what came back, remove it all.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import type { Logger } from '../platform/log';
import { quoteIdentAlways } from '../postgres/names';
import { runTool, type RunResult } from '../platform/runner';
import { removeIfKilled } from '../platform/reaper';
import { withClient } from '../postgres/server';
import type { ToolInventory } from '../platform/tools';
import { parseToolVersion } from '../platform/toolVersion';
import { applyRecovery, resolveDataDirOwner, type BaseBackupFormat } from './apply';
import { confString, type RecoveryPlan } from './config';
import { freePort } from '../platform/net';
import type { WhenOptions } from '../platform/when';
import { endedEarlyMessage, reachedMessage } from './drillText';

export type DrillPhase = 'restore' | 'start' | 'recover' | 'inspect' | 'stop';

export interface DrillProgress {
  phase: DrillPhase;
  message: string;
  elapsedMs: number;
}

export interface DrillOptions {
  baseBackupDir: string;
  format?: BaseBackupFormat;
  /** The recovery to rehearse; `shutdown` is run as `pause`, since a stopped server cannot be looked at. */
  plan: RecoveryPlan;
  /** Folder with the `postgres` server binary of the backup's major version. */
  binDir: string;
  signal?: AbortSignal;
  onProgress?: (p: DrillProgress) => void;
  logger?: Logger;
  /** Exact row counts of every user table in every database (default true). */
  countTables?: boolean;
  /** The role to connect as; default: the first of `postgres`, the data directory's owner, this process's user that exists. */
  superuser?: string;
  /** Where the scratch folder is made (default: the system temp folder); its path must be short enough for a socket. */
  scratchParent?: string;
  /** Give up on a recovery that has not reached its target by then (default 30 minutes). */
  timeoutMs?: number;
  /** The clock and zone for times in the report's message. */
  when?: WhenOptions;
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

const LOG_TAIL_LINES = 40;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const isRoot = (): boolean => process.getuid?.() === 0;


/** The server binaries to drill with: the install of that major (or the newest) that has `postgres`, since Debian keeps it beside the client tools. */
export async function findServerBinDir(inventory: ToolInventory, major?: number): Promise<string> {
  const installs = [...inventory.installs].filter((i) => major === undefined || i.major === major).sort((a, b) => b.major - a.major);
  for (const i of installs) {
    const exe = path.join(i.binDir, process.platform === 'win32' ? 'postgres.exe' : 'postgres');
    if (existsSync(exe)) return i.binDir;
  }
  throw new PgbrError(
    'tool-missing',
    `no PostgreSQL${major !== undefined ? ` ${major}` : ''} server binaries (postgres) were found beside the client tools: install the server package (postgresql${major !== undefined ? `-${major}` : ''}) or pass its bin folder.`,
  );
}

/**
 * As root the server runs as another user, who must be able to walk down to the scratch folder:
 * the process's temp folder may sit inside a private one (an editor's own TMPDIR), so the first
 * candidate whose every ancestor others may enter is used.
 */
async function reachableTempDir(): Promise<string> {
  for (const candidate of [os.tmpdir(), '/tmp', '/var/tmp']) {
    let ok = true;
    for (let dir = path.resolve(candidate); ; dir = path.dirname(dir)) {
      const mode = (await fs.stat(dir).catch(() => undefined))?.mode;
      if (mode === undefined || (mode & 0o001) === 0) {
        ok = false;
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
    if (ok) return candidate;
  }
  throw new PgbrError('io', 'no temporary folder the postgres user can reach was found (TMPDIR, /tmp, /var/tmp): make /tmp world-searchable or run the drill as a normal user.');
}

async function runuserPath(): Promise<string> {
  for (const p of ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser']) {
    if (existsSync(p)) return p;
  }
  throw new PgbrError('tool-missing', 'running as root, and runuser was not found: PostgreSQL refuses to run as root, so the drill needs runuser (util-linux) to start it as another user, or run it as a normal user.');
}

/** argv that runs `program` as `user` when we are root (PostgreSQL will not run as root), as ourselves otherwise. */
function asUser(runuser: string | undefined, user: string | undefined, program: string, args: string[]): { file: string; args: string[] } {
  return runuser && user ? { file: runuser, args: ['-u', user, '--', program, ...args] } : { file: program, args };
}

/** No PG* variable of ours may redirect the scratch server, and its messages must be in English for the log to be read. */
function serverEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { LC_ALL: 'C', LANG: 'C' };
  for (const key of Object.keys(process.env)) if (key.startsWith('PG')) env[key] = undefined;
  return env;
}

const HBA = `# Recovery drill: a private socket in a folder only the server's user can enter.
local all all trust
`;

interface LogState {
  stopLine?: string;
  redoDone?: string;
  lastTransaction?: string;
  newTimeline?: number;
  lastRestored?: string;
  endedEarly?: string;
  fatal?: string;
  paused: boolean;
  ready: boolean;
  readOnlyReady: boolean;
}

function readLogLine(line: string, s: LogState): void {
  let m: RegExpExecArray | null;
  if (/recovery stopping (before|after|at) /.test(line)) s.stopLine = line.replace(/^.*?LOG:\s*/, '');
  else if (/recovery ended before configured recovery target was reached/.test(line)) s.endedEarly = line.replace(/^.*?FATAL:\s*/, '');
  else if (/pausing at the end of recovery|recovery has paused/.test(line)) s.paused = true;
  else if (/database system is ready to accept read-only connections/.test(line)) s.readOnlyReady = true;
  else if (/database system is ready to accept connections/.test(line)) s.ready = true;
  else if ((m = /redo done at ([0-9A-F]+\/[0-9A-F]+)/.exec(line))) s.redoDone = m[1];
  else if ((m = /last completed transaction was at log time (.+)$/.exec(line))) s.lastTransaction = m[1];
  else if ((m = /selected new timeline ID: (\d+)/.exec(line))) s.newTimeline = Number(m[1]);
  else if ((m = /restored log file "([0-9A-F]{24})" from archive/.exec(line))) s.lastRestored = m[1];
  if (/\b(FATAL|PANIC):/.test(line) && !s.fatal) s.fatal = line.replace(/^.*?(FATAL|PANIC):\s*/, '');
}

/** Live scratch servers, stopped if this process exits mid-drill so none is left behind. */
const liveScratch = new Map<string, () => void>();
let exitHookInstalled = false;
function trackScratch(root: string, kill: () => void): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const [dir, stop] of liveScratch) {
        stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
  liveScratch.set(root, kill);
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = text ? Number(text.split('\n')[0]) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
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
  const plan: RecoveryPlan = { ...opts.plan, action };
  const postgres = path.join(opts.binDir, process.platform === 'win32' ? 'postgres.exe' : 'postgres');
  if (!existsSync(postgres)) {
    throw new PgbrError('tool-missing', `${opts.binDir} has no postgres server binary: the drill starts a real server, so install the PostgreSQL server package or pass the bin folder that has it.`);
  }
  const runuser = isRoot() ? await runuserPath() : undefined;

  const root = await fs.mkdtemp(path.join(opts.scratchParent ?? (runuser ? await reachableTempDir() : os.tmpdir()), 'pgbr-drill-'));
  // If this process is killed mid-drill, the reaper kills the scratch server's process group and removes the folder.
  const forgetRoot = removeIfKilled(root);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const logTail: string[] = [];
  const durations = { restoreMs: 0, recoverMs: 0, inspectMs: 0, stopMs: 0, totalMs: 0 };
  let server: Promise<RunResult> | undefined;
  let serverExited = false;
  let port = 0;
  let settings: string[] = [];
  try {
    let user: string | undefined;
    if (runuser) {
      const owner = await ownerForScratch();
      user = owner.user;
      await fs.chown(root, owner.uid, owner.gid);
      if (opts.plan.restore.kind === 'copy') await checkArchiveReadable(runuser, user, opts.plan.restore.archiveDir);
    }
    await fs.chmod(root, 0o700);

    progress('restore', `restoring ${opts.baseBackupDir} into a scratch folder`);
    const t0 = performance.now();
    const applied = await applyRecovery({ baseBackupDir: opts.baseBackupDir, format: opts.format, dataDir, plan, signal: opts.signal, logger });
    durations.restoreMs = Math.round(performance.now() - t0);
    settings = applied.preview.settings;
    await checkServerVersion(postgres, dataDir);

    port = await freePort();
    await prepareScratchConfig(dataDir, root, port, applied.preview.owner);

    progress('start', `starting a scratch server on a private socket (port ${port})`);
    const state: LogState = { paused: false, ready: false, readOnlyReady: false };
    const log = await fs.open(logFile, 'a');
    let wake: (() => void) | undefined;
    const onLine = (line: string) => {
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      void log.write(`${line}\n`).catch(() => {});
      readLogLine(line, state);
      wake?.();
    };
    const t1 = performance.now();
    const cmd = asUser(runuser, user, postgres, ['-D', dataDir]);
    server = runTool({ ...cmd, env: serverEnv(), cwd: root, onStderrLine: onLine, onStdoutLine: onLine, logger, label: 'postgres (recovery drill)' });
    void server.then(() => {
      serverExited = true;
      wake?.();
    });
    trackScratch(root, () => {
      const pid = postmasterPidSync(dataDir);
      if (pid) signalPid(pid, 'SIGQUIT');
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
      await inspect(report, { socketDir: root, port, owner: applied.preview.owner?.user, superuser: opts.superuser, countTables: opts.countTables ?? true, promoted: action === 'promote' || plan.target.kind === 'latest' });
      if (report.promoted && state.newTimeline !== undefined) report.promoted.timeline ??= state.newTimeline;
      durations.inspectMs = Math.round(performance.now() - t2);
      report.status = 'reached';
      report.message = reachedMessage(report, state.stopLine, opts.when);
    }
    await log.close().catch(() => {});
    return report;
  } finally {
    const t3 = performance.now();
    if (server) {
      progress('stop', 'stopping the scratch server');
      await stopScratch(dataDir, server, () => serverExited);
    }
    liveScratch.delete(root);
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

/** For the exit hook, which cannot wait. */
function postmasterPidSync(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function checkArchiveReadable(runuser: string, user: string, archiveDir: string): Promise<void> {
  const r = await runTool({ file: runuser, args: ['-u', user, '--', 'test', '-r', archiveDir, '-a', '-x', archiveDir] });
  if (r.status !== 'succeeded') {
    throw new PgbrError(
      'io',
      `the ${user} user cannot read the archive folder ${archiveDir}: the scratch server runs as ${user} (PostgreSQL refuses to run as root) and fetches WAL through restore_command. Let it read the folder and its parents, or run the drill as a user that can.`,
    );
  }
}

async function checkServerVersion(postgres: string, dataDir: string): Promise<void> {
  const dataVersion = (await fs.readFile(path.join(dataDir, 'PG_VERSION'), 'utf8').catch(() => '')).trim();
  const r = await runTool({ file: postgres, args: ['--version'], collectStdout: true });
  const bin = r.status === 'succeeded' ? parseToolVersion(r.stdout) : undefined;
  if (dataVersion && bin && String(bin.major) !== dataVersion) {
    throw new PgbrError(
      'tool-version',
      `the base backup is PostgreSQL ${dataVersion} but ${postgres} is PostgreSQL ${bin.version}: a server only recovers its own major version. Install postgresql-${dataVersion} or point the drill at its bin folder.`,
    );
  }
}

/** The scratch server's own settings, after the recovery ones: socket only, no archiving, no commands that could touch the archive. */
async function prepareScratchConfig(dataDir: string, socketDir: string, port: number, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const file = (name: string) => path.join(dataDir, name);
  // A backup of a server whose configuration lives elsewhere (Debian's /etc/postgresql) has none of these files.
  if (!existsSync(file('postgresql.conf'))) await fs.writeFile(file('postgresql.conf'), '', { mode: 0o600 });
  if (!existsSync(file('pg_ident.conf'))) await fs.writeFile(file('pg_ident.conf'), '', { mode: 0o600 });
  // The drill connects as superuser over its own socket; the original pg_hba.conf may demand passwords it does not have.
  await fs.writeFile(file('pg_hba.conf'), HBA, { mode: 0o600 });
  const settings: Record<string, string> = {
    port: String(port),
    listen_addresses: "''",
    unix_socket_directories: confString(socketDir),
    hba_file: confString(file('pg_hba.conf')),
    ident_file: confString(file('pg_ident.conf')),
    archive_mode: 'off',
    archive_cleanup_command: "''",
    recovery_end_command: "''",
    hot_standby: 'on',
    ssl: 'off',
    // A scratch copy is thrown away: durability buys nothing and costs seconds.
    fsync: 'off',
    synchronous_commit: 'off',
    shared_buffers: "'16MB'",
    logging_collector: 'off',
    log_destination: "'stderr'",
    log_min_messages: "'warning'",
    lc_messages: "'C'",
    cluster_name: "'pgbr-drill'",
  };
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  await fs.appendFile(file('postgresql.auto.conf'), `# Scratch server settings for a recovery drill\n${lines.join('\n')}\n`);
  if (owner) {
    for (const name of ['postgresql.conf', 'pg_ident.conf', 'pg_hba.conf', 'postgresql.auto.conf']) await fs.chown(file(name), owner.uid, owner.gid);
  }
}

async function stopScratch(dataDir: string, server: Promise<RunResult>, exited: () => boolean): Promise<void> {
  if (exited()) return;
  // A drill cancelled right after the start can get here before the postmaster has written its pid file.
  let pid = await postmasterPid(dataDir);
  for (let i = 0; pid === undefined && !exited() && i < 200; i++) {
    await new Promise((r) => setTimeout(r, 50));
    pid = await postmasterPid(dataDir);
  }
  if (exited()) return;
  // Immediate shutdown: the copy is deleted next, so a clean checkpoint would be wasted time.
  if (pid) signalPid(pid, 'SIGQUIT');
  const done = await Promise.race([server.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 15_000).unref())]);
  if (!done && pid) {
    signalPid(pid, 'SIGKILL');
    await server;
  }
}

interface InspectOptions {
  socketDir: string;
  port: number;
  owner?: string;
  superuser?: string;
  countTables: boolean;
  promoted: boolean;
}

async function inspect(report: DrillReport, o: InspectOptions): Promise<void> {
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
  if (!o.countTables) return;

  const databases = await withClient(params(user, 'postgres'), {}, async (c) =>
    (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1')).rows.map((r) => r.datname),
  );
  for (const name of databases) {
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
}
