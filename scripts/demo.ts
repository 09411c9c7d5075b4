// `npm run demo`: a live PostgreSQL with WAL archiving and steady writes, and VS Code opened on it with the extension.
// Ctrl-C stops the server, the editor server and the writes, and removes every temporary folder. Everything
// is also on record with the reaper (src/core/platform/reaper.ts): if the demo is killed, or tsx ends it before the
// clean-up is done, a detached watcher stops the server and code-server and removes the folders.
//   PGBR_DEMO_PORT   port for code-server (default: a free one); ignored when a desktop `code` is used
//   PGBR_DEMO_WEB=1  use code-server even when `code` is on PATH
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import pg from 'pg';
import { createSampleDatabase, startCluster, type Cluster } from '../test/integration/cluster';
import { guardProcessGroup, removeIfKilled } from '../src/core/platform/reaper';
import {
  REPO_ROOT,
  TEST_SETTINGS,
  ensureCodeServer,
  freePort,
  linkExtension,
  makeTempDir,
  startCodeServer,
} from '../test/e2e/harness';

const INSERT_EVERY_MS = 1000;
/** With 1 MiB segments a switch a minute archives about 60 MB an hour: WAL keeps flowing, a lunch break does not fill a disk. */
const SWITCH_WAL_EVERY_MS = 60_000;
const WAL_SEGMENT_MB = 1;

const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
let stopping: Promise<void> | undefined;

function log(line: string): void {
  console.log(`[demo] ${line}`);
}

/** Undoes everything in reverse order, once, however many signals arrive. */
function stop(): Promise<void> {
  stopping ??= (async () => {
    for (let step = cleanups.pop(); step; step = cleanups.pop()) {
      await step.run().catch((e: unknown) => log(`could not stop ${step?.name}: ${String(e)}`));
    }
  })();
  return stopping;
}

// The test cluster's own handler stops the server at once on these signals; this one takes down the rest
// (code-server runs in its own process group) and keeps the process alive until the folders are gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    log(`${signal}: stopping`);
    void stop().then(() => {
      log('stopped; temporary folders removed');
      process.exit(0);
    });
  });
}

async function main(): Promise<void> {
  log('starting PostgreSQL with WAL archiving…');
  const cluster = await startCluster({ archive: true, walSegmentSizeMb: WAL_SEGMENT_MB });
  cleanups.push({ name: 'PostgreSQL', run: () => cluster.stop() });
  guardCluster(cluster);
  await createSampleDatabase(cluster);
  // The demo's role can do the whole tour: dumps of every table, base backups, restore points, the Health view's .ready count.
  await cluster.sql(
    `ALTER ROLE ${cluster.appUser} REPLICATION CREATEDB; GRANT pg_read_all_data, pg_monitor TO ${cluster.appUser};` +
      ` GRANT EXECUTE ON FUNCTION pg_catalog.pg_create_restore_point(text) TO ${cluster.appUser};`,
    'shop',
  );
  await cluster.sql('ANALYZE', 'shop'); // row estimates in the tree from the start, not after autovacuum's first pass
  log(`PostgreSQL on 127.0.0.1:${cluster.port}, archive in ${cluster.archiveDir}`);

  const writer = await startWriter(cluster);
  cleanups.push({ name: 'writer', run: () => writer.stop() });

  const workspace = await makeTempDir('pgbr-demo-ws-');
  removeIfKilled(workspace);
  cleanups.push({ name: 'workspace', run: () => fs.rm(workspace, { recursive: true, force: true }) });
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `# Written by npm run demo: a throwaway server that lives as long as the demo.\nconnections:\n` +
      `  - name: demo\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${cluster.appUser}\n    database: shop\n`,
  );
  // The password stays outside the workspace, in a 0600 pgpass file the extension finds through PGPASSFILE.
  const secrets = await makeTempDir('pgbr-demo-pass-');
  removeIfKilled(secrets);
  cleanups.push({ name: 'pgpass folder', run: () => fs.rm(secrets, { recursive: true, force: true }) });
  const pgpass = path.join(secrets, 'pgpass');
  await fs.writeFile(pgpass, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword.replace(/[\\:]/g, '\\$&')}\n`, {
    mode: 0o600,
  });

  const code = process.env.PGBR_DEMO_WEB === '1' ? undefined : await onPath('code');
  if (code) {
    // The desktop editor keeps its window after we exit; the profile just stops answering.
    spawn(code, ['--new-window', `--extensionDevelopmentPath=${REPO_ROOT}`, workspace], {
      env: { ...process.env, PGPASSFILE: pgpass },
      stdio: 'ignore',
      detached: true,
    }).unref();
    log(`opened VS Code on ${workspace} with the extension from ${REPO_ROOT}`);
  } else {
    const install = await ensureCodeServer();
    const work = await makeTempDir('pgbr-demo-cs-');
    removeIfKilled(work);
    cleanups.push({ name: 'code-server folder', run: () => fs.rm(work, { recursive: true, force: true }) });
    // Installed the way a user would have it: no smoke-test driver, so notifications show as usual.
    await linkExtension(path.join(work, 'extensions'), REPO_ROOT);
    const port = process.env.PGBR_DEMO_PORT ? Number(process.env.PGBR_DEMO_PORT) : await freePort();
    const server = await startCodeServer({
      install,
      folder: workspace,
      work,
      port,
      smokeTestDriver: false,
      settings: TEST_SETTINGS,
      env: { PGPASSFILE: pgpass },
    });
    cleanups.push({ name: 'code-server', run: () => server.stop() });
    if (server.proc.pid !== undefined) guardProcessGroup(server.proc.pid);
    console.log(`\nOpen http://${server.authority}/?folder=${encodeURIComponent(workspace)}\n`);
  }
  log(
    `profile "demo" connects as ${cluster.appUser}, which may dump every table, take base backups (REPLICATION), create restore points and read archiver status (pg_monitor)`,
  );
  log(`inserting an order every ${INSERT_EVERY_MS / 1000} s and switching WAL (${WAL_SEGMENT_MB} MiB segments) every ${SWITCH_WAL_EVERY_MS / 1000} s; Ctrl-C stops everything`);
}

