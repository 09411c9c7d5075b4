// How `pgbr recover-table --list-transactions` words a rewrite (followed, or what cannot be followed and why),
// and how it reads its time window: --since/--until, or the same as --from/--to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { main } from '../../src/cli/pgbr';
import { addUndoCommands, rewriteLine, transactionWindow } from '../../src/cli/undoCommands';

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

/** The options commander reads from `args` for recover-table, without running it. */
function parsed(args: string[]): Record<string, string | boolean | undefined> {
  const program = new Command('pgbr');
  addUndoCommands(program, { io: { out: () => {}, err: () => {}, env: {} }, exit: () => {} });
  const command = program.commands.find((c) => c.name() === 'recover-table') as Command;
  const rest = command.parseOptions(args);
  assert.deepEqual([rest.operands, rest.unknown], [[], []]);
  return command.opts();
}

const t1 = '2026-12-01 15:00 Europe/Berlin';
const t2 = '2026-12-01T15:30:00Z';

test('--from and --to give the same window as --since and --until', () => {
  const aliases = parsed(['--conn', 'c', '--db', 'shop', '--table', 'orders', '--list-transactions', '--from', t1, '--to', t2]);
  assert.equal(aliases.from, t1);
  assert.equal(aliases.to, t2);
  const names = parsed(['--conn', 'c', '--db', 'shop', '--table', 'orders', '--list-transactions', '--since', t1, '--until', t2]);
  const window = { since: Date.parse('2026-12-01T14:00:00Z'), until: Date.parse('2026-12-01T15:30:00Z') };
  assert.deepEqual(transactionWindow(aliases), window);
  assert.deepEqual(transactionWindow(names), window);
  // Either end alone, and each spelling mixed with the other's.
  assert.deepEqual(transactionWindow({ from: t1 }), { since: window.since });
  assert.deepEqual(transactionWindow({ to: t2 }), { until: window.until });
  assert.deepEqual(transactionWindow({ since: t1, to: t2 }), window);
  assert.deepEqual(transactionWindow({}), {});
});

test('one end given both ways, an unreadable time, and a window that ends before it begins are usage errors naming the option', () => {
  assert.throws(() => transactionWindow({ since: t1, from: t1 }), /^PgbrError: --since and --from are the same option: give one of them\.$/);
  assert.throws(() => transactionWindow({ until: t2, to: t2 }), /--until and --to are the same option/);
  assert.throws(() => transactionWindow({ from: 'yesterday' }), /^PgbrError: --from: "yesterday" is not a recovery target time/);
  assert.throws(() => transactionWindow({ to: '2026-12-01 15:00' }), /^PgbrError: --to: "2026-12-01 15:00" has no time zone/);
  // Boundaries: an empty window of one instant is allowed, a millisecond the wrong way round is not.
  assert.deepEqual(transactionWindow({ from: t2, to: t2 }), { since: Date.parse(t2), until: Date.parse(t2) });
  assert.throws(() => transactionWindow({ from: '2026-12-01T15:30:00.001Z', to: t2 }), /the window ends before it begins \(--to 2026-12-01T15:30:00Z is before --from 2026-12-01T15:30:00\.001Z\): swap them/);
  assert.throws(() => transactionWindow({ since: t2, until: t1 }), /\(--until 2026-12-01 15:00 Europe\/Berlin is before --since 2026-12-01T15:30:00Z\)/);
});

test('pgbr recover-table --from with an unreadable time exits 2 before connecting, and says which option', async () => {
  let err = '';
  const io = { out: () => {}, err: (s: string) => void (err += s), env: {} };
  const code = await main(['recover-table', '--conn', 'nosuch', '--db', 'shop', '--table', 'orders', '--list-transactions', '--from', 'yesterday'], io);
  assert.equal(code, 2);
  assert.match(err, /^pgbr: --from: "yesterday" is not a recovery target time/);
});
