// `pgbr recover-table --before-xid | --before-time`: which of the three requests the options make, the base
// backup chosen for a target (and the refusal when none ended before it), the dump fallback's refusals,
// and the text report (comparison, samples, what was done, source, durations).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/pgbr';
import { recoverRequest, renderRecoverTable } from '../../src/cli/recoverTableCommand';
import type { BaseBackupEntry, BaseBackupRecord } from '../../src/core/physical';
import type { DrillSource } from '../../src/core/pitr/drill';
import { chooseBaseBackup, choosePast, type RecoverTableOptions, type RecoverTableReport } from '../../src/core/undo';

function backup(name: string, stopTime: string, more: Partial<BaseBackupEntry> = {}, profile = 'shop'): BaseBackupEntry {
  return { path: `/backups/${name}`, recordPath: `/backups/${name}.basebackup.json`, record: { name, profile, stopTime, format: 'plain' } as BaseBackupRecord, missing: false, ...more };
}

const backups = [backup('b1', '2026-12-01T03:00:05Z'), backup('b3', '2026-12-01T15:00:00Z'), backup('b2', '2026-12-01T09:00:00Z'), backup('other', '2026-12-01T14:00:00Z', {}, 'elsewhere')];

test('exactly one of --before-xid, --before-time and --list-transactions', () => {
  assert.deepEqual(recoverRequest({ listTransactions: true }), { kind: 'list' });
  assert.deepEqual(recoverRequest({ beforeXid: ' 812 ' }), { kind: 'recover', target: { beforeXid: '812' } });
  assert.deepEqual(recoverRequest({ beforeTime: '2026-12-01 16:47:03 Europe/Berlin', mode: 'replace', yes: true }), { kind: 'recover', target: { beforeTime: new Date('2026-12-01T15:47:03Z') } });
  assert.throws(() => recoverRequest({}), /^PgbrError: give exactly one of --before-xid X, --before-time T and --list-transactions: list the transactions first/);
  assert.throws(() => recoverRequest({ beforeXid: '812', beforeTime: '2026-12-01T15:00:00Z' }), /\(--before-xid and --before-time were given\)/);
  assert.throws(() => recoverRequest({ beforeXid: '812', listTransactions: true }), /\(--list-transactions and --before-xid were given\)/);
});

test('a malformed xid or time, and change options with --list-transactions, are usage errors', () => {
  for (const bad of ['abc', '-5', '12.5', '2']) assert.throws(() => recoverRequest({ beforeXid: bad }), new RegExp(`--before-xid ${bad} is not a transaction id`));
  assert.deepEqual(recoverRequest({ beforeXid: '3' }), { kind: 'recover', target: { beforeXid: '3' } });
  assert.throws(() => recoverRequest({ beforeTime: '2026-12-01 15:00' }), /^PgbrError: --before-time: "2026-12-01 15:00" has no time zone/);
  assert.throws(() => recoverRequest({ listTransactions: true, mode: 'replace', yes: true }), /^PgbrError: --mode, --yes only go with --before-xid or --before-time/);
  assert.throws(() => recoverRequest({ listTransactions: true, dryRun: true }), /--dry-run only go/);
  assert.throws(() => recoverRequest({ beforeXid: '812', from: '2026-12-01T15:00:00Z', until: '2026-12-01T16:00:00Z' }), /^PgbrError: --until, --from only go with --list-transactions/);
});

test('pgbr recover-table: no target, or an unknown --mode, exits 2 before connecting', async () => {
  for (const [args, message] of [
    [[], /^pgbr: give exactly one of --before-xid X/],
    [['--before-xid', '812', '--mode', 'merge'], /argument 'merge' is invalid\. Allowed choices are new-table, missing-rows, replace/],
  ] as const) {
    let err = '';
    const io = { out: () => {}, err: (s: string) => void (err += s), env: {} };
    const code = await main(['recover-table', '--conn', 'nosuch', '--db', 'shop', '--table', 'orders', ...args], io);
    assert.equal(code, 2, err);
    assert.match(err, message);
  }
});

