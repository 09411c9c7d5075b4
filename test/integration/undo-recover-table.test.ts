// `pgbr recover-table` end to end against a real archiving cluster and a workspace that names the
// connection, its WAL archive and its base backup folder: the DELETE without WHERE is listed with its row
// count; the table just before it comes back as its missing rows (the later commits stay) or as a new
// table; a bad UPDATE is undone by replace --yes and refused without it; a dry run changes nothing; no
// scratch folder or server is left after any run, nor after a SIGKILL of pgbr mid-recovery.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { RecoverTableReport } from '../../src/core/undo';
import { startCluster, type Cluster, switchAndWaitArchived, transactionXid } from './cluster';
import { processesWith } from './processes';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const skip = existsSync(pgbr) ? false : 'dist/pgbr.js is not built (node esbuild.mjs)';

let cluster: Cluster;
let work: string;
let workspace: string;
/** The scratch folders' parent (TMPDIR of each pgbr run): what a run leaves shows there. */
let tmp: string;
const xids: Record<string, string> = {};
/** md5 of the 340 orders as they were just before the DELETE. */
let beforeDelete: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rowsSum = "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || note, ',' ORDER BY id), '')) FROM orders";


async function tx(name: string, sql: string): Promise<void> {
  xids[name] = await transactionXid(cluster, sql);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], ws = workspace): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pgbr, ...args, '--workspace', ws, '--bin-path', cluster.binDir], { env: { PATH: process.env.PATH ?? '', HOME: ws, TMPDIR: tmp } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const table = ['recover-table', '--conn', 'shop', '--db', 'shop', '--table', 'orders'];

async function assertLeftNothing(): Promise<void> {
  assert.deepEqual(await fs.readdir(tmp), [], 'no scratch folder is left');
  assert.deepEqual(processesWith(tmp), [], 'no scratch server is left');
}

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-recover-'));
  // The scratch servers run as postgres when we are root: it must be able to pass through.
  await fs.chmod(work, 0o711);
  workspace = path.join(work, 'ws');
  tmp = path.join(work, 'tmp');
  await fs.mkdir(workspace);
  await fs.mkdir(tmp, { mode: 0o711 });
  await fs.chmod(tmp, 0o1777);
  cluster = await startCluster();
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `connections:\n  - name: shop\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: postgres\n    database: shop\n    sslmode: disable\narchives:\n  - path: ${cluster.archiveDir}\n    connection: shop\nbaseBackupFolder: base\ndumpFolders: [dumps]\n`,
  );
  await cluster.sql('CREATE DATABASE shop');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL); CREATE TABLE audit (id serial PRIMARY KEY, what text);', 'shop');
  await tx('fill1', "INSERT INTO orders SELECT g, 'batch 1' FROM generate_series(1, 100) g");
  const backup = await cli(['basebackup', '--conn', 'shop', '--checkpoint', 'fast', '--json']);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  await tx('fill2', "INSERT INTO orders SELECT g, 'batch 2' FROM generate_series(101, 300) g");
  await tx('update', "UPDATE orders SET note = 'shipped' WHERE id <= 50");
  await switchAndWaitArchived(cluster);
  await tx('fill3', "INSERT INTO orders SELECT g, 'batch 3' FROM generate_series(301, 340) g");
  beforeDelete = await cluster.sql(rowsSum, 'shop');
  await tx('delete', 'DELETE FROM orders');
  // Later work, which must stay.
  await tx('later1', "INSERT INTO audit (what) SELECT 'after ' || g FROM generate_series(1, 7) g");
  await tx('later2', "INSERT INTO orders VALUES (1000, 'new after the delete')");
  await switchAndWaitArchived(cluster);
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('--list-transactions names the DELETE with its row count', { skip, timeout: 120_000 }, async () => {
  const run = await cli([...table, '--list-transactions', '--json']);
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as { transactions: { xid: number; deleted: number; inserted: number; outcome: string }[] };
  const del = doc.transactions.find((t) => String(t.xid) === xids.delete);
  assert.deepEqual([del?.deleted, del?.inserted, del?.outcome], [340, 0, 'committed']);
  const text = await cli([...table, '--list-transactions']);
  assert.match(text.stdout, new RegExp(`\\n${xids.delete} .* committed +deleted 340 rows `));
});

test('a time before the only base backup: refused before anything runs, naming the oldest backup', { skip, timeout: 120_000 }, async () => {
  const run = await cli([...table, '--before-time', '2020-01-01T00:00:00Z']);
  assert.equal(run.code, 2, run.stdout + run.stderr);
  assert.match(run.stderr, /^pgbr: no base backup of shop ended before the moment wanted \(just before 2020-01-01 .*\): the oldest, \S+, ended .*Recover from an older backup or a dump taken before then\.\n$/);
  await assertLeftNothing();
});

