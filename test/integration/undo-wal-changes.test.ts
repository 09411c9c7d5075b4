// The transactions that changed one table, read from a real cluster's archived WAL with pg_waldump:
// orders inserted over several commits, a wrong UPDATE, a DELETE without WHERE, a rolled-back insert,
// and unrelated commits in another table, each found with its row counts, outcome and commit time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { relationLocator, tableTransactions, type TableTransaction } from '../../src/core/undo';
import { withClient } from '../../src/core/postgres/server';
import { startCluster, type Cluster } from './cluster';

let cluster: Cluster;
const xids: Record<string, number> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function switchAndWaitArchived(): Promise<void> {
  const wal = await cluster.sql('SELECT pg_walfile_name(pg_current_wal_lsn())');
  await cluster.sql('SELECT pg_switch_wal()');
  for (let i = 0; i < 200; i++) {
    if ((await cluster.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) >= wal) return;
    await sleep(50);
  }
  throw new Error(`segment ${wal} was not archived in time`);
}

/** Runs one transaction and returns its xid. */
async function tx(name: string, sql: string, end = 'COMMIT'): Promise<void> {
  const out = await cluster.sql(`BEGIN; ${sql}; SELECT pg_current_xact_id(); ${end};`, 'shop');
  xids[name] = Number(out.trim().split('\n').filter((l) => /^\d+$/.test(l.trim())).at(-1));
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
  await switchAndWaitArchived();
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
