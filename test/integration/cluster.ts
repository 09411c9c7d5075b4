// Throwaway PostgreSQL clusters for integration tests, the e2e suite and the demo: initdb on a free port, torn down after.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ConnectionParams } from '../../src/core/profiles/types';
import { freePort, RESERVED_PORT } from '../../src/core/platform/net';
import { shellQuote } from '../../src/core/platform/shell';

export interface ClusterOptions {
  /** WAL archiving into `archiveDir` (default true). */
  archive?: boolean;
  /** Password of the app role; a random one when absent. */
  password?: string;
  /** A fixed port; otherwise a free one is picked (and re-picked if another process takes it first). */
  port?: number;
  /** Further postgresql.conf settings, written after ours so they win. */
  extraConf?: Record<string, string>;
  /** initdb --wal-segsize, in MiB (a power of two from 1 to 1024); PostgreSQL's default (16) when absent. */
  walSegmentSizeMb?: number;
}

export interface Cluster {
  port: number;
  socketDir: string;
  dataDir: string;
  archiveDir: string;
  /** The temporary folder holding everything above and the server log; removed by `stop()`. */
  root: string;
  /** The folder of the PostgreSQL binaries the cluster runs on (same major for pg_dump, pg_basebackup...). */
  binDir: string;
  logFile: string;
  superuser: 'postgres';
  appUser: 'pgbr_app';
  appPassword: string;
  params(user?: string, database?: string): ConnectionParams;
  socketParams(user?: string, database?: string): ConnectionParams;
  sql(query: string, database?: string): Promise<string>;
  /** A fast restart on the same port, for settings that take effect only then (archive_mode, wal_level). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const APP_USER = 'pgbr_app';

/** Who owns the server processes: as root, initdb and postgres refuse to run, so they run as `postgres`. */
const asRoot = process.getuid?.() === 0;

interface LiveCluster {
  binDir: string;
  dataDir: string;
  root: string;
}

/** Clusters not yet stopped, for the exit safety net. */
const live = new Set<LiveCluster>();

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  if (opts.port === RESERVED_PORT) throw new Error(`port ${RESERVED_PORT} is reserved for the machine's own server: pick another`);
  const binDir = findBinDir();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-cluster-'));
  const dataDir = path.join(root, 'data');
  const archiveDir = path.join(root, 'archive');
  const logFile = path.join(root, 'server.log');
  // The socket lives directly in the root: socket paths are limited to about 100 bytes.
  const socketDir = root;
  const entry: LiveCluster = { binDir, dataDir, root };
  live.add(entry);
  installSafetyNet();

  const archive = opts.archive ?? true;
  const appPassword = opts.password ?? randomBytes(12).toString('base64url');
  let port = 0;
  try {
    await fs.mkdir(archiveDir);
    if (asRoot) {
      const owner = await postgresOwner();
      await fs.chown(root, owner.uid, owner.gid);
      await fs.chown(archiveDir, owner.uid, owner.gid);
    }
    await runServerTool(binDir, 'initdb', [
      '-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync', '--no-instructions',
      ...(opts.walSegmentSizeMb !== undefined ? [`--wal-segsize=${opts.walSegmentSizeMb}`] : []),
    ], root);
    await fs.writeFile(path.join(dataDir, 'pg_hba.conf'), HBA);
    const settings: Record<string, string> = {
      listen_addresses: confString('127.0.0.1'),
      unix_socket_directories: confString(socketDir),
      wal_level: 'replica',
      archive_mode: archive ? 'on' : 'off',
      archive_command: confString(archive ? archiveCommand(archiveDir) : ''),
      max_wal_senders: '4',
      fsync: 'off',
      shared_buffers: '32MB',
      ...opts.extraConf,
    };
    await fs.appendFile(path.join(dataDir, 'postgresql.conf'), `\n# Throwaway test cluster\n${confLines(settings)}`);

    // Another process may take the free port between our probe and the server's bind: retry with a new one.
    const attempts = opts.port === undefined ? 5 : 1;
    for (let attempt = 1; ; attempt++) {
      port = opts.port ?? (await freePort());
      await fs.appendFile(path.join(dataDir, 'postgresql.conf'), `port = ${port}\n`);
      try {
        await runServerTool(binDir, 'pg_ctl', ['-w', '-t', '60', '-D', dataDir, '-l', logFile, 'start'], root);
        break;
      } catch (e) {
        const log = await readTail(logFile);
        if (attempt >= attempts || !/could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) throw e;
        await fs.rm(logFile, { force: true });
      }
    }

    const cluster = makeCluster({ port, socketDir, dataDir, archiveDir, root, binDir, logFile, appPassword, entry });
    await cluster.sql(
      `CREATE ROLE ${APP_USER} LOGIN CREATEDB PASSWORD ${sqlLiteral(appPassword)};`,
    );
    return cluster;
  } catch (e) {
    const tail = await readTail(logFile);
    stopNow(entry);
    live.delete(entry);
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(`could not start a test cluster${port ? ` on port ${port}` : ''}: ${message}${tail ? `\n--- server log (tail) ---\n${tail}` : ''}`, {
      cause: e,
    });
  }
}

