// A table rewritten after a bad DELETE, on a real cluster's archived WAL: TRUNCATE and VACUUM FULL give it a
// new file, and the DELETE in the earlier file is still listed with its rows, the rewrite reported; a
// TRUNCATE of two tables at once is reported as not followed. Without an archive, the newest dump is named.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileOwners, locateTable, tableTransactions, type TableTransaction } from '../../src/core/undo';
import { withClient } from '../../src/core/postgres/server';
import { startCluster, type Cluster, switchAndWaitArchived, transactionXid } from './cluster';

let cluster: Cluster;
const xids: Record<string, number> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function tx(name: string, sql: string): Promise<void> {
  xids[name] = Number(await transactionXid(cluster, sql));
}

before(async () => {
  cluster = await startCluster();
  await cluster.sql('CREATE DATABASE shop');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text); CREATE TABLE items (id int PRIMARY KEY, note text); CREATE TABLE a (id int); CREATE TABLE b (id int);', 'shop');
  await tx('ordersFill', "INSERT INTO orders SELECT g, 'first' FROM generate_series(1, 500) g");
  await tx('ordersDelete', 'DELETE FROM orders');
  await tx('ordersTruncate', 'TRUNCATE orders');
  await tx('ordersAfter', "INSERT INTO orders SELECT g, 'after' FROM generate_series(1, 3) g");
  await tx('itemsFill', "INSERT INTO items SELECT g, 'first' FROM generate_series(1, 300) g");
  await tx('itemsDelete', 'DELETE FROM items');
  await cluster.sql('VACUUM FULL items', 'shop');
  await tx('itemsAfter', "INSERT INTO items SELECT g, 'after' FROM generate_series(1, 5) g");
  await tx('abFill', 'INSERT INTO a SELECT generate_series(1, 10); INSERT INTO b SELECT generate_series(1, 10)');
  await tx('abTruncate', 'TRUNCATE a, b');
  await switchAndWaitArchived(cluster);
});

after(async () => {
  await cluster?.stop();
});

async function read(name: string) {
  const params = cluster.params('postgres', 'shop');
  const { relation, oid } = await withClient(params, {}, (c) => locateTable(c, { schema: 'public', name }));
  return tableTransactions({ pgWaldump: path.join(cluster.binDir, 'pg_waldump'), archiveDir: cluster.archiveDir, relation, tableOid: oid, owners: (files) => withClient(params, {}, (c) => fileOwners(c, oid, files)) });
}

const counts = (t: TableTransaction | undefined) => t && [t.inserted, t.deleted, t.outcome];

test('after a TRUNCATE, the DELETE without WHERE in the earlier file is still listed with its 500 rows, and the TRUNCATE is reported as followed', async () => {
  const r = await read('orders');
  const by = (n: string) => r.transactions.find((t) => t.xid === xids[n]);
  assert.deepEqual(counts(by('ordersFill')), [500, 0, 'committed']);
  assert.deepEqual(counts(by('ordersDelete')), [0, 500, 'committed']);
  assert.deepEqual(counts(by('ordersAfter')), [3, 0, 'committed']);
  assert.deepEqual(r.transactions.map((t) => t.xid), ['ordersFill', 'ordersDelete', 'ordersAfter'].map((n) => xids[n]));
  assert.deepEqual(r.rewrites.map((w) => [w.xid, w.how, w.followed]), [[xids.ordersTruncate, 'emptied', true]]);
  assert.ok(r.rewrites[0]?.at instanceof Date);
});

test('after a VACUUM FULL, the DELETE is still listed, and the VACUUM FULL (a transaction of its own) is reported', async () => {
  const r = await read('items');
  assert.deepEqual(counts(r.transactions.find((t) => t.xid === xids.itemsDelete)), [0, 300, 'committed']);
  assert.deepEqual(r.transactions.map((t) => t.xid), ['itemsFill', 'itemsDelete', 'itemsAfter'].map((n) => xids[n]));
  assert.equal(r.rewrites.length, 1);
  const w = r.rewrites[0];
  assert.ok(w && w.followed && w.xid > (xids.itemsDelete as number) && w.xid < (xids.itemsAfter as number), JSON.stringify(w));
});