test('--dry-run --mode missing-rows: the comparison and the 340 rows it would bring back, nothing changed', { skip, timeout: 240_000 }, async () => {
  const was = await cluster.sql(rowsSum, 'shop');
  const run = await cli([...table, '--before-xid', xids.delete as string, '--mode', 'missing-rows', '--dry-run']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, new RegExp(`^public\\.orders as it was just before xid ${xids.delete} \\(it ended .* UTC\\), from base backup \\S+ with WAL to just before xid ${xids.delete}\\.\\n`));
  assert.match(run.stdout, /\nCompared by key \(id\): 340 rows then, 1 row now; 340 rows missing now, 0 rows differ, 1 row added since\.\n {2}missing now \(5 of 340\):\n {4}\(1,shipped\)\n/);
  assert.match(run.stdout, /\n {2}added since:\n {4}\(1000,"new after the delete"\)\n/);
  assert.match(run.stdout, /Dry run: everything below was done inside a transaction and rolled back; nothing changed\./);
  assert.match(run.stdout, /340 rows would be brought back/);
  assert.match(run.stdout, /\nRecovery time: \d+\.\d s in all \(scratch server up with the past table \d+\.\d s, comparing \d+\.\d s, trying the change \d+\.\d s\)\.\n$/);
  assert.equal(await cluster.sql(rowsSum, 'shop'), was);
  await assertLeftNothing();
});

test('--before-xid DELETE --mode missing-rows: exactly the deleted rows come back, the later commits stay', { skip, timeout: 240_000 }, async () => {
  const run = await cli([...table, '--before-xid', xids.delete as string, '--mode', 'missing-rows', '--json']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const r = JSON.parse(run.stdout) as RecoverTableReport;
  assert.deepEqual([r.comparison.pastRows, r.comparison.liveRows, r.comparison.missing, r.comparison.added], [340, 1, 340, 1]);
  assert.equal(r.bringBack?.counts.inserted, 340);
  assert.equal(r.bringBack?.dryRun, false);
  assert.equal(r.target.beforeXid, xids.delete);
  assert.match(r.source, /^base backup \S+ with WAL to just before xid \d+$/);
  const d = r.durations;
  assert.ok(d.recoverMs > 0 && d.totalMs >= d.recoverMs + d.compareMs + d.applyMs - 2, JSON.stringify(d));
  assert.equal(await cluster.sql("SELECT count(*) || ' ' || md5(string_agg(id || ':' || note, ',' ORDER BY id)) FROM orders WHERE id <= 340", 'shop'), beforeDelete);
  assert.equal(await cluster.sql("SELECT note FROM orders WHERE id = 1000", 'shop'), 'new after the delete');
  assert.equal(await cluster.sql('SELECT count(*) FROM orders', 'shop'), '341');
  assert.equal(await cluster.sql('SELECT count(*) FROM audit', 'shop'), '7');
  await assertLeftNothing();
});

test('--mode new-table: orders_as_of_… beside it with the 340 rows, counted exactly', { skip, timeout: 240_000 }, async () => {
  const run = await cli([...table, '--before-xid', xids.delete as string, '--json']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const r = JSON.parse(run.stdout) as RecoverTableReport;
  assert.equal(r.bringBack?.mode, 'new-table');
  const made = r.bringBack?.newTable ?? '';
  assert.match(made, /^public\.orders_as_of_\d{8}_\d{6}$/);
  assert.equal(r.bringBack?.counts.inserted, 340);
  assert.equal(await cluster.sql(`SELECT count(*) || ' ' || md5(string_agg(id || ':' || note, ',' ORDER BY id)) FROM ${made}`, 'shop'), beforeDelete);
  assert.equal(await cluster.sql('SELECT count(*) FROM orders', 'shop'), '341');
  await assertLeftNothing();
});

test('a bad UPDATE: --mode replace without --yes is refused naming what would be lost, with --yes it is undone', { skip, timeout: 400_000 }, async () => {
  const good = await cluster.sql(rowsSum, 'shop');
  await tx('bad', "UPDATE orders SET note = 'oops' WHERE id % 2 = 0");
  await tx('after', "INSERT INTO orders VALUES (2000, 'added after the update')");
  await switchAndWaitArchived(cluster);
  const bad = await cluster.sql(rowsSum, 'shop');
  const refused = await cli([...table, '--before-xid', xids.bad as string, '--mode', 'replace']);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /\npgbr: Replacing the rows of public\.orders with the past version would lose 1 row added since and the current version of 171 rows that differ \(and bring back 0 missing\), so nothing was changed: confirm to go ahead, or preview it with a dry run\.\n$/);
  assert.equal(await cluster.sql(rowsSum, 'shop'), bad);
  await assertLeftNothing();

  const run = await cli([...table, '--before-xid', xids.bad as string, '--mode', 'replace', '--yes']);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /Compared by key \(id\): 341 rows then, 342 rows now; 0 rows missing now, 171 rows differ, 1 row added since\./);
  assert.match(run.stdout, /\n {2}differ \(5 of 171\):\n {4}then \(2,shipped\)\n {4}now {2}\(2,oops\)\n/);
  assert.match(run.stdout, /0 rows were inserted, 171 rows updated back and 1 row deleted/);
  assert.equal(await cluster.sql(rowsSum, 'shop'), good);
  await assertLeftNothing();
});

