// The scratch server a drill recovers on: its binaries, a folder the server's user can reach, its config and log, and stopping it (also when this process dies).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgbrError } from '../platform/errors';
import { atExit } from '../platform/reaper';
import { runTool, type RunResult } from '../platform/runner';
import { parseToolVersion } from '../platform/toolVersion';
import { CLEAR_BIN_PATH, namedFolders, type ToolInventory } from '../platform/tools';
import { confString } from './config';

export const LOG_TAIL_LINES = 40;
export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const isRoot = (): boolean => process.getuid?.() === 0;

/** The server binaries to drill with: the install of that major (or the newest) that has `postgres`, since Debian keeps it beside the client tools. */
export async function findServerBinDir(inventory: ToolInventory, major?: number): Promise<string> {
  const installs = [...inventory.installs].filter((i) => major === undefined || i.major === major).sort((a, b) => b.major - a.major);
  for (const i of installs) {
    const exe = path.join(i.binDir, process.platform === 'win32' ? 'postgres.exe' : 'postgres');
    if (existsSync(exe)) return i.binDir;
  }
  const which = `PostgreSQL${major !== undefined ? ` ${major}` : ''} server binaries (postgres)`;
  // A named tools folder was the only place looked in (tools.ts): the setting is what to change.
  if (inventory.namedDirs) {
    throw new PgbrError(
      'tool-missing',
      `no ${which} are beside the client tools in ${namedFolders(inventory.namedDirs)}: point the setting at the bin folder of a full install, with postgres and pg_ctl, ${CLEAR_BIN_PATH}.`,
    );
  }
  throw new PgbrError('tool-missing', `no ${which} were found beside the client tools: install the server package (postgresql${major !== undefined ? `-${major}` : ''}) or pass its bin folder.`);
}

/**
 * As root the server runs as another user, who must be able to walk down to the scratch folder:
 * the process's temp folder may sit inside a private one (an editor's own TMPDIR), so the first
 * candidate whose every ancestor others may enter is used.
 */
export async function reachableTempDir(): Promise<string> {
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

export async function runuserPath(): Promise<string> {
  for (const p of ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser', '/bin/runuser']) {
    if (existsSync(p)) return p;
  }
  throw new PgbrError('tool-missing', 'running as root, and runuser was not found: PostgreSQL refuses to run as root, so the drill needs runuser (util-linux) to start it as another user, or run it as a normal user.');
}

/** argv that runs `program` as `user` when we are root (PostgreSQL will not run as root), as ourselves otherwise. */
export function asUser(runuser: string | undefined, user: string | undefined, program: string, args: string[]): { file: string; args: string[] } {
  return runuser && user ? { file: runuser, args: ['-u', user, '--', program, ...args] } : { file: program, args };
}

/** No PG* variable of ours may redirect the scratch server, and its messages must be in English for the log to be read. */
export function serverEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { LC_ALL: 'C', LANG: 'C' };
  for (const key of Object.keys(process.env)) if (key.startsWith('PG')) env[key] = undefined;
  return env;
}

const HBA = `# Recovery drill: a private socket in a folder only the server's user can enter.
local all all trust
`;

export interface LogState {
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

export function readLogLine(line: string, s: LogState): void {
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

/**
 * Until the returned function is called, the scratch server is stopped if this process exits or is
 * stopped: `pg_ctl stop -m immediate` (as the server's user), and SIGKILL of its postmaster if that
 * fails. The scratch folder itself is removed by its own record (`removeIfKilled`), which runs after.
 */
export function stopIfKilled(dataDir: string, binDir: string, runuser: string | undefined, user: string | undefined): () => void {
  const pgCtl = path.join(binDir, process.platform === 'win32' ? 'pg_ctl.exe' : 'pg_ctl');
  const cmd = asUser(runuser, user, pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10']);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...serverEnv() })) if (value !== undefined) env[key] = value;
  return atExit(() => {
    const stopped = existsSync(pgCtl) && spawnSync(cmd.file, cmd.args, { env, stdio: 'ignore', timeout: 15_000 }).status === 0;
    if (stopped) return;
    const pid = postmasterPidSync(dataDir);
    if (pid) signalPid(pid, 'SIGKILL');
  });
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

/** For the exit hook, which cannot wait. */
function postmasterPidSync(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function checkArchiveReadable(runuser: string, user: string, archiveDir: string): Promise<void> {
  const r = await runTool({ file: runuser, args: ['-u', user, '--', 'test', '-r', archiveDir, '-a', '-x', archiveDir] });
  if (r.status !== 'succeeded') {
    throw new PgbrError(
      'io',
      `the ${user} user cannot read the archive folder ${archiveDir}: the scratch server runs as ${user} (PostgreSQL refuses to run as root) and fetches WAL through restore_command. Let it read the folder and its parents, or run the drill as a user that can.`,
    );
  }
}

export async function checkServerVersion(postgres: string, dataDir: string): Promise<void> {
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
export async function prepareScratchConfig(dataDir: string, socketDir: string, port: number, owner: { uid: number; gid: number } | undefined): Promise<void> {
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

export async function stopScratch(dataDir: string, server: Promise<RunResult>, exited: () => boolean): Promise<void> {
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