test('the newest base backup of the connection that ended before the target, on each side of the boundary', () => {
  const at = (iso: string) => ({ beforeTime: new Date(iso) });
  assert.equal(chooseBaseBackup(backups, 'shop', at('2026-12-01T15:47:03Z')).record.name, 'b3');
  // Ending at the very moment is not before it: the one before is chosen.
  assert.equal(chooseBaseBackup(backups, 'shop', at('2026-12-01T15:00:00Z')).record.name, 'b2');
  assert.equal(chooseBaseBackup(backups, 'shop', at('2026-12-01T15:00:00.001Z')).record.name, 'b3');
  // Another connection's backup, and one whose folder is gone, are never chosen.
  assert.equal(chooseBaseBackup(backups, 'shop', at('2026-12-01T14:30:00Z')).record.name, 'b2');
  assert.equal(chooseBaseBackup([...backups, backup('gone', '2026-12-01T15:30:00Z', { missing: true })], 'shop', at('2026-12-01T15:47:03Z')).record.name, 'b3');
  // An xid: by when it ended.
  assert.equal(chooseBaseBackup(backups, 'shop', { beforeXid: '812' }, new Date('2026-12-01T10:00:00Z')).record.name, 'b2');
});

test('no base backup ended before the target: the oldest is named, and what to do', () => {
  assert.throws(
    () => chooseBaseBackup(backups, 'shop', { beforeTime: new Date('2026-12-01T03:00:05Z') }, undefined, 'UTC'),
    /^PgbrError: no base backup of shop ended before the moment wanted \(just before 2026-12-01 03:00:05 UTC\): the oldest, b1, ended 2026-12-01 03:00:05 UTC\. Recover from an older backup or a dump taken before then\.$/,
  );
  assert.throws(
    () => chooseBaseBackup(backups, 'shop', { beforeXid: '812' }, new Date('2026-12-01T02:00:00Z'), 'UTC'),
    /\(just before xid 812, which ended 2026-12-01 02:00:00 UTC\): the oldest, b1/,
  );
  assert.throws(() => chooseBaseBackup(backups, 'shop', { beforeXid: '812' }), /when the transaction \(just before xid 812\) ended is not known/);
  assert.throws(() => chooseBaseBackup(backups, 'nobody', { beforeXid: '812' }, new Date()), /there is no base backup of nobody to recover the table from: take one with pgbr basebackup/);
});

const opts = (more: Partial<RecoverTableOptions>): RecoverTableOptions => ({
  live: { params: { host: 'localhost', port: 1, user: 'u', database: 'shop' } },
  connection: 'shop',
  database: 'shop',
  table: { schema: 'public', name: 'orders' },
  target: { beforeTime: new Date('2026-12-01T15:47:03Z') },
  sources: {},
  binDir: '/nowhere',
  timeZone: 'UTC',
  clock: () => new Date('2026-12-02T00:00:00Z'),
  ...more,
});

test('which past: pgBackRest first, then a base backup with the archive, else a dump; without WAL an xid cannot pick a dump', async () => {
  const source = { label: 'stanza main' } as DrillSource;
  assert.equal((await choosePast(opts({ sources: { backrest: source, baseBackups: backups, archiveDir: '/wal' } }))).kind, 'backrest');
  const chosen = await choosePast(opts({ sources: { baseBackups: backups, archiveDir: '/wal' } }));
  assert.equal(chosen.kind === 'base-backup' && `${chosen.backup.record.name} ${chosen.archiveDir}`, 'b3 /wal');
  // Base backups without an archive cannot be replayed: the dumps are looked at, and there are none.
  await assert.rejects(
    choosePast(opts({ sources: { baseBackups: backups, dumps: [] } })),
    /^PgbrError: there is no base backup of shop with a WAL archive, and no dump of shop taken before 2026-12-01 15:47:03 UTC holds public\.orders's rows: take base backups with WAL archiving, or dumps, to be able to go back\.$/,
  );
  await assert.rejects(choosePast(opts({ target: { beforeXid: '812' } })), /and without WAL the transaction \(just before xid 812\) cannot be placed in time to pick a dump taken before it: give --before-time/);
});