/** pgbr recovering while another session holds the table, so it waits with the scratch server up; then `signal`. */
async function interrupted(signal: NodeJS.Signals): Promise<{ code: number | null; err: string }> {
  const holder = new pg.Client({ host: cluster.socketDir, port: cluster.port, user: 'postgres', database: 'shop' });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const child = spawn(process.execPath, [pgbr, ...table, '--before-xid', xids.delete as string, '--mode', 'missing-rows', '--workspace', workspace, '--bin-path', cluster.binDir], {
      env: { PATH: process.env.PATH ?? '', HOME: workspace, TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d;
        if (/pgbr: comparing /.test(err)) resolve();
      });
      void closed.then((code) => reject(new Error(`pgbr ended (${code}) before it compared: ${err}`)));
    });
    assert.equal((await fs.readdir(tmp)).filter((n) => n.startsWith('pgbr-drill-')).length, 1, 'the scratch folder is there while it waits');
    assert.ok(processesWith(tmp).length > 0, 'the scratch server runs');
    const was = await holder.query<{ n: string }>('SELECT count(*)::text AS n FROM orders');
    child.kill(signal);
    const code = await closed;
    // Nothing was brought back: the rows are as they were while pgbr waited.
    assert.deepEqual((await holder.query<{ n: string }>('SELECT count(*)::text AS n FROM orders')).rows, was.rows);
    return { code, err };
  } finally {
    await holder.query('ROLLBACK');
    await holder.end();
  }
}

async function waitForNothingLeft(): Promise<void> {
  for (let i = 0; i < 150 && (processesWith(tmp).length > 0 || (await fs.readdir(tmp)).length > 0); i++) await sleep(100);
  await assertLeftNothing();
}

test('Ctrl-C (SIGINT) while it waits: pgbr ends cancelled, the scratch server stopped and its folder removed', { skip, timeout: 240_000 }, async () => {
  const { code, err } = await interrupted('SIGINT');
  assert.equal(code, 2, err);
  assert.match(err, /\npgbr: [^\n]*cancel[^\n]*\n$/, err);
  await assertLeftNothing();
});

test('SIGKILL of pgbr mid-recovery: the scratch server stops and its folder goes', { skip, timeout: 240_000 }, async () => {
  await interrupted('SIGKILL');
  await waitForNothingLeft();
});

test('without base backups: the newest dump taken before the bad query, with what is lost said', { skip, timeout: 240_000 }, async () => {
  const dumpsOnly = path.join(work, 'dumps-only');
  await fs.mkdir(dumpsOnly);
  await fs.writeFile(
    path.join(dumpsOnly, 'pgbackup.yaml'),
    `connections:\n  - name: shop\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: postgres\n    database: shop\n    sslmode: disable\ndumpFolders: [dumps]\n`,
  );
  const dumped = await cli(['dump', '--conn', 'shop', '--db', 'shop', '--json'], dumpsOnly);
  assert.equal(dumped.code, 0, dumped.stderr + dumped.stdout);
  const good = await cluster.sql(rowsSum, 'shop');
  await tx('trim', 'DELETE FROM orders WHERE id > 300');
  await switchAndWaitArchived(cluster);
  const run = await cli([...table, '--before-xid', xids.trim as string, '--mode', 'missing-rows'], dumpsOnly);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^public\.orders as it was just before xid \d+ \(it ended .*\), from dump \S+ of .*\.\nThe newest dump with public\.orders is \S+ of .*: changes after it are lost \(.* before now\)\.\n/);
  assert.match(run.stdout, /; 41 rows missing now, 0 rows differ, 0 rows added since\./);
  assert.equal(await cluster.sql(rowsSum, 'shop'), good);
  await assertLeftNothing();
});