test('TRUNCATE a, b: the live server says the transaction gave another table a new file too, so the earlier file is not guessed', async () => {
  const r = await read('a');
  assert.deepEqual(r.transactions, []);
  assert.deepEqual(r.rewrites.map((w) => [w.xid, w.followed]), [[xids.abTruncate, false]]);
  assert.match(r.rewrites[0]?.why ?? '', /other tables/);
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/pgbr.js'), ...args, '--bin-path', cluster.binDir], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: cluster.root, TZ: 'UTC' }, cwd: cluster.root, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pgbr recover-table --list-transactions lists the DELETE through the TRUNCATE and says what it followed and what it could not', () => {
  const uri = `postgresql://postgres@localhost/shop?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
  const base = ['recover-table', '--conn', uri, '--db', 'shop', '--list-transactions', '--archive', cluster.archiveDir];
  const orders = cli([...base, '--table', 'orders']);
  assert.equal(orders.code, 0, orders.stderr);
  assert.match(orders.stdout, new RegExp(`^${xids.ordersDelete}\\s+\\S.*committed\\s+deleted 500 rows`, 'm'));
  assert.match(orders.stdout, new RegExp(`^xid ${xids.ordersTruncate} rewrote public\\.orders at .* \\(TRUNCATE, or VACUUM FULL of a table without rows\\): followed into the earlier file \\d+\\.$`, 'm'));
  const a = cli([...base, '--table', 'a', '--json']);
  assert.equal(a.code, 0, a.stderr);
  const doc = JSON.parse(a.stdout) as { rewrites: { xid: number; followed: boolean }[] };
  assert.deepEqual(doc.rewrites.map((w) => [w.xid, w.followed]), [[xids.abTruncate, false]]);
  const text = cli([...base, '--table', 'a']);
  assert.match(text.stdout, new RegExp(`^xid ${xids.abTruncate} rewrote public\\.a at .*; changes before it are in an earlier file this reader cannot tell apart: the same transaction gave`, 'm'));
});

test('an archive that begins after --since says so, and that no dump from before then has the table', () => {
  const uri = `postgresql://postgres@localhost/shop?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
  const r = cli(['recover-table', '--conn', uri, '--db', 'shop', '--table', 'orders', '--list-transactions', '--archive', cluster.archiveDir, '--since', '2000-01-01 00:00 UTC']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^The WAL archive reaches back only to .*, after the --since time, and no dump of shop from before then holds public\.orders's rows\.$/m);
});

test('without an archive, --list-transactions names the newest dump that has the table and what is lost, or says there is none', async () => {
  // An archive_command that is no plain copy names no folder this machine can read.
  await cluster.sql("ALTER SYSTEM SET archive_command = '/bin/true'; SELECT pg_reload_conf();");
  await sleep(300);
  const uri = `postgresql://postgres@localhost/shop?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
  const list = ['recover-table', '--conn', uri, '--db', 'shop', '--table', 'orders', '--list-transactions'];
  const none = cli(list);
  assert.equal(none.code, 2, none.stdout + none.stderr);
  assert.match(none.stderr, /no WAL archive is known for .*, and no dump of shop in the dump folders holds public\.orders's rows/);
  const dumped = cli(['dump', '--conn', uri, '--db', 'shop']);
  assert.equal(dumped.code, 0, dumped.stdout + dumped.stderr);
  const text = cli(list);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^No WAL archive is known for .*, so the transactions that changed public\.orders cannot be listed/m);
  assert.match(text.stdout, /^The newest dump with public\.orders is \S+ of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: changes after it are lost \(\d+ (s|min) before now\)\.$/m);
  const json = cli([...list, '--json']);
  const doc = JSON.parse(json.stdout) as { archive: null; dump: { name: string; lostMs: number } };
  assert.equal(doc.archive, null);
  assert.match(doc.dump.name, /\.dump$/);
  assert.ok(doc.dump.lostMs >= 0 && doc.dump.lostMs < 10 * 60_000, String(doc.dump.lostMs));
});
