// The transactions that changed one table, read from a real cluster's archived WAL with pg_waldump:
// orders inserted over several commits, a wrong UPDATE, a DELETE without WHERE, a rolled-back insert,
// and unrelated commits in another table, each found with its row counts, outcome and commit time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { relationLocator, tableTransactions, type TableTransaction } from '../../src/core/undo';
import { withClient } from '../../src/core/postgres/server';
import { startCluster, type Cluster, switchAndWaitArchived, transactionXid } from './cluster';

let cluster: Cluster;
const xids: Record<string, number> = {};



/** Runs one transaction and returns its xid. */
async function tx(name: string, sql: string, end: 'COMMIT' | 'ROLLBACK' = 'COMMIT'): Promise<void> {
  xids[name] = Number(await transactionXid(cluster, sql, { end }));
}

before(async () => {
  cluster = await startCluster();
  await cluster.sql('CREATE DATABASE shop');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text); CREATE TABLE audit (id serial PRIMARY KEY, what text);', 'shop');
  await tx('first', "INSERT INTO orders SELECT g, 'first' FROM generate_series(1, 300) g");
  await tx('second', "INSERT INTO orders SELECT g, 'second' FROM generate_series(301, 500) g");
  await tx('update', "UPDATE orders SET note = 'oops' WHERE id <= 40");
  await tx('delete', 'DELETE FROM orders');
  await tx('rolledBack', "INSERT INTO orders VALUES (9999, 'never')", 'ROLLBACK');
  await tx('unrelated', "INSERT INTO audit (what) SELECT 'later' FROM generate_series(1, 25)");
  await switchAndWaitArchived(cluster);
});

after(async () => {
  await cluster?.stop();
});

test('the DELETE without WHERE is found with the 500 rows it deleted and its commit time; the other changes with theirs; other tables stay out', async () => {
  const relation = await withClient(cluster.params('postgres', 'shop'), {}, (c) => relationLocator(c, { schema: 'public', name: 'orders' }));
  const read = await tableTransactions({ pgWaldump: path.join(cluster.binDir, 'pg_waldump'), archiveDir: cluster.archiveDir, relation });
  const by = (name: string): TableTransaction | undefined => read.transactions.find((t) => t.xid === xids[name]);
  assert.deepEqual([by('first')?.inserted, by('first')?.outcome], [300, 'committed']);
  assert.equal(by('second')?.inserted, 200);
  assert.deepEqual([by('update')?.updated, by('update')?.deleted], [40, 0]);
  const del = by('delete');
  assert.deepEqual([del?.deleted, del?.inserted, del?.outcome], [500, 0, 'committed']);
  assert.ok(del?.at instanceof Date && Math.abs(del.at.getTime() - Date.now()) < 10 * 60_000, String(del?.at));
  assert.ok((by('update')?.at?.getTime() ?? 0) <= (del?.at?.getTime() ?? 0), 'commit times in order');
  assert.deepEqual([by('rolledBack')?.inserted, by('rolledBack')?.outcome], [1, 'aborted']);
  assert.equal(by('unrelated'), undefined, 'a transaction that touched only another table is not listed');
  assert.deepEqual(read.transactions.map((t) => t.xid), ['first', 'second', 'update', 'delete', 'rolledBack'].map((n) => xids[n]));
});

test('a table that does not exist is one clear line', async () => {
  await assert.rejects(
    withClient(cluster.params('postgres', 'shop'), {}, (c) => relationLocator(c, { schema: 'public', name: 'nosuch' })),
    /there is no table public\.nosuch in this database/,
  );
});

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/pgbr.js'), ...args, '--bin-path', cluster.binDir], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: cluster.root }, cwd: cluster.root, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pgbr recover-table --list-transactions names the delete and how to recover to just before it; --since filters by when they ended', () => {
  const uri = `postgresql://postgres@localhost/shop?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
  const base = ['recover-table', '--conn', uri, '--db', 'shop', '--table', 'public.orders', '--list-transactions', '--archive', cluster.archiveDir];
  const json = cli([...base, '--json']);
  assert.equal(json.code, 0, json.stdout + json.stderr);
  const doc = JSON.parse(json.stdout) as { transactions: { xid: number; deleted: number; outcome: string }[] };
  assert.deepEqual(doc.transactions.find((t) => t.xid === xids.delete), { ...doc.transactions.find((t) => t.xid === xids.delete), deleted: 500, outcome: 'committed' });
  const text = cli(base);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^${xids.delete}\\s+\\S.*committed\\s+deleted 500 rows`, 'm'));
  // The last committed change is the delete: the hint points just before it.
  assert.match(text.stdout, new RegExp(`just before xid ${xids.delete} \\(deleted 500 rows\\): pgbr recover-table --conn <the same connection> --db shop --table public\\.orders --before-xid ${xids.delete} .*The whole cluster: recover to --target-xid ${xids.delete} with --exclusive\\.$`, 'm'));
  const later = cli([...base, '--since', '2999-01-01 00:00:00 UTC']);
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stdout, /^No transaction changed public\.orders in \S+ – \S+ between the times given\.$/m);
  const none = cli(['recover-table', '--conn', uri, '--db', 'shop', '--table', 'orders']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give exactly one of --before-xid X, --before-time T and --list-transactions/);
});
