// Following a table back across TRUNCATE, VACUUM FULL, CLUSTER and ALTER TABLE … TYPE in PostgreSQL 15's
// pg_waldump lines (test/fixtures/rewrites.waldump.txt), and refusing where the earlier file cannot be told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { WalChangeReader } from '../../src/core/undo/walChanges';
import { pathKey } from '../../src/core/undo/walRecords';

const LINES = readFileSync(path.join(__dirname, '../fixtures/rewrites.waldump.txt'), 'utf8').split('\n');
const ORDERS_OID = 16386;

function read(relfilenode: number, lines: readonly string[] = LINES): WalChangeReader {
  const r = new WalChangeReader({ tablespace: 1663, database: 16385, relfilenode });
  for (const line of lines) r.line(line);
  return r;
}

test('paths of Storage and Transaction records are keyed as block references name files; forks are not files', () => {
  assert.equal(pathKey('base/16385/16396'), '1663/16385/16396');
  assert.equal(pathKey('pg_tblspc/16390/PG_15_202209061/16385/16396'), '16390/16385/16396');
  assert.equal(pathKey('global/1262'), '1664/0/1262');
  assert.equal(pathKey('base/16385/16396_vm'), undefined);
});

test('five rewrites later, the insert and the DELETE in the first file are still listed, each rewrite with how it wrote the new file', () => {
  // After TRUNCATE audit, orders the table is in 16428; the live server would say 16427 is audit's, here it is not asked.
  const { transactions, rewrites } = read(16428).resolve({ tableOid: ORDERS_OID });
  assert.deepEqual(transactions.map((t) => [t.xid, t.inserted, t.deleted, t.outcome]), [
    [729, 5, 0, 'committed'],
    [730, 0, 5, 'committed'],
    [734, 3, 0, 'committed'],
    [739, 3, 0, 'committed'],
  ]);
  assert.equal(transactions[1]?.at?.toISOString(), '2026-12-02T21:43:20.693Z');
  assert.deepEqual(rewrites.map((w) => [w.xid, w.how, w.newRelfilenode, w.earlierRelfilenodes, w.followed]), [
    [732, 'emptied', 16396, [16386], true],
    [735, 'copied', 16400, [16396], true],
    [737, 'copied', 16406, [16400], true],
    [739, 'rewritten', 16414, [16406], true],
    [744, 'emptied', 16428, [16414], true],
  ]);
  // CLUSTER dropped a file VACUUM FULL had filled with page images, not rows: it is looked through.
  assert.match(rewrites[3]?.why ?? '', /followed back through 2 earlier rewrites into the file 16396/);
  assert.equal(rewrites[0]?.at?.toISOString(), '2026-12-02T21:43:20.719Z');
});

test('each step of the chain stops where its own file was made: after the TRUNCATE, after VACUUM FULL, and at the table as created', () => {
  assert.deepEqual(read(16396).resolve({ tableOid: ORDERS_OID }).rewrites.map((w) => w.xid), [732]);
  const vacuumFull = read(16400).resolve({ tableOid: ORDERS_OID });
  assert.deepEqual([vacuumFull.transactions.map((t) => t.xid), vacuumFull.rewrites.map((w) => w.xid)], [[729, 730, 734], [732, 735]]);
  const created = read(16386).resolve({ tableOid: ORDERS_OID });
  assert.deepEqual([created.transactions.map((t) => t.xid), created.rewrites], [[729, 730], []]);
});

test('a transaction that gave another live table a new file too is reported and not followed', () => {
  const r = read(16428);
  const made = r.filesMadeWithCurrent().map((f) => f.relfilenode);
  assert.deepEqual(made.sort(), [16427, 16428, 16429, 16430, 16431]);
  const owners = new Map<string, 'table' | 'other'>([['1663/16385/16427', 'other'], ...[16428, 16429, 16430, 16431].map((n) => [`1663/16385/${n}`, 'table'] as [string, 'table'])]);
  const { transactions, rewrites } = r.resolve({ tableOid: ORDERS_OID, owners });
  assert.deepEqual(transactions, []);
  assert.deepEqual(rewrites.map((w) => [w.xid, w.followed]), [[744, false]]);
  assert.match(rewrites[0]?.why ?? '', /gave 1 file of other tables a new file too/);
});