/** A database with two schemas and a few tables with rows, so trees and dumps have content. */
export async function createSampleDatabase(cluster: Cluster, name = 'shop'): Promise<void> {
  await cluster.sql(`CREATE DATABASE ${sqlIdent(name)} OWNER ${APP_USER};`);
  await cluster.sql(
    `SET ROLE ${APP_USER};
     CREATE SCHEMA sales;
     CREATE TABLE public.customers (id int PRIMARY KEY, name text NOT NULL, email text UNIQUE);
     CREATE TABLE public.orders (
       id serial PRIMARY KEY,
       customer_id int NOT NULL REFERENCES public.customers(id),
       placed_at timestamptz NOT NULL DEFAULT now(),
       total numeric(10,2) NOT NULL
     );
     CREATE TABLE sales.invoices (
       id serial PRIMARY KEY,
       order_id int NOT NULL REFERENCES public.orders(id),
       amount numeric(10,2) NOT NULL,
       paid boolean NOT NULL DEFAULT false
     );
     CREATE VIEW sales.unpaid AS SELECT * FROM sales.invoices WHERE NOT paid;
     INSERT INTO public.customers SELECT g, 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 50) g;
     INSERT INTO public.orders (customer_id, total) SELECT 1 + g % 50, (g * 7 % 1000) / 10.0 FROM generate_series(1, 200) g;
     INSERT INTO sales.invoices (order_id, amount, paid) SELECT id, total, id % 3 = 0 FROM public.orders WHERE id <= 120;`,
    name,
  );
}

interface ClusterParts {
  port: number;
  socketDir: string;
  dataDir: string;
  archiveDir: string;
  root: string;
  binDir: string;
  logFile: string;
  appPassword: string;
  entry: LiveCluster;
}

function makeCluster(parts: ClusterParts): Cluster {
  const { port, socketDir, binDir, entry } = parts;
  let stopping: Promise<void> | undefined;
  const params = (host: string, user: string, database: string): ConnectionParams => ({
    host,
    port,
    user,
    database,
    sslmode: 'disable',
  });
  return {
    ...parts,
    superuser: SUPERUSER,
    appUser: APP_USER,
    params: (user = SUPERUSER, database = 'postgres') => params('127.0.0.1', user, database),
    socketParams: (user = SUPERUSER, database = 'postgres') => params(socketDir, user, database),
    async sql(query, database = 'postgres') {
      // Through stdin rather than -c, so statements like CREATE DATABASE run outside a transaction block.
      const args = ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', SUPERUSER, '-d', database, '-f', '-'];
      const out = await run(path.join(binDir, 'psql'), args, { input: query });
      return out.trim();
    },
    async restart() {
      await runServerTool(binDir, 'pg_ctl', ['-w', '-t', '60', '-D', entry.dataDir, '-l', parts.logFile, '-m', 'fast', 'restart'], entry.root);
    },
    stop() {
      // Several callers (an after hook and a finally) may stop the same cluster: stop it once.
      stopping ??= (async () => {
        try {
          await runServerTool(binDir, 'pg_ctl', ['-w', '-t', '60', '-D', entry.dataDir, '-m', 'fast', 'stop'], entry.root);
        } catch {
          // Not running (start failed half-way) or would not stop: the sync path below escalates.
        }
        stopNow(entry);
        live.delete(entry);
      })();
      return stopping;
    },
  };
}

