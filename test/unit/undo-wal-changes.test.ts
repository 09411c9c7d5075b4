// pg_waldump's lines read into the transactions that changed one table (the lines as PostgreSQL 15's pg_waldump prints them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WalChangeReader } from '../../src/core/undo/walChanges';

const rec = (rmgr: string, tx: number, lsn: string, desc: string) => `rmgr: ${rmgr.padEnd(11)} len (rec/tot):     54/    54, tx:        ${tx}, lsn: ${lsn}, prev 0/01529788, desc: ${desc}`;
const REL = 'blkref #0: rel 1663/5/16384 blk 0';

test('rows inserted, updated and deleted in the table are counted per transaction, with its commit or abort and time', () => {
  const r = new WalChangeReader({ tablespace: 1663, database: 5, relfilenode: 16384 });
  for (const line of [
    rec('Heap', 724, '0/01529700', `INSERT+INIT off 1 flags 0x00, ${REL}`),
    rec('Heap', 724, '0/01529740', `INSERT off 2 flags 0x00, ${REL}`),
    rec('Btree', 724, '0/01529750', 'INSERT_LEAF off 1, blkref #0: rel 1663/5/16387 blk 1'),
    rec('Heap2', 725, '0/01529760', `MULTI_INSERT+INIT 10 tuples flags 0x02, ${REL}`),
    rec('Heap', 726, '0/01529780', `HOT_UPDATE off 3 xmax 726 flags 0x10 ; new off 7 xmax 0, ${REL}`),
    rec('Heap', 726, '0/015297A0', `UPDATE off 4 xmax 726 flags 0x00 ; new off 1 xmax 0, blkref #0: rel 1663/5/16384 blk 1, blkref #1: rel 1663/5/16384 blk 0`),
    rec('Heap', 727, '0/015297C0', `DELETE off 80 flags 0x00 KEYS_UPDATED , ${REL}`),
    rec('Heap', 727, '0/015297F8', `DELETE off 81 flags 0x00 KEYS_UPDATED , ${REL}`),
    rec('Heap', 728, '0/01529800', 'DELETE off 1 flags 0x00 KEYS_UPDATED , blkref #0: rel 1663/5/163840 blk 0'),
    rec('Heap2', 729, '0/01529810', `PRUNE latestRemovedXid 727 nredirected 0 ndead 2, ${REL}`),
    rec('Heap', 730, '0/01529820', `INSERT off 9 flags 0x00, ${REL}`),
    rec('Transaction', 724, '0/01529900', 'COMMIT 2026-12-02 15:40:23.841786 UTC'),
    rec('Transaction', 725, '0/01529910', 'COMMIT 2026-12-02 15:40:24.5 UTC; inval msgs: catcache 21'),
    rec('Transaction', 726, '0/01529920', 'COMMIT 2026-12-02 15:41:00 UTC'),
    rec('Transaction', 727, '0/01529930', 'COMMIT 2026-12-02 15:47:03.123456 UTC'),
    rec('Transaction', 730, '0/01529940', 'ABORT 2026-12-02 15:48:00.000001 UTC'),
    'pg_waldump: error: error in WAL record at 0/1529D50: invalid record length at 0/1529D88: wanted 24, got 0',
  ]) r.line(line);
  const got = r.result();
  assert.deepEqual(got.map((t) => [t.xid, t.inserted, t.updated, t.deleted, t.outcome]), [
    [724, 2, 0, 0, 'committed'],
    [725, 10, 0, 0, 'committed'],
    [726, 0, 2, 0, 'committed'],
    [727, 0, 0, 2, 'committed'],
    [730, 1, 0, 0, 'aborted'],
  ]);
  assert.equal(got[3]?.at?.toISOString(), '2026-12-02T15:47:03.123Z');
  assert.equal(got[3]?.firstLsn, '0/015297C0');
  // Another table whose relfilenode starts with the same digits, and a prune record: neither counts.
  assert.ok(!got.some((t) => t.xid === 728 || t.xid === 729));
});

test('a transaction without its commit in the WAL read is in progress', () => {
  const r = new WalChangeReader({ tablespace: 1663, database: 5, relfilenode: 16384 });
  r.line(rec('Heap', 800, '0/02000028', `DELETE off 1 flags 0x00 KEYS_UPDATED , ${REL}`));
  assert.deepEqual(r.result().map((t) => [t.xid, t.deleted, t.outcome, t.at]), [[800, 1, 'in-progress', undefined]]);
});
