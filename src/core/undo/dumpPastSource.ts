// The table as it was, from a dump: a throwaway cluster in a private folder, only that table's definition
// and rows restored into it with pg_restore, read while it runs, and the cluster and folder removed after,
// whatever happens (a SIGKILL of this process included: the reaper stops the server and removes the folder).
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CatalogEntry, Decryption } from '../logical';
import { runRestore } from '../logical';
import { waitForServer } from '../logical/verifyGlobals';
import { resolveDataDirOwner } from '../pitr/apply';
import { asUser, isRoot, prepareScratchConfig, reachableTempDir, runuserPath, serverEnv, stopIfKilled, stopScratch } from '../pitr/scratchServer';
import { cancelledError, PgbrError } from '../platform/errors';
import { silentLogger, type Logger } from '../platform/log';
import { freePort } from '../platform/net';
import { removeIfKilled } from '../platform/reaper';
import { runTool, type RunResult } from '../platform/runner';
import type { ToolInventory } from '../platform/tools';
import { formatStamp } from '../platform/when';
import type { QualifiedName } from '../postgres/names';
import { withClient } from '../postgres/server';
import type { PastServer, PastSource } from './pastServer';

/** The scratch cluster's superuser: initdb makes it, the socket trusts it, nothing else can reach the socket. */
export const PAST_SUPERUSER = 'pgbr_past';

export interface DumpPastSourceOptions {
  /** The dump, as the catalog lists it (`newestDumpWithTable` picks one). */
  dump: Pick<CatalogEntry, 'path' | 'name' | 'time' | 'manifest'>;
  table: QualifiedName;
  /** Server binaries (initdb, postgres, pg_ctl) of the dump's major version or newer. */
  binDir: string;
  /** Where pg_restore is found. */
  inventory: ToolInventory;
  /** The database's name on the scratch cluster; default the dump's own. */
  database?: string;
  decryption?: Decryption;
  /** The folder the private one is made in (default the system temp folder); short enough for a socket path. */
  scratchParent?: string;
  /** The zone the `source` text gives the dump's time in (default the machine's). */
  timeZone?: string;
  logger?: Logger;
  signal?: AbortSignal;
}

/** A `PastSource` that restores one table from a dump onto a scratch cluster for each read. */
export function dumpPastSource(opts: DumpPastSourceOptions): PastSource {
  return async <T>(read: (server: PastServer) => Promise<T>): Promise<T> => {
    const what = `the scratch cluster for ${opts.table.schema}.${opts.table.name} from ${opts.dump.name}`;
    const logger = opts.logger ?? silentLogger;
    if (opts.signal?.aborted) throw cancelledError(what);
    for (const tool of ['initdb', 'postgres', 'pg_ctl']) {
      if (!existsSync(path.join(opts.binDir, tool))) {
        throw new PgbrError('tool-missing', `${opts.binDir} has no ${tool}: the table is restored from the dump onto a scratch cluster, so install the PostgreSQL server package or pass the bin folder that has it.`);
      }
    }
    const runuser = isRoot() ? await runuserPath() : undefined;
    const root = await fs.mkdtemp(path.join(opts.scratchParent ?? (runuser ? await reachableTempDir() : os.tmpdir()), 'pgbr-past-'));
    const forgetRoot = removeIfKilled(root);
    const dataDir = path.join(root, 'data');
    let server: Promise<RunResult> | undefined;
    let exited = false;
    let forgetServer: (() => void) | undefined;
    const logTail: string[] = [];
    try {
      await fs.chmod(root, 0o700);
      const owner = runuser ? await resolveDataDirOwner(dataDir) : undefined;
      if (runuser && !owner) throw new PgbrError('io', 'could not choose a user to run the scratch cluster as: PostgreSQL refuses to run as root, so create the postgres user.');
      if (owner) await fs.chown(root, owner.uid, owner.gid);
      const as = (program: string, args: string[]) => asUser(runuser, owner?.user, path.join(opts.binDir, program), args);

      const init = await runTool({ ...as('initdb', ['-D', dataDir, '-U', PAST_SUPERUSER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C']), env: serverEnv(), cwd: root, label: 'initdb (table from a dump)', logger, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (init.status === 'cancelled') throw cancelledError(what);
      if (init.status === 'failed') throw new PgbrError('tool-failed', `initdb could not make ${what}: ${init.stderrTail.slice(-3).join(' ') || init.message}`);
      const port = await freePort();
      await prepareScratchConfig(dataDir, root, port, owner);

      const onLine = (line: string) => {
        logTail.push(line);
        if (logTail.length > 20) logTail.shift();
      };
      server = runTool({ ...as('postgres', ['-D', dataDir]), env: serverEnv(), cwd: root, onStderrLine: onLine, onStdoutLine: onLine, logger, label: 'postgres (table from a dump)' });
      forgetServer = stopIfKilled(dataDir, opts.binDir, runuser, owner?.user);
      void server.then(() => (exited = true));
      const connection = { host: root, port, user: PAST_SUPERUSER, database: 'postgres', sslmode: 'disable' as const };
      await waitForServer(() => withClient(connection, { connectTimeoutMs: 2000 }, async () => undefined), () => exited, opts.signal, what, logTail);

      const database = opts.database ?? opts.dump.manifest?.database ?? 'past';
      // Only the table: its definition, rows, indexes and constraints; no owners or grants (the roles are not there).
      const restored = await runRestore({
        dumpPath: opts.dump.path,
        connection,
        database,
        create: true,
        tables: [opts.table],
        noOwner: true,
        noPrivileges: true,
        exitOnError: true,
        inventory: opts.inventory,
        logger,
        ...(opts.decryption ? { decryption: opts.decryption } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (restored.status === 'cancelled') throw cancelledError(what);
      if (restored.status !== 'succeeded') {
        throw new PgbrError('tool-failed', `${opts.table.schema}.${opts.table.name} could not be restored from ${opts.dump.name} onto a scratch cluster: ${restored.message}`);
      }
      const takenAt = opts.dump.manifest?.startedAt ? new Date(opts.dump.manifest.startedAt) : opts.dump.time;
      const source = `dump ${opts.dump.name} of ${formatStamp(takenAt, opts.timeZone ? { timeZone: opts.timeZone } : {})}`;
      return await read({ socketDir: root, port, user: PAST_SUPERUSER, database, source });
    } finally {
      if (server) await stopScratch(dataDir, server, () => exited);
      forgetServer?.();
      await fs.rm(root, { recursive: true, force: true });
      forgetRoot();
    }
  };
}
