// A globals dump (roles, tablespaces) proven by running it on a scratch cluster made for the purpose: initdb, a private socket, the script, a count.
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveDataDirOwner } from '../pitr/apply';
import { asUser, isRoot, prepareScratchConfig, reachableTempDir, runuserPath, serverEnv, stopIfKilled, stopScratch } from '../pitr/scratchServer';
import { PgbrError, cancelledError, errorMessage } from '../platform/errors';
import { silentLogger, type Logger } from '../platform/log';
import { freePort } from '../platform/net';
import { plural } from '../platform/plural';
import { removeIfKilled } from '../platform/reaper';
import { runTool, type RunResult } from '../platform/runner';
import { withClient } from '../postgres/server';
import type { Decryption } from './encryptedDump';
import { readGlobalsScript } from './globalsScript';
import { checkIntegrity } from './integrity';
import { readManifest, writeManifest, type DumpManifest, type Verification } from './manifest';

/** The scratch cluster's bootstrap superuser: a name no real cluster's roles script creates, so `CREATE ROLE postgres` runs as written. */
export const SCRATCH_SUPERUSER = 'pgbr_scratch_superuser';

export interface GlobalsVerifyOptions {
  path: string;
  /** Folder with `initdb`, `postgres` and `psql` of the dump's major version (or newer). */
  binDir: string;
  signal?: AbortSignal;
  logger?: Logger;
  /** Write the verdict into the dump's manifest (default true). */
  record?: boolean;
  /** Opens an encrypted script (`.sql.age`, `.sql.gpg`). */
  decryption?: Decryption;
}

export interface GlobalsVerifyReport {
  status: 'passed' | 'failed';
  message: string;
  roles: { expected: number; restored: number | null };
  tablespaces: { expected: number; restored: number | null };
  durationMs: number;
}

/** `CREATE TABLESPACE name OWNER role LOCATION '…';` as pg_dumpall writes it, one statement a line. */
const TABLESPACE_LINE = /^(CREATE TABLESPACE .* LOCATION )'(?:[^']|'')*';$/;

/**
 * The script as the scratch cluster runs it: each tablespace's location (a folder of the source
 * machine) replaced by an empty folder of the scratch cluster, which `folderFor` makes.
 */
export function scratchScript(script: string, folderFor: (n: number) => string): { text: string; roles: number; tablespaces: number } {
  let roles = 0;
  let tablespaces = 0;
  const lines = script.split('\n').map((line) => {
    if (/^CREATE ROLE .*;$/.test(line)) roles++;
    const m = TABLESPACE_LINE.exec(line);
    if (!m) return line;
    return `${m[1]}'${folderFor(++tablespaces).replace(/'/g, "''")}';`;
  });
  return { text: lines.join('\n'), roles, tablespaces };
}

/** The first line of a pg_dumpall script's header. */
const CLUSTER_DUMP_HEADER = '-- PostgreSQL database cluster dump';

/** Whether a dump is a roles script (pg_dumpall): its manifest says so, or, without one, its header does. */
export async function isGlobalsDump(dumpPath: string, manifest: DumpManifest | undefined): Promise<boolean> {
  if (manifest) return manifest.kind === 'globals';
  const file = await fs.open(dumpPath, 'r').catch(() => undefined);
  if (!file) return false;
  try {
    const head = Buffer.alloc(256);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('utf8').includes(CLUSTER_DUMP_HEADER);
  } finally {
    await file.close();
  }
}