const report: RecoverTableReport = {
  table: 'public.orders',
  target: { beforeXid: '812', endedAt: '2026-12-01T15:47:03.120Z', text: 'just before xid 812' },
  source: 'base backup shop-20261201 with WAL to just before xid 812',
  comparison: {
    pastRows: 1204,
    liveRows: 3,
    missing: 1203,
    differ: 1,
    added: 2,
    by: 'primary key',
    key: ['id'],
    samples: { missing: ['(1,"Ann Lee")', '(2,Bob)'], differ: [{ then: '(7,old)', now: '(7,new)' }], added: ['(5000,x)', '(5001,y)'] },
  },
  bringBack: {
    mode: 'missing-rows',
    table: 'public.orders',
    source: 'base backup shop-20261201 with WAL to just before xid 812',
    dryRun: false,
    counts: { pastRows: 1204, liveRows: 3, missing: 1203, differ: 1, added: 2, inserted: 1203, updated: 0, deleted: 0 },
    lock: 'SHARE ROW EXCLUSIVE on public.orders from the comparison to the commit (reads go on, writes wait)',
    sequenceFixes: [],
    fkProblems: [],
    durations: { stageMs: 40, compareMs: 10, applyMs: 30 },
    notes: ['Rows there now are left as they are, also where they differ from the past version.'],
  },
  durations: { recoverMs: 4321, compareMs: 60, applyMs: 95, totalMs: 4480 },
};

test('the text report: target, source, comparison with samples, what was done, recovery time', () => {
  const text = renderRecoverTable(report);
  const lines = text.split('\n');
  assert.equal(lines[0], 'public.orders as it was just before xid 812 (it ended 2026-12-01 15:47:03 UTC), from base backup shop-20261201 with WAL to just before xid 812.');
  assert.equal(lines[1], 'Compared by key (id): 1,204 rows then, 3 rows now; 1,203 rows missing now, 1 row differ, 2 rows added since.');
  assert.deepEqual(lines.slice(2, 11), ['  missing now (2 of 1,203):', '    (1,"Ann Lee")', '    (2,Bob)', '  differ:', '    then (7,old)', '    now  (7,new)', '  added since:', '    (5000,x)', '    (5001,y)']);
  assert.ok(lines.includes('1,203 rows were brought back; rows that are there now were left as they are.'), text);
  // The source and the counts are said once, at the top.
  assert.equal(lines.filter((l) => l.includes('shop-20261201')).length, 1);
  assert.equal(lines.filter((l) => l.includes(' then, ')).length, 1);
  assert.ok(lines.includes('Lock: SHARE ROW EXCLUSIVE on public.orders from the comparison to the commit (reads go on, writes wait).'), text);
  assert.equal(lines.at(-1), 'Recovery time: 4.5 s in all (scratch server up with the past table 4.3 s, comparing 0.1 s, bringing back 0.1 s).');
});

test('the text report of a dump, a whole-row comparison and a preview', () => {
  const text = renderRecoverTable({
    ...report,
    target: { beforeTime: '2026-12-01T15:47:03.000Z', text: 'just before 2026-12-01 15:47:03 UTC' },
    source: 'dump shop_20261201-030000.dump of 2026-12-01 03:00:04 UTC',
    dump: { name: 'shop_20261201-030000.dump', takenAt: '2026-12-01T03:00:04Z', lostMs: 1, message: 'the newest dump with public.orders is shop_20261201-030000.dump of 2026-12-01 03:00:04 UTC: changes after it are lost (12 h 47 min before now)' },
    comparison: { ...report.comparison, by: 'whole row', differ: 0, samples: { missing: [], differ: [], added: [] }, costMessage: 'public.orders has no primary key (…), so rows were compared whole.' },
    bringBack: undefined,
  });
  const lines = text.split('\n');
  assert.equal(lines[0], 'public.orders as it was just before 2026-12-01 15:47:03 UTC, from dump shop_20261201-030000.dump of 2026-12-01 03:00:04 UTC.');
  assert.equal(lines[1], 'The newest dump with public.orders is shop_20261201-030000.dump of 2026-12-01 03:00:04 UTC: changes after it are lost (12 h 47 min before now).');
  assert.match(lines[2] ?? '', /^Compared whole row: 1,204 rows then/);
  assert.equal(lines[3], 'public.orders has no primary key (…), so rows were compared whole.');
  assert.equal(lines[4], 'Compared only: nothing was brought back.');
});
