// SIGKILL at a moment in the middle of the work, of `pgbr` itself and of the tool it runs: nothing it
// started keeps running, nothing it wrote for a while stays (no .partial, no run folder, no passfile),
// and what only a person may remove (a scratch database on the server) is reported and droppable.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from './cluster';
import { childrenWith, processGone, processesWith } from './processes';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
/** A run that hangs (a pipe an orphan holds open) fails the test instead of stalling the suite. */
const LIMIT = 180_000;
const USER = 'pgbr_killtest';
const PASSWORD = 'kill-test-secret-4711';
let cluster: Cluster;
let work: string;
let tmp: string;
let env: NodeJS.ProcessEnv;

before(async () => {
  cluster = await startCluster();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-kill-'));
  // pgbr's temp folder is the test's own, so every run folder and passfile it makes can be seen.
  tmp = path.join(work, 'tmp');
  await fs.mkdir(tmp, { mode: 0o777 });
  await fs.chmod(tmp, 0o1777);
  await cluster.sql(`CREATE ROLE ${USER} LOGIN REPLICATION CREATEDB PASSWORD '${PASSWORD}'; GRANT pg_read_all_data TO ${USER};`);
  await cluster.sql('CREATE DATABASE big');
  // About 150 MB of poorly compressible rows: pg_dump with gzip takes a few seconds on it.
  await cluster.sql(`CREATE TABLE public.rows AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) AS pad FROM generate_series(1, 1000000) g`, 'big');
  const passfile = path.join(work, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${USER}:${PASSWORD}\n`, { mode: 0o600 });
  await fs.writeFile(
    path.join(work, 'pgbackup.yaml'),
    `connections:\n  - name: k\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${USER}\n    database: postgres\n    sslmode: disable\ndumpFolders: [dumps]\nbaseBackupFolder: base\n`,
  );
  env = { PATH: process.env.PATH, HOME: work, PGPASSFILE: passfile, TMPDIR: tmp };
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function start(args: string[]): Run {
  const withTools = ['dump', 'basebackup', 'verify', 'restore'].includes(args[0] as string);
  const child = spawn(process.execPath, [pgbr, ...args, ...(withTools ? ['--bin-path', cluster.binDir] : [])], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => {
      assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD), 'password leaked');
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

/** The pid of pgbr's pg_dump once its .partial in `folder` holds bytes. */
async function pgDumpWriting(pgbrPid: number, folder: string): Promise<number | undefined> {
  const child = childrenWith(pgbrPid, 'pg_dump')[0];
  if (!child) return undefined;
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  const partial = names.find((n) => n.endsWith('.partial'));
  const size = partial ? (await fs.stat(path.join(folder, partial)).catch(() => undefined))?.size : undefined;
  return size ? Number(child.split(' ')[0]) : undefined;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every file under the test's temp folder: run folders, passfiles, whatever a run kept. */
async function tempLeftovers(): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await fs.readdir(tmp, { recursive: true })).map(String).sort();
    } catch (e) {
      // A run folder the watcher removes while it is being listed vanishes mid-walk: list again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 50) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** A base backup followed by WAL to replay (a new table `name`), so a drill's scratch server runs for a while. */
async function drillSource(folder: string, table: string): Promise<string> {
  const taken = start(['basebackup', '--conn', 'k', '--out', path.join(work, folder), '--json']);
  const backup = await taken.done;
  assert.equal(backup.code, 0, backup.stderr);
  await cluster.sql(`CREATE TABLE public.${table} AS SELECT g, md5(g::text) AS t FROM generate_series(1, 600000) g; SELECT pg_switch_wal();`, 'big');
  return (JSON.parse(backup.stdout) as { path: string }).path;
}

/** A random moment within the first `ms` milliseconds after the work was seen running. */
const randomPause = (ms: number) => new Promise((r) => setTimeout(r, Math.floor(Math.random() * ms)));

async function assertNothingLeft(folder: string, toolNeedle: string): Promise<void> {
  await waitFor(`${toolNeedle} to be gone`, () => processesWith(toolNeedle).length === 0, 15_000).catch(() => {
    assert.deepEqual(processesWith(toolNeedle), [], 'a tool outlived pgbr');
  });
  await waitFor('the temp folder to be empty', async () => (await tempLeftovers()).length === 0, 15_000).catch(async () => {
    assert.deepEqual(await tempLeftovers(), [], 'run folder or passfile left behind');
  });
  const names = await fs.readdir(folder).catch(() => [] as string[]);
  assert.deepEqual(names.filter((n) => n.endsWith('.partial')), [], 'an unfinished backup was left');
  for (const n of names.filter((x) => !x.endsWith('.manifest.json') && !x.endsWith('.basebackup.json'))) {
    const proof = names.includes(`${n}.manifest.json`) || names.includes(`${n}.basebackup.json`);
    assert.ok(proof, `${n} has a final name but no manifest`);
  }
}

test('SIGKILL of pgbr during pg_dump: pg_dump dies with it, the .partial and the passfile go', { timeout: LIMIT }, async () => {
  const folder = path.join(work, 'dumps');
  const run = start(['dump', '--conn', 'k', '--db', 'big', '--out', folder]);
  // pg_dump writes a custom archive to pgbr through a pipe: it is pgbr's child, and the .partial grows.
  const dumper = await waitFor('pg_dump to write', () => pgDumpWriting(run.child.pid!, folder));
  assert.ok((await tempLeftovers()).some((f) => /pass-.*pgpass$/.test(f)), 'the passfile lives in the run folder while pg_dump runs');
  await randomPause(800);
  run.child.kill('SIGKILL');
  const r = await run.done;
  assert.equal(r.signal, 'SIGKILL');
  await waitFor('pg_dump to die with pgbr', () => processGone(dumper), 15_000);
  await assertNothingLeft(folder, `${folder}/`);
});

test('SIGKILL of pg_dump itself: pgbr reports the failure, exits 1 and keeps nothing', { timeout: LIMIT }, async () => {
  const folder = path.join(work, 'dumps-child');
  const run = start(['dump', '--conn', 'k', '--db', 'big', '--out', folder]);
  const dumper = await waitFor('pg_dump to write', () => pgDumpWriting(run.child.pid!, folder));
  await randomPause(500);
  process.kill(dumper, 'SIGKILL');
  const r = await run.done;
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /pg_dump/);
  await assertNothingLeft(folder, `${folder}/`);
});

test('SIGKILL of pgbr during pg_basebackup: no WAL streamer, walsender or temporary slot is left', { timeout: LIMIT }, async () => {
  const folder = path.join(work, 'base');
  const run = start(['basebackup', '--conn', 'k', '--max-rate', '32M']);
  await waitFor('pg_basebackup to stream', async () => (await cluster.sql(`SELECT count(*) FROM pg_stat_replication`)) !== '0');
  await randomPause(800);
  run.child.kill('SIGKILL');
  await run.done;
  await assertNothingLeft(folder, 'pg_basebackup');
  await waitFor('the walsenders to end', async () => (await cluster.sql(`SELECT count(*) FROM pg_stat_replication`)) === '0', 15_000);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_replication_slots WHERE temporary`), '0');
});

