// How `pgbr recover-table --list-transactions` words a rewrite: followed, or what cannot be followed and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteLine } from '../../src/cli/undoCommands';

const at = new Date('2026-12-01T15:50:01Z');

test('a followed rewrite names how it wrote the new file and where the earlier rows are', () => {
  const line = rewriteLine({ xid: 812, at, lsn: '0/3000028', how: 'copied', newRelfilenode: 16400, earlierRelfilenodes: [16396], followed: true, why: 'followed into the earlier file 16396' }, 'public.orders');
  assert.match(line, /^xid 812 rewrote public\.orders at .*\d\d:\d\d:01 .*\(VACUUM FULL or CLUSTER\): followed into the earlier file 16396\.$/);
});

test('a rewrite that cannot be followed says so, with the files it could not tell apart and why', () => {
  const line = rewriteLine(
    { xid: 812, at, how: 'emptied', newRelfilenode: 16428, earlierRelfilenodes: [16386, 16389], followed: false, why: 'it dropped 2 earlier files that held rows in the WAL read (…), and they cannot be told apart' },
    'public.orders',
  );
  assert.match(line, /^xid 812 rewrote public\.orders at .* \(TRUNCATE, or VACUUM FULL of a table without rows\); changes before it are in an earlier file this reader cannot tell apart \(files 16386, 16389\): it dropped 2 earlier files/);
  const pending = rewriteLine({ xid: 900, how: 'rewritten', newRelfilenode: 16500, earlierRelfilenodes: [], followed: false, why: 'its commit is not in the WAL read, so the files it replaced are not known' }, 'public.orders');
  assert.equal(pending, 'xid 900 rewrote public.orders (ALTER TABLE … TYPE, or TRUNCATE and inserts); changes before it are in an earlier file this reader cannot tell apart: its commit is not in the WAL read, so the files it replaced are not known.');
});
