// pgbr pitr --backrest against real pgBackRest: two batches with a time between them, PITR by that time, by a restore point and
// immediate, each drilled on a scratch server with per-table counts; a restore into --data-dir; a missing stanza in one line;
// SIGKILL of pgbr mid-drill; no scratch folder or process left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBackrest } from '../../src/core/backrest/run';
import type { DrillReport } from '../../src/core/pitr/drill';
import { startBackrestRepo, type BackrestRepo } from './backrestRepo';
import { processesWith } from './processes';
import { switchAndWaitArchived } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let r: BackrestRepo;
let between = '';

function run(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [pgbr, 'pitr', ...args, '--workspace', r.work], { cwd: r.work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}


const scratchLeft = async () => (await fs.readdir(os.tmpdir())).filter((f) => f.startsWith('pgbr-drill-'));
const rows = (d: DrillReport, table: string) => d.databases.find((db) => db.name === 'postgres')?.tables.find((t) => t.table === table)?.rows;

async function drill(args: string[]): Promise<DrillReport> {
  const res = await run(['--backrest', r.stanza, ...args, '--drill', '--bin-dir', r.cluster.binDir, '--json']);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const report = (JSON.parse(res.stdout) as { drill: DrillReport }).drill;
  assert.equal(report.status, 'reached', report.message);
  return report;
}

let leftBefore: string[] = [];
before(async () => {
  r = await startBackrestRepo('pitr', 'pgbr-brpitr-');
  leftBefore = await scratchLeft();
  const created = await runBackrest({ stanza: r.stanza, config: r.config }, 'stanza-create', []);
  assert.equal(created.status, 'succeeded', created.status === 'failed' ? created.message : '');
  await r.cluster.sql('CREATE TABLE items (id int PRIMARY KEY, batch int NOT NULL); CREATE TABLE other (id int);');
  // Two more databases, for a selective restore of one of them.
  await r.cluster.sql('CREATE DATABASE kept');
  await r.cluster.sql('CREATE DATABASE skipped');
  await r.cluster.sql('CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 7) g', 'kept');
  await r.cluster.sql('CREATE TABLE lines AS SELECT g AS id FROM generate_series(1, 5) g', 'skipped');
  const full = await runBackrest({ stanza: r.stanza, config: r.config }, 'backup', ['--type=full']);
  assert.equal(full.status, 'succeeded', full.status === 'failed' ? full.message : '');
  await r.cluster.sql("INSERT INTO items SELECT g, 1 FROM generate_series(1, 10) g; INSERT INTO other VALUES (1), (2), (3); SELECT pg_create_restore_point('after_batch_1');");
  await switchAndWaitArchived(r.cluster);
  await sleep(1100);
  between = await r.cluster.sql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);
  await sleep(1100);
  await r.cluster.sql('INSERT INTO items SELECT g, 2 FROM generate_series(11, 20) g;');
  await switchAndWaitArchived(r.cluster);
});

after(async () => {
  await r?.cluster.stop();
  if (r?.work) await fs.rm(r.work, { recursive: true, force: true });
});

test('a time between the batches recovers exactly the first batch, with per-table counts, archiving off, nothing left behind', async () => {
  const d = await drill(['--target-time', between]);
  assert.equal(rows(d, 'items'), 10);
  assert.equal(rows(d, 'other'), 3);
  assert.match(d.stopLine ?? '', /recovery stopping before commit/);
  assert.ok(d.settings.some((s) => /^restore_command = 'pgbackrest .*archive-get/.test(s)), d.settings.join('\n'));
  assert.ok(d.settings.some((s) => /^archive_mode = 'off'/.test(s)), d.settings.join('\n'));
  assert.ok(d.settings.some((s) => s.startsWith('recovery_target_time')), d.settings.join('\n'));
  assert.equal(d.timeline, 1);
  assert.deepEqual(await scratchLeft(), leftBefore);
  assert.deepEqual(processesWith('pgbr-drill-'), []);
});

test('a restore point recovers the first batch; immediate recovers none; latest all', async () => {
  assert.equal(rows(await drill(['--target-name', 'after_batch_1']), 'items'), 10);
  const immediate = await drill(['--immediate']);
  assert.equal(rows(immediate, 'items'), 0);
  assert.match(immediate.stopLine ?? '', /consistency/);
  assert.equal(rows(await drill(['--latest']), 'items'), 20);
});

test('--db-include: the drill restores only that database (and postgres), counts its tables, and leaves the other out of the report', async () => {
  const d = await drill(['--latest', '--db-include', 'kept']);
  assert.equal(d.status, 'reached', d.message);
  assert.deepEqual(d.databases.map((x) => x.name).sort(), ['kept', 'postgres']);
  assert.deepEqual(d.databases.find((x) => x.name === 'kept')?.tables.map((t) => [t.table, t.rows]), [['orders', 7]]);
  assert.equal(rows(d, 'items'), 20);
  assert.deepEqual(processesWith('pgbr-drill-'), []);
});

test('--data-dir: pgbackrest restore writes the target and archive_mode off; a future time is refused before anything runs', async () => {
  const dataDir = path.join(r.work, 'restored');
  const res = await run(['--backrest', r.stanza, '--target-time', between, '--data-dir', dataDir]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.match(res.stderr, /Target check: OK/);
  assert.match(res.stdout, /Restored in [\d.]+ s with:/);
  const auto = await fs.readFile(path.join(dataDir, 'postgresql.auto.conf'), 'utf8');
  assert.match(auto, /^recovery_target_time = '/m);
  assert.match(auto, /^archive_mode = 'off'/m);
  await fs.access(path.join(dataDir, 'recovery.signal'));
  const again = await run(['--backrest', r.stanza, '--latest', '--data-dir', dataDir]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /is not empty: .*--delta/);
  const future = await run(['--backrest', r.stanza, '--target-time', new Date(Date.now() + 3600_000).toISOString(), '--data-dir', path.join(r.work, 'never')]);
  assert.equal(future.code, 1, future.stdout + future.stderr);
  assert.match(future.stdout, /outside the recoverable window/);
  await assert.rejects(fs.access(path.join(r.work, 'never')));
});

test('a missing stanza is one clear line, and no drill folder is made', async () => {
  const res = await run(['--backrest', 'nosuch', '--latest', '--drill', '--bin-dir', r.cluster.binDir, '--config', r.config]);
  assert.notEqual(res.code, 0);
  const lines = res.stderr.trim().split('\n').filter((l) => l.startsWith('pgbr:') && !/: (restore|start|recover|stop): /.test(l));
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0] ?? '', /stanza "nosuch" does not exist in the repository/);
  assert.deepEqual(await scratchLeft(), leftBefore);
});

test('SIGKILL of pgbr during a pgBackRest drill: the scratch server stops and its folder goes', { timeout: 120_000 }, async () => {
  const res = run(['--backrest', r.stanza, '--latest', '--drill', '--bin-dir', r.cluster.binDir], (stderr, child) => {
    if (/pgbr: recover:/.test(stderr) && !child.killed) child.kill('SIGKILL');
  });
  const done = await res;
  assert.equal(done.code, null, done.stderr);
  for (let i = 0; i < 300 && ((await scratchLeft()).length > leftBefore.length || processesWith('pgbr-drill-').length); i++) await sleep(50);
  assert.deepEqual(processesWith('pgbr-drill-'), []);
  assert.deepEqual(await scratchLeft(), leftBefore);
});