test('SIGKILL of pgbr during verify: pg_restore dies, the scratch database is reported and dropped on request', { timeout: LIMIT }, async () => {
  const folder = path.join(work, 'dumps-verify');
  const made = start(['dump', '--conn', 'k', '--db', 'big', '--out', folder, '--json']);
  const dumped = await made.done;
  assert.equal(dumped.code, 0, dumped.stderr);
  const dumpPath = (JSON.parse(dumped.stdout) as { path: string }).path;

  const run = start(['verify', dumpPath, '--conn', 'k']);
  await waitFor('pg_restore to run', () => processesWith(dumpPath).some((p) => p.includes('pg_restore')));
  await randomPause(500);
  run.child.kill('SIGKILL');
  await run.done;
  await assertNothingLeft(folder, dumpPath);
  const manifest = JSON.parse(await fs.readFile(`${dumpPath}.manifest.json`, 'utf8')) as { verification?: unknown };
  assert.equal(manifest.verification, undefined, 'a killed verify records nothing');

  const seen = start(['leftovers', '--conn', 'k']);
  const report = await seen.done;
  assert.equal(report.code, 1, report.stdout + report.stderr);
  assert.match(report.stdout, /1 scratch database of verifies that did not finish \(pgbr_verify_big_[0-9a-f]{8}\): drop it with `pgbr leftovers --conn k --drop-scratch`/);
  const status = start(['status', '--conn', 'k']);
  assert.match((await status.done).stdout, /scratch database of verifies that did not finish/);

  const drop = start(['leftovers', '--conn', 'k', '--drop-scratch']);
  const dropped = await drop.done;
  assert.match(dropped.stdout, /dropped database pgbr_verify_big_/);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname LIKE 'pgbr\\_verify\\_%'`), '0');
});

test('SIGKILL of pgbr during a drill: the scratch server stops and its folder goes', { timeout: LIMIT }, async () => {
  const baseDir = await drillSource('drill-base', 'more');

  const run = start(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--latest', '--drill', '--bin-dir', cluster.binDir]);
  const line = await waitFor('the scratch server to run', () => processesWith('pgbr-drill-').find((p) => / -D /.test(p) && p.includes('postgres')));
  const drillDir = /(\S*pgbr-drill-[^/\s]+)/.exec(line)?.[1] as string;
  await randomPause(300);
  run.child.kill('SIGKILL');
  await run.done;
  await waitFor('the scratch server to stop', () => processesWith(drillDir).length === 0, 15_000).catch(() => assert.deepEqual(processesWith(drillDir), []));
  await waitFor('the drill folder to go', async () => !(await fs.stat(drillDir).then(() => true, () => false)), 15_000);
  await waitFor('the temp folder to be empty', async () => (await tempLeftovers()).length === 0, 15_000).catch(async () => assert.deepEqual(await tempLeftovers(), []));
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} of pgbr during a drill cancels it: no postgres keeps running and no scratch folder stays`, { timeout: LIMIT }, async () => {
    const baseDir = await drillSource(`drill-base-${signal}`, `more_${signal.toLowerCase()}`);

    const run = start(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--latest', '--drill', '--bin-dir', cluster.binDir]);
    const line = await waitFor('the scratch server to run', () => processesWith('pgbr-drill-').find((p) => / -D /.test(p) && p.includes('postgres')));
    const drillDir = /(\S*pgbr-drill-[^/\s]+)/.exec(line)?.[1] as string;
    await randomPause(300);
    run.child.kill(signal);
    const r = await run.done;
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /the recovery drill was cancelled; its scratch server was stopped and its folder removed/);
    await waitFor('the scratch server to stop', () => processesWith(drillDir).length === 0, 15_000).catch(() => assert.deepEqual(processesWith(drillDir), []));
    await waitFor('the drill folder to go', async () => !(await fs.stat(drillDir).then(() => true, () => false)), 15_000);
    await waitFor('the temp folder to be empty', async () => (await tempLeftovers()).length === 0, 15_000).catch(async () => assert.deepEqual(await tempLeftovers(), []));
  });
}

