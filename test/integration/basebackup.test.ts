// Base backups and restore points against a real cluster: plain and tar backups, verification, refusals with their fix, cancel, and the pgbr commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { listBaseBackups, runBaseBackup, toKnownBaseBackup, type BaseBackupProgress, type BaseBackupRecord } from '../../src/core/physical';
import { PgbrError } from '../../src/core/platform/errors';
import { memoryLogger } from '../../src/core/platform/log';
import { readRestorePoints } from '../../src/core/physical/restorePoints';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';
import { parseLsn } from '../../src/core/wal/names';
import { scanArchive } from '../../src/core/wal/scan';
import { startCluster, type Cluster } from './cluster';

const BACKUP_USER = 'pgbr_backup';
const BACKUP_PASSWORD = 'bb-secret-Pa55';
const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');

let cluster: Cluster;
let tools: ToolInventory;
let work: string;
const logLines: string[] = [];
const logger = memoryLogger(logLines);

const backupConnection = () => ({ params: cluster.params(BACKUP_USER, 'postgres'), password: BACKUP_PASSWORD });

before(async () => {
  cluster = await startCluster();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-bb-'));
  tools = await discoverTools({ env: {}, platform: process.platform, homedir: os.homedir(), candidateDirs: [{ dir: cluster.binDir, via: 'test' }] });
  // A role that may replicate but is not a superuser, as a backup role should be; it logs in with a password.
  await cluster.sql(
    `CREATE ROLE ${BACKUP_USER} LOGIN REPLICATION PASSWORD '${BACKUP_PASSWORD}';
     CREATE TABLE filler AS SELECT g, md5(g::text) || repeat('x', 200) AS pad FROM generate_series(1, 120000) g;`,
  );
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function entries(dir: string): Promise<string[]> {
  return (await fs.readdir(dir).catch(() => [] as string[])).sort();
}

function assertTimesAndRange(r: BaseBackupRecord): void {
  const start = parseLsn(r.startLsn);
  const stop = parseLsn(r.stopLsn);
  assert.ok(start !== undefined && stop !== undefined && start > 0n && stop >= start, `${r.startLsn} – ${r.stopLsn}`);
  assert.equal(r.timeline, 1);
  assert.equal(r.startTimeline, 1);
  assert.match(r.startWal, /^00000001[0-9A-F]{16}$/);
  assert.match(r.stopWal, /^00000001[0-9A-F]{16}$/);
  const startTime = Date.parse(r.startTime);
  const stopTime = Date.parse(r.stopTime);
  assert.ok(Number.isFinite(startTime) && Number.isFinite(stopTime) && stopTime >= startTime - 1000, `${r.startTime} – ${r.stopTime}`);
  assert.ok(Math.abs(Date.now() - stopTime) < 120_000, 'times are now, in UTC');
  // The filler table alone is over 30 MB; gzip shrinks its repeated padding a lot.
  assert.ok(r.sizeBytes > (r.compression === 'none' ? 30 : 1) * 1024 * 1024, `size ${r.sizeBytes}`);
  assert.equal(r.manifestChecksum, 'valid');
  assert.match(r.systemIdentifier ?? '', /^\d+$/);
}

test('a plain base backup is verified by pg_verifybackup and records its WAL range, timeline, times and size', async () => {
  const folder = path.join(work, 'plain');
  const events: BaseBackupProgress[] = [];
  const result = await runBaseBackup({
    connection: backupConnection(),
    profile: 'local',
    tools,
    folder,
    format: 'plain',
    checkpoint: 'fast',
    label: 'nightly plain',
    onProgress: (p) => events.push(p),
    logger,
  });
  const r = result.record;
  assertTimesAndRange(r);
  assert.equal(r.label, 'nightly plain');
  assert.equal(r.format, 'plain');
  assert.equal(r.compression, 'none');
  assert.equal(r.verification.status, 'passed', r.verification.message);
  assert.equal(r.verification.tool, 'pg_verifybackup');
  assert.equal(r.user, BACKUP_USER);
  assert.equal(r.serverVersion.split('.')[0], String(tools.installs[0]?.major));

  // The backup is a data directory that starts from its own backup_label, with the WAL it needs.
  const label = await fs.readFile(path.join(result.path, 'backup_label'), 'utf8');
  assert.match(label, new RegExp(`START WAL LOCATION: ${r.startLsn.replace('/', '\\/')} \\(file ${r.startWal}\\)`));
  assert.match(label, /LABEL: nightly plain/);
  assert.ok((await entries(path.join(result.path, 'pg_wal'))).includes(r.stopWal), 'the stop segment was streamed in');
  assert.equal(result.recordPath, `${result.path}.basebackup.json`);
  assert.deepEqual(JSON.parse(await fs.readFile(result.recordPath, 'utf8')), r);
  assert.deepEqual(await entries(folder), [path.basename(result.path), path.basename(result.recordPath)].sort());

  const phases = [...new Set(events.map((e) => e.phase))];
  assert.deepEqual(phases, ['connecting', 'checkpoint', 'copying', 'finishing', 'syncing', 'verifying', 'done']);
  assert.equal(events.filter((e) => e.phase === 'copying').at(-1)?.percent, 100);
});

test('a gzip tar base backup keeps base.tar.gz, pg_wal.tar.gz and the manifest, with the label read from inside the tar', async () => {
  const folder = path.join(work, 'tar');
  const result = await runBaseBackup({ connection: backupConnection(), profile: 'local', tools, folder, format: 'tar', compression: 'gzip', checkpoint: 'spread', logger });
  const r = result.record;
  assertTimesAndRange(r);
  assert.equal(r.compression, 'gzip');
  assert.deepEqual(r.files, ['backup_manifest', 'base.tar.gz', 'pg_wal.tar.gz']);
  assert.deepEqual(await entries(result.path), r.files);
  // The default label is the backup's name, so the archive's .backup file points back at it.
  assert.equal(r.label, r.name);
  assert.match(r.name, /^local_base_\d{8}-\d{6}$/);
  assert.ok(r.checkpointLsn, 'the checkpoint comes from backup_label inside base.tar.gz');
  // pg_verifybackup reads tar from 18 on; the manifest's own checksum still was checked.
  const verifyMajor = tools.installs.find((i) => i.tools.pg_verifybackup)?.tools.pg_verifybackup?.major ?? 0;
  assert.equal(r.verification.status, verifyMajor >= 18 ? 'passed' : 'skipped', r.verification.message);
});

test('a role without REPLICATION is refused before anything is written, with the ALTER ROLE to run', async () => {
  const folder = path.join(work, 'refused');
  await assert.rejects(
    runBaseBackup({
      connection: { params: cluster.params(cluster.appUser, 'postgres'), password: cluster.appPassword },
      profile: 'app',
      tools,
      folder,
      format: 'plain',
      checkpoint: 'fast',
    }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'auth' && e.message.includes(`ALTER ROLE ${cluster.appUser} REPLICATION;`),
  );
  assert.deepEqual(await entries(folder), []);
});

test('cancelling on the first progress report leaves neither a backup nor a .partial folder', async () => {
  const folder = path.join(work, 'cancelled');
  const controller = new AbortController();
  const started = Date.now();
  await assert.rejects(
    runBaseBackup({
      connection: backupConnection(),
      profile: 'local',
      tools,
      folder,
      format: 'plain',
      checkpoint: 'fast',
      // Slow enough that the copy is still running when the first report comes.
      maxRate: '4M',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'copying' && p.doneBytes > 0) controller.abort();
      },
    }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'cancelled' && /nothing was kept/.test(e.message),
  );
  assert.ok(Date.now() - started < 15_000, 'the cancel did not wait for the copy');
  assert.deepEqual(await entries(folder), []);
  // The temporary replication slot and WAL senders are released, so the next backup can run at once.
  let senders = '';
  for (let i = 0; i < 50 && senders !== '0'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    senders = await cluster.sql(`SELECT count(*) FROM pg_stat_replication`);
  }
  assert.equal(senders, '0', 'the WAL senders of the cancelled backup ended');
  assert.equal((await listBaseBackups(folder)).partials.length, 0);
});

test('a server with max_wal_senders = 0 is refused with the setting to change', async () => {
  const small = await startCluster({ archive: false, extraConf: { max_wal_senders: '0' } });
  try {
    const folder = path.join(work, 'no-senders');
    await assert.rejects(
      runBaseBackup({ connection: { params: small.params() }, profile: 'small', tools, folder, format: 'plain', checkpoint: 'fast' }),
      (e: unknown) => e instanceof PgbrError && e.kind === 'config' && /max_wal_senders is 0/.test(e.message) && /ALTER SYSTEM SET max_wal_senders = 10;/.test(e.message),
    );
    assert.deepEqual(await entries(folder), []);
  } finally {
    await small.stop();
  }
});

test('listBaseBackups finds the backups newest first, and the archive window knows them', async () => {
  const catalog = await listBaseBackups(path.join(work, 'plain'));
  assert.equal(catalog.backups.length, 1);
  assert.deepEqual(catalog.partials, []);
  const record = catalog.backups[0]!.record;
  assert.equal(catalog.backups[0]!.missing, false);

  // The archiver copies the stop segment shortly after the backup ends.
  for (let i = 0; i < 100 && !existsSync(path.join(cluster.archiveDir, record.stopWal)); i++) await new Promise((r) => setTimeout(r, 100));
  const scan = await scanArchive(cluster.archiveDir, { knownBaseBackups: [toKnownBaseBackup(record)] });
  assert.ok(scan.window.backups.some((b) => b.label === record.label), JSON.stringify(scan.window));
});

test('no password in any log line of the backups', () => {
  assert.ok(logLines.length > 0);
  for (const line of logLines) assert.ok(!line.includes(BACKUP_PASSWORD), `password leaked: ${line}`);
});

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(workspace: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pgbr, ...args], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      assert.ok(!stdout.includes(BACKUP_PASSWORD) && !stderr.includes(BACKUP_PASSWORD), 'password leaked');
      resolve({ code, stdout, stderr });
    });
  });
}