const HBA = `# Throwaway test cluster: the superuser is trusted locally, the app role must give its password.
# TYPE  DATABASE     USER      ADDRESS        METHOD
local   all          postgres                 trust
local   replication  postgres                 trust
host    all          postgres  127.0.0.1/32   trust
host    replication  postgres  127.0.0.1/32   trust
local   all          all                      scram-sha-256
local   replication  all                      scram-sha-256
host    all          all       127.0.0.1/32   scram-sha-256
host    replication  all       127.0.0.1/32   scram-sha-256
`;

function archiveCommand(archiveDir: string): string {
  const target = `${shellQuote(archiveDir)}/%f`;
  return `test ! -f ${target} && cp %p ${target}`;
}

function confLines(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}\n`)
    .join('');
}

/** A postgresql.conf string value. */
function confString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function sqlIdent(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** The newest installed server binaries, or those named by PGBR_TEST_PG_BIN. */
function findBinDir(): string {
  const fromEnv = process.env.PGBR_TEST_PG_BIN;
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const majors = readdirSync(base)
      .filter((v) => /^\d+$/.test(v) && existsSync(path.join(base, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return path.join(base, majors[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no PostgreSQL server binaries found: install postgresql or set PGBR_TEST_PG_BIN to their folder');
  }
}

async function postgresOwner(): Promise<{ uid: number; gid: number }> {
  const uid = Number(await run('id', ['-u', SUPERUSER]));
  const gid = Number(await run('id', ['-g', SUPERUSER]));
  return { uid, gid };
}


/** The environment for PostgreSQL programs: none of the caller's PG* settings may redirect them. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env.LC_ALL = 'C';
  return env;
}

/** initdb and pg_ctl, as the `postgres` OS user when we are root; cwd must be a folder that user can read. */
function runServerTool(binDir: string, tool: string, args: string[], cwd: string): Promise<string> {
  const program = path.join(binDir, tool);
  return asRoot ? run('runuser', ['-u', SUPERUSER, '--', program, ...args], { cwd }) : run(program, args, { cwd });
}

function run(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${path.basename(cmd)} ${code === null ? `killed by ${signal}` : `exited with ${code}`}: ${stderr.trim() || stdout.trim()}`));
    });
    child.stdin.on('error', () => {}); // a program that exits early closes its stdin; its exit code tells why
    child.stdin.end(opts.input ?? '');
  });
}

async function readTail(file: string, lines = 30): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Stops a server immediately and removes its folder, synchronously: usable from an 'exit' handler. */
function stopNow(entry: LiveCluster): void {
  // SIGQUIT is PostgreSQL's immediate shutdown and returns at once: a runner that kills a slow
  // process (tsx gives about 60 ms after Ctrl-C) still gets to remove the folder.
  try {
    const pid = Number(readFileSync(path.join(entry.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // No pid file, or the server is already gone: nothing left to stop.
  }
  // The server may still write its last log lines while the folder goes: retry what it re-creates.
  try {
    rmSync(entry.root, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  } catch {
    // Nothing more can be done while the process is ending.
  }
}

let safetyNetInstalled = false;

/** A test run that crashes, or is interrupted, must not leave servers running or folders behind. */
function installSafetyNet(): void {
  if (safetyNetInstalled) return;
  safetyNetInstalled = true;
  const cleanup = (): void => {
    for (const entry of live) stopNow(entry);
    live.clear();
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanup();
      // Re-raise so the process still ends the way the signal asked.
      process.kill(process.pid, signal);
    });
  }
}

/** Switches the server to a new WAL segment and waits until the one written before it is archived. */
export async function switchAndWaitArchived(cluster: Pick<Cluster, 'sql'>, attempts = 400): Promise<void> {
  const wal = await cluster.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
  await cluster.sql('SELECT pg_switch_wal()');
  for (let i = 0; i < attempts; i++) {
    if ((await cluster.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) >= wal) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`segment ${wal} was not archived in time`);
}

/** Runs `sql` in one transaction ended by `end` (COMMIT or ROLLBACK) and returns its xid, read from inside it. */
export async function transactionXid(cluster: Pick<Cluster, 'sql'>, sql: string, opts: { database?: string; end?: 'COMMIT' | 'ROLLBACK' } = {}): Promise<string> {
  const out = await cluster.sql(`BEGIN; ${sql}; SELECT pg_current_xact_id(); ${opts.end ?? 'COMMIT'};`, opts.database ?? 'shop');
  const xid = out.trim().split('\n').filter((l) => /^\d+$/.test(l.trim())).at(-1);
  if (xid === undefined) throw new Error(`no xid came back from: ${sql}`);
  return xid.trim();
}