test('SIGKILL of pg_restore during verify: "interrupted", exit 2, nothing recorded, the scratch database dropped', { timeout: LIMIT }, async () => {
  const folder = path.join(work, 'dumps-interrupted');
  const made = start(['dump', '--conn', 'k', '--db', 'big', '--out', folder, '--json']);
  const dumped = await made.done;
  assert.equal(dumped.code, 0, dumped.stderr);
  const dumpPath = (JSON.parse(dumped.stdout) as { path: string }).path;

  const run = start(['verify', dumpPath, '--conn', 'k']);
  const line = await waitFor('pg_restore to run', () => processesWith(dumpPath).find((p) => p.includes('pg_restore') && !p.includes('pgbr.js')));
  await randomPause(300);
  process.kill(Number(line.split(' ')[0]), 'SIGKILL');
  const r = await run.done;
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stdout, /verification interrupted: the verification was interrupted \(pg_restore was stopped by SIGKILL from outside\): this says nothing about the dump and nothing was recorded/);
  const manifest = JSON.parse(await fs.readFile(`${dumpPath}.manifest.json`, 'utf8')) as { verification?: unknown };
  assert.equal(manifest.verification, undefined);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname LIKE 'pgbr\\_verify\\_%'`), '0');
  await assertNothingLeft(folder, dumpPath);
});

test('SIGKILL of pg_basebackup itself: pgbr fails, keeps no .partial, and no walsender or slot is left', { timeout: LIMIT }, async () => {
  const folder = path.join(work, 'base-child');
  const run = start(['basebackup', '--conn', 'k', '--out', folder, '--max-rate', '32M']);
  const line = await waitFor('pg_basebackup to stream', () => processesWith(`${folder}/`).find((p) => p.includes('pg_basebackup')));
  await randomPause(500);
  process.kill(Number(line.split(' ')[0]), 'SIGKILL');
  const r = await run.done;
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /pg_basebackup/);
  await assertNothingLeft(folder, 'pg_basebackup');
  await waitFor('the walsenders to end', async () => (await cluster.sql(`SELECT count(*) FROM pg_stat_replication`)) === '0', 15_000);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_replication_slots WHERE temporary`), '0');
});

test("SIGKILL of the drill's scratch server: the drill reports it, and its folder goes", { timeout: LIMIT }, async () => {
  const baseDir = await drillSource('drill-base-2', 'more2');

  const run = start(['pitr', '--base-backup', baseDir, '--archive', cluster.archiveDir, '--latest', '--drill', '--bin-dir', cluster.binDir]);
  const line = await waitFor('the scratch server to run', () => processesWith('pgbr-drill-').find((p) => / -D /.test(p) && /\/postgres -D/.test(p) && !p.includes('runuser')));
  const drillDir = /(\S*pgbr-drill-[^/\s]+)/.exec(line)?.[1] as string;
  await randomPause(300);
  process.kill(Number(line.split(' ')[0]), 'SIGKILL');
  const r = await run.done;
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stdout + r.stderr, /drill|postgres/i);
  await waitFor('the drill folder to go', async () => !(await fs.stat(drillDir).then(() => true, () => false)), 15_000);
  assert.deepEqual(processesWith(drillDir), []);
  await waitFor('the temp folder to be empty', async () => (await tempLeftovers()).length === 0, 15_000).catch(async () => assert.deepEqual(await tempLeftovers(), []));
});