test('pgbr basebackup --json and pgbr restore-point --json, end to end', { skip: existsSync(pgbr) ? false : 'dist/pgbr.js is not built (node esbuild.mjs)' }, async () => {
  const workspace = path.join(work, 'ws');
  await fs.mkdir(workspace);
  const passfile = path.join(workspace, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${BACKUP_USER}:${BACKUP_PASSWORD}\n`, { mode: 0o600 });
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `connections:\n  - name: backup\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${BACKUP_USER}\n    database: postgres\n    sslmode: disable\nbaseBackupFolder: base-backups\n`,
  );
  const env = { PATH: process.env.PATH, HOME: workspace, PGPASSFILE: passfile };
  const binPath = ['--bin-path', cluster.binDir];

  const backup = await cli(workspace, ['basebackup', '--conn', 'backup', '--format', 'tar', '--compress', 'gzip:1', '--json', ...binPath], env);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  const doc = JSON.parse(backup.stdout) as BaseBackupRecord & { path: string; recordPath: string };
  assert.equal(path.dirname(doc.path), path.join(workspace, 'base-backups'));
  assert.equal(doc.compression, 'gzip:1');
  assert.equal(doc.timeline, 1);
  assert.equal(doc.profile, 'backup');
  assert.equal(backup.stderr, '', 'no progress on stderr in JSON mode');

  // Text mode reports progress on stderr.
  const text = await cli(workspace, ['basebackup', '--conn', 'backup', '--checkpoint', 'fast', ...binPath], env);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stderr, /copying: .*\(100%\)/);
  assert.match(text.stdout, /^Base backup .*\n {2}WAL \d+\/[0-9A-F]+ – \d+\/[0-9A-F]+ on timeline 1/);
  assert.match(text.stdout, /verified by pg_verifybackup/);

  // Plain with compression is a usage error: exit 2, nothing written.
  const usage = await cli(workspace, ['basebackup', '--conn', 'backup', '--compress', 'gzip', '--json', ...binPath], env);
  assert.equal(usage.code, 2);
  assert.match((JSON.parse(usage.stdout) as { error: { message: string } }).error.message, /--format tar/);

  // The backup role may not create restore points until it is granted: exit 2 with the GRANT.
  const denied = await cli(workspace, ['restore-point', '--conn', 'backup', 'before-upgrade', '--json'], env);
  assert.equal(denied.code, 2);
  assert.match(denied.stdout, /as a superuser connected to database \\"postgres\\" \(psql -d postgres\), run GRANT EXECUTE ON FUNCTION pg_catalog\.pg_create_restore_point\(text\) TO pgbr_backup;/);
  await cluster.sql(`GRANT EXECUTE ON FUNCTION pg_catalog.pg_create_restore_point(text) TO ${BACKUP_USER};`);

  const point = await cli(workspace, ['restore-point', '--conn', 'backup', 'before-upgrade', '--json'], env);
  assert.equal(point.code, 0, point.stderr + point.stdout);
  const created = JSON.parse(point.stdout) as { name: string; lsn: string; timeline: number; walFile: string; time: string; file: string };
  assert.equal(created.name, 'before-upgrade');
  assert.equal(created.timeline, 1);
  assert.match(created.walFile, /^00000001[0-9A-F]{16}$/);
  // The insert position: the restore point's record may not have been written out yet.
  const current = await cluster.sql(`SELECT pg_current_wal_insert_lsn()`);
  assert.ok(parseLsn(created.lsn)! <= parseLsn(current)!, `${created.lsn} <= ${current}`);
  assert.ok(parseLsn(created.lsn)! > parseLsn(doc.stopLsn)!, 'after the backup');
  assert.equal(created.file, path.join(workspace, 'base-backups', 'restore-points.json'));
  const recorded = await readRestorePoints(created.file);
  assert.deepEqual(recorded.map((p) => [p.name, p.lsn, p.profile]), [['before-upgrade', created.lsn, 'backup']]);

  // The same name again works on the server, but recovery would stop at the first: say so.
  const again = await cli(workspace, ['restore-point', '--conn', 'backup', 'before-upgrade'], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /warning: a restore point named "before-upgrade" already exists/);

  const tooLong = await cli(workspace, ['restore-point', '--conn', 'backup', 'x'.repeat(64)], env);
  assert.equal(tooLong.code, 2);
  assert.match(tooLong.stderr, /PostgreSQL allows 63/);

  const catalog = await listBaseBackups(path.join(workspace, 'base-backups'));
  assert.equal(catalog.backups.length, 2);
  assert.deepEqual(catalog.backups.map((b) => b.record.format).sort(), ['plain', 'tar']);
  assert.ok(catalog.backups[0]!.record.stopTime >= catalog.backups[1]!.record.stopTime, 'newest first');
});