/** The server's process group and folder on record: if the demo dies before it stops them, the watcher does. */
function guardCluster(cluster: Cluster): void {
  removeIfKilled(cluster.root);
  const pid = Number(readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0) guardProcessGroup(pid);
}

interface Writer {
  stop(): Promise<void>;
}

/** Keeps the sample database changing, and forces WAL segment switches so the archive grows. */
async function startWriter(cluster: Cluster): Promise<Writer> {
  const { host, port } = cluster.params();
  const client = new pg.Client({ host, port, user: cluster.superuser, database: 'shop', application_name: 'pgbr-demo-writer' });
  // On Ctrl-C the server may go away before the writer stops; an unhandled 'error' would crash the demo.
  const report = (message: string): void => {
    if (!stopping) log(message);
  };
  client.on('error', (e) => report(`writer: ${e.message}`));
  await client.connect();
  let busy = false;
  let orders = 0;
  const insert = setInterval(() => {
    if (busy) return;
    busy = true;
    client
      .query('INSERT INTO public.orders (customer_id, total) VALUES (1 + floor(random() * 50)::int, round((random() * 500)::numeric, 2))')
      .then(() => orders++)
      .catch((e: unknown) => report(`insert failed: ${String(e)}`))
      .finally(() => (busy = false));
  }, INSERT_EVERY_MS);
  const switchWal = setInterval(() => {
    client
      .query<{ lsn: string }>('SELECT pg_switch_wal()::text AS lsn')
      .then(async (r) => {
        await new Promise((resolve) => setTimeout(resolve, 1000)); // archive_command runs in the background
        const archived = (await fs.readdir(cluster.archiveDir).catch(() => [])).length;
        report(`${orders} orders inserted; switched WAL at ${r.rows[0]?.lsn}; archive holds ${archived} WAL file(s)`);
      })
      .catch((e: unknown) => report(`pg_switch_wal failed: ${String(e)}`));
  }, SWITCH_WAL_EVERY_MS);
  return {
    async stop() {
      clearInterval(insert);
      clearInterval(switchWal);
      await client.end().catch(() => undefined);
    },
  };
}

/** The executable named `name` on PATH, if any. */
async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

main().catch(async (e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  await stop();
  process.exit(1);
});