test('two dropped files that held rows cannot be told apart: the rewrite says which, and nothing earlier is claimed', () => {
  // A DELETE in the old TOAST table (16389) as well as in the heap before the TRUNCATE.
  const toastRow = LINES.find((l) => /tx: +730,.*DELETE/.test(l))?.replace('rel 1663/16385/16386 ', 'rel 1663/16385/16389 ');
  assert.ok(toastRow);
  const lines = [...LINES];
  lines.splice(lines.findIndex((l) => /tx: +730,.*DELETE/.test(l)), 0, toastRow);
  const { transactions, rewrites } = read(16396, lines).resolve({ tableOid: ORDERS_OID });
  assert.deepEqual(transactions.map((t) => t.xid), [734]);
  assert.deepEqual(rewrites.map((w) => [w.xid, w.followed, w.earlierRelfilenodes.sort()]), [[732, false, [16386, 16389]]]);
  assert.match(rewrites[0]?.why ?? '', /dropped 2 earlier files that held rows .* cannot be told apart/);
});

test('a rewrite that dropped more files than it made (a table dropped with it) is not followed', () => {
  const lines = LINES.map((l) => (/tx: +732, .*COMMIT/.test(l) ? l.replace('; rels: ', '; rels: base/16385/16393 ') : l));
  const { rewrites } = read(16396, lines).resolve({ tableOid: ORDERS_OID });
  assert.deepEqual(rewrites.map((w) => [w.xid, w.followed]), [[732, false]]);
  assert.match(rewrites[0]?.why ?? '', /dropped 5 files but made only 4/);
});

test('the rewrite that made the current file, its commit not yet in the WAL read, is reported as not followed', () => {
  const lines = LINES.filter((l) => !/tx: +744, .*COMMIT/.test(l));
  const { transactions, rewrites } = read(16428, lines).resolve({ tableOid: ORDERS_OID });
  assert.deepEqual(transactions, []);
  assert.deepEqual(rewrites.map((w) => [w.xid, w.followed, w.at]), [[744, false, undefined]]);
  assert.match(rewrites[0]?.why ?? '', /commit is not in the WAL read/);
});

test('a rolled-back TRUNCATE and a truncate of a table made in the same transaction change nothing', () => {
  // 741 made 16420… and rolled back; 743 made 16424 and truncated it in place (a Storage TRUNCATE, no new file).
  const { transactions, rewrites } = read(16424).resolve({ tableOid: 16424 });
  assert.deepEqual(rewrites, []);
  assert.deepEqual(transactions.map((t) => [t.xid, t.inserted, t.outcome]), [[743, 2, 'committed']]);
});

test('a TRUNCATE inside a savepoint is followed and reported as its top-level transaction, whose rows include the savepoint\'s', () => {
  // BEGIN; DELETE … WHERE id = 1; SAVEPOINT s; TRUNCATE orders; INSERT …; RELEASE s; COMMIT (xid 728, subtransaction 729).
  const lines = readFileSync(path.join(__dirname, '../fixtures/rewrite-in-savepoint.waldump.txt'), 'utf8').split('\n');
  const { transactions, rewrites } = read(16393, lines).resolve({ tableOid: 16386 });
  assert.deepEqual(transactions.map((t) => [t.xid, t.inserted, t.deleted, t.outcome]), [
    [727, 4, 0, 'committed'],
    [728, 1, 1, 'committed'],
  ]);
  assert.deepEqual(rewrites.map((w) => [w.xid, w.how, w.newRelfilenode, w.earlierRelfilenodes, w.followed]), [[728, 'rewritten', 16393, [16386], true]]);
});