/** Runs the roles script on a throwaway cluster and counts what came back; the cluster and its folder are always removed. */
export async function verifyGlobals(opts: GlobalsVerifyOptions): Promise<GlobalsVerifyReport> {
  const started = performance.now();
  const logger = opts.logger ?? silentLogger;
  const what = `the verification of ${path.basename(opts.path)}`;
  if (opts.signal?.aborted) throw cancelledError(what);
  for (const tool of ['initdb', 'postgres', 'psql']) {
    if (!existsSync(path.join(opts.binDir, tool))) {
      throw new PgbrError('tool-missing', `${opts.binDir} has no ${tool}: a globals dump is verified on a scratch cluster, so install the PostgreSQL server package or pass the bin folder that has it.`);
    }
  }
  // The bytes first, as for a database dump: a changed script can still run.
  const integrity = await checkIntegrity(opts.path, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  if (integrity.status === 'damaged') {
    return { status: 'failed', message: integrity.message, roles: { expected: 0, restored: null }, tablespaces: { expected: 0, restored: null }, durationMs: Math.round(performance.now() - started) };
  }
  const encryption = integrity.status === 'intact' ? integrity.manifest.encryption : undefined;
  const script = await readGlobalsScript(opts.path, encryption?.scheme, opts.decryption ?? {}, opts);
  const runuser = isRoot() ? await runuserPath() : undefined;
  const root = await fs.mkdtemp(path.join(runuser ? await reachableTempDir() : os.tmpdir(), 'pgbr-globals-'));
  const forgetRoot = removeIfKilled(root);
  const dataDir = path.join(root, 'data');
  let server: Promise<RunResult> | undefined;
  let exited = false;
  let forgetServer: (() => void) | undefined;
  const logTail: string[] = [];
  try {
    const owner = runuser ? await resolveDataDirOwner(dataDir) : undefined;
    if (runuser && !owner) throw new PgbrError('io', 'could not choose a user to run the scratch cluster as.');
    await fs.chmod(root, 0o700);
    if (owner) await fs.chown(root, owner.uid, owner.gid);
    const as = (program: string, args: string[]) => asUser(runuser, owner?.user, path.join(opts.binDir, program), args);
    const run = async (spec: { file: string; args: string[] }, label: string): Promise<void> => {
      const r = await runTool({ ...spec, env: serverEnv(), cwd: root, label, logger, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (r.status === 'cancelled') throw cancelledError(what);
      if (r.status === 'failed') throw new PgbrError('tool-failed', `${label} failed on the scratch cluster: ${r.stderrTail.slice(-3).join(' ') || r.message}`);
    };

    await run(as('initdb', ['-D', dataDir, '-U', SCRATCH_SUPERUSER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C']), 'initdb (globals verification)');
    const port = await freePort();
    await prepareScratchConfig(dataDir, root, port, owner);
    const scratch = scratchScript(script, (n) => path.join(root, 'tablespaces', String(n)));
    for (let n = 1; n <= scratch.tablespaces; n++) {
      const dir = path.join(root, 'tablespaces', String(n));
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      if (owner) {
        await fs.chown(path.dirname(dir), owner.uid, owner.gid);
        await fs.chown(dir, owner.uid, owner.gid);
      }
    }
    const scriptFile = path.join(root, 'globals.sql');
    await fs.writeFile(scriptFile, scratch.text, { mode: 0o600 });

    const onLine = (line: string) => {
      logTail.push(line);
      if (logTail.length > 20) logTail.shift();
    };
    server = runTool({ ...as('postgres', ['-D', dataDir]), env: serverEnv(), cwd: root, onStderrLine: onLine, onStdoutLine: onLine, logger, label: 'postgres (globals verification)' });
    forgetServer = stopIfKilled(dataDir, opts.binDir, runuser, owner?.user);
    void server.then(() => (exited = true));
    const params = { host: root, port, user: SCRATCH_SUPERUSER, database: 'postgres', sslmode: 'disable' as const };
    await waitForServer(() => withClient(params, { connectTimeoutMs: 2000 }, async () => undefined), () => exited, opts.signal, what, logTail);

    // psql runs as this process (it reads the script); the server's socket trusts local connections.
    const psql = await runTool({
      file: path.join(opts.binDir, 'psql'),
      args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', root, '-p', String(port), '-U', SCRATCH_SUPERUSER, '-d', 'postgres', '-f', scriptFile],
      env: serverEnv(),
      label: 'psql (globals verification)',
      logger,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (psql.status === 'cancelled') throw cancelledError(what);
    const counted = await withClient(params, {}, async (c) => {
      const r = await c.query<{ roles: string; tablespaces: string }>(
        `SELECT (SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_' AND rolname <> $1) AS roles,
                (SELECT count(*) FROM pg_catalog.pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')) AS tablespaces`,
        [SCRATCH_SUPERUSER],
      );
      return { roles: Number(r.rows[0]?.roles ?? 0), tablespaces: Number(r.rows[0]?.tablespaces ?? 0) };
    });
    const report: GlobalsVerifyReport = {
      status: 'failed',
      message: '',
      roles: { expected: scratch.roles, restored: counted.roles },
      tablespaces: { expected: scratch.tablespaces, restored: counted.tablespaces },
      durationMs: 0,
    };
    const contents = `${plural(scratch.roles, 'role')} and ${plural(scratch.tablespaces, 'tablespace')}`;
    if (psql.status === 'failed') {
      const line = psql.stderrTail.find((l) => /ERROR:/.test(l)) ?? psql.stderrTail.at(-1) ?? psql.message;
      // psql names the scratch copy of the script; its line numbers are the dump's own.
      const at = /^psql:.*?:(\d+): (?:ERROR:\s+)?(.*)$/.exec(line);
      const error = at ? `line ${at[1]}: ${at[2]}` : line;
      report.message = `the roles script does not run cleanly on a scratch cluster (${error}): take a new globals dump, or fix the script at that line.`;
    } else if (counted.roles !== scratch.roles || counted.tablespaces !== scratch.tablespaces) {
      report.message = `the roles script ran, but ${plural(counted.roles, 'role')} and ${plural(counted.tablespaces, 'tablespace')} came back where it creates ${contents}.`;
    } else {
      report.status = 'passed';
      report.message = `runs cleanly on a scratch cluster: ${contents} came back${scratch.tablespaces ? ' (tablespaces in scratch folders)' : ''}.`;
    }
    report.durationMs = Math.round(performance.now() - started);
    if (opts.record !== false) await recordVerdict(opts.path, report);
    return report;
  } finally {
    if (server) await stopScratch(dataDir, server, () => exited);
    forgetServer?.();
    await fs.rm(root, { recursive: true, force: true });
    forgetRoot();
  }
}

/** Polls until the scratch server accepts a connection; its exit, a cancel or a minute without it ends the wait. */
export async function waitForServer(probe: () => Promise<unknown>, exited: () => boolean, signal: AbortSignal | undefined, what: string, logTail: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (signal?.aborted) throw cancelledError(what);
    if (exited()) throw new PgbrError('tool-failed', `the scratch cluster for ${what} stopped at its start: ${logTail.slice(-2).join(' ')}`);
    try {
      await probe();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new PgbrError('tool-failed', `the scratch cluster for ${what} did not accept connections within 60 s (${errorMessage(e)}).`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function recordVerdict(dumpPath: string, report: GlobalsVerifyReport): Promise<void> {
  const manifest = await readManifest(dumpPath).catch(() => undefined);
  if (!manifest) return;
  const verification: Verification = {
    status: report.status,
    at: new Date().toISOString(),
    durationMs: report.durationMs,
    target: 'a scratch cluster',
    tables: [],
    ...(report.status === 'failed' ? { message: report.message } : {}),
  };
  await writeManifest(dumpPath, { ...manifest, verification });
}
