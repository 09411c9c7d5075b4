// A recovery plan as pgbackrest restore options, the backup set a target needs, and the target checked against the repository's window (fixture: four backups, archive to segment 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseBackrestInfo, type BackrestStanzaInfo } from '../../src/core/backrest/info';
import { restoreOptions, targetOptions } from '../../src/core/backrest/restore';
import { backrestArgs } from '../../src/core/backrest/run';
import { backrestWindow, checkBackrestTarget, chooseBackupSet, segmentSizeOf } from '../../src/core/backrest/window';

const info = (): BackrestStanzaInfo => parseBackrestInfo(readFileSync(path.join(__dirname, '..', 'fixtures', 'backrest', 'info-four-backups.json'), 'utf8'))[0] as BackrestStanzaInfo;
const [FULL, DIFF, INCR1, INCR2] = ['20261202-054530F', '20261202-054530F_20261202-054535D', '20261202-054530F_20261202-054537I', '20261202-054530F_20261202-054548I'];
// The fixture's stop times: 1796190334 (full), …337 (diff), …339, …350 (incrs).
const at = (epoch: number, extra = '') => `${new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ')}${extra}Z`;

test('each target kind maps to --type and its companions; latest takes no action, a name no exclusive', () => {
  assert.deepEqual(targetOptions({ target: { kind: 'latest' } }), ['--type=default', '--target-timeline=latest']);
  assert.deepEqual(targetOptions({ target: { kind: 'immediate' }, action: 'promote' }), ['--type=immediate', '--target-action=promote']);
  assert.deepEqual(targetOptions({ target: { kind: 'time', time: '2026-11-22 14:30:00.25 Europe/Berlin' }, inclusive: false, timeline: 2 }), [
    '--type=time',
    '--target=2026-11-22 14:30:00.25+01',
    '--target-exclusive',
    '--target-action=pause',
    '--target-timeline=2',
  ]);
  assert.deepEqual(targetOptions({ target: { kind: 'lsn', lsn: '0/3000a60' }, action: 'shutdown', timeline: 'current' }), ['--type=lsn', '--target=0/3000A60', '--target-action=shutdown', '--target-timeline=current']);
  assert.deepEqual(targetOptions({ target: { kind: 'xid', xid: '745' } }), ['--type=xid', '--target=745', '--target-action=pause', '--target-timeline=latest']);
  assert.deepEqual(targetOptions({ target: { kind: 'name', name: 'before upgrade' }, inclusive: false }), ['--type=name', '--target=before upgrade', '--target-action=pause', '--target-timeline=latest']);
  assert.throws(() => targetOptions({ target: { kind: 'time', time: '2026-11-22 14:30' } }), /has no time zone/);
  assert.throws(() => targetOptions({ target: { kind: 'latest' }, timeline: 0 }), /not a timeline/);
});

test('restore options: the data directory, the set, archive-mode off by default, --delta only for a non-empty folder the caller agreed to, db-include, tablespaces', () => {
  const req = { recovery: { target: { kind: 'immediate' as const } }, dataDir: '/srv/restore/data' };
  assert.deepEqual(restoreOptions(req, { dataDirEmpty: true, set: FULL }), [
    '--pg1-path=/srv/restore/data',
    '--type=immediate',
    '--target-action=pause',
    `--set=${FULL}`,
    '--archive-mode=off',
    '--log-level-console=detail',
  ]);
  assert.throws(() => restoreOptions(req, { dataDirEmpty: false }), /\/srv\/restore\/data is not empty: .* --delta/);
  assert.ok(!restoreOptions({ ...req, delta: true }, { dataDirEmpty: true }).includes('--delta'), 'an empty folder needs no --delta');
  const full = restoreOptions({ ...req, delta: true, set: DIFF, dbInclude: ['shop', 'crm'], archiveMode: 'preserve', tablespaceMapAll: '/srv/restore/ts' }, { dataDirEmpty: false, set: FULL });
  assert.deepEqual(full.slice(3), [`--set=${DIFF}`, '--delta', '--db-include=shop', '--db-include=crm', '--archive-mode=preserve', '--tablespace-map-all=/srv/restore/ts', '--log-level-console=detail']);
  assert.throws(() => restoreOptions({ ...req, dbInclude: ['a b'] }, { dataDirEmpty: true }), /not a database name/);
});

test('no secret reaches argv: the runner refuses cipher passes and keys whatever builds the options', () => {
  const argv = backrestArgs({ stanza: 'main', config: '/etc/pgbackrest/pgbackrest.conf' }, 'restore', restoreOptions({ recovery: { target: { kind: 'latest' } }, dataDir: '/d' }, { dataDirEmpty: true }));
  assert.equal(argv.at(-1), 'restore');
  assert.ok(argv.every((a) => !/pass|key|secret|token/i.test(a)), argv.join(' '));
  assert.throws(() => backrestArgs({ stanza: 'main' }, 'restore', ['--repo1-cipher-pass=x']), /is a secret and is never passed/);
});

test('the set a target needs: the newest stopped at or before a time or an LSN; the newest otherwise; a named one must exist', () => {
  const i = info();
  assert.equal(chooseBackupSet(i, { kind: 'time', time: at(1796190338) }).label, DIFF);
  assert.equal(chooseBackupSet(i, { kind: 'time', time: at(1796190337) }).label, DIFF, 'a stop time equal to the target counts');
  assert.equal(chooseBackupSet(i, { kind: 'time', time: at(1796190399) }).label, INCR2);
  assert.throws(() => chooseBackupSet(i, { kind: 'time', time: at(1796190333) }), /is before the oldest backup of stanza "demo" stopped .*: no backup in the repository can recover to it/);
  assert.equal(chooseBackupSet(i, { kind: 'lsn', lsn: '0/7000050' }).label, INCR1);
  assert.equal(chooseBackupSet(i, { kind: 'lsn', lsn: '0/6FFFFFF' }).label, DIFF);
  assert.throws(() => chooseBackupSet(i, { kind: 'lsn', lsn: '0/1000000' }), /LSN 0\/1000000 is before the oldest backup/);
  for (const target of [{ kind: 'latest' }, { kind: 'immediate' }, { kind: 'name', name: 'x' }, { kind: 'xid', xid: '900' }] as const) assert.equal(chooseBackupSet(i, target).label, INCR2);
  assert.equal(chooseBackupSet(i, { kind: 'latest' }, FULL).label, FULL);
  assert.throws(() => chooseBackupSet(i, { kind: 'latest' }, '20260101-000000F'), /has no backup set 20260101-000000F \(it has 20261202-054530F, /);
});

test("the window: each backup from its stop to the end of the archive's max segment (16 MiB inferred from the stop LSNs)", () => {
  const i = info();
  assert.equal(segmentSizeOf(i.backups), 16 * 1024 * 1024);
  const w = backrestWindow(i);
  assert.equal(w.backups.length, 4);
  assert.deepEqual(w.backups.map((b) => [b.label, b.from.lsn, b.to.lsn, b.walAfterStop]), [
    [FULL, '0/3000050', '0/A000000', true],
    [DIFF, '0/5000050', '0/A000000', true],
    [INCR1, '0/7000050', '0/A000000', true],
    [INCR2, '0/9000100', '0/A000000', true],
  ]);
  assert.equal(w.latest?.backup, INCR2);
  assert.equal(w.backups[0]?.to.time, undefined, 'info alone does not say when the max segment arrived');
});

test('checks: an LSN past the archive, a time before the chosen set, a future time; an end time from the repository listing bounds a time target', () => {
  const i = info();
  const full = i.backups[0] as (typeof i.backups)[number];
  const lsn = checkBackrestTarget({ kind: 'lsn', lsn: '0/B000000' }, i, i.backups[3] as typeof full);
  assert.equal(lsn.ok, false);
  assert.match(lsn.message, /after the last archived WAL, which ends at 0\/A000000/);
  assert.equal(checkBackrestTarget({ kind: 'lsn', lsn: '0/9FFFFFF' }, i, i.backups[3] as typeof full).ok, true);
  const early = checkBackrestTarget({ kind: 'time', time: at(1796190335) }, i, i.backups[3] as typeof full);
  assert.equal(early.ok, false);
  assert.match(early.message, /before base backup "20261202-054530F_20261202-054548I" ended/);
  const now = new Date(1796190400_000);
  const future = checkBackrestTarget({ kind: 'time', time: at(1796190500) }, i, full, { now });
  assert.equal(future.ok, false);
  assert.match(future.message, /is in the future/);
  const inside = checkBackrestTarget({ kind: 'time', time: at(1796190390) }, i, full, { now });
  assert.equal(inside.ok, true);
  assert.equal(inside.estimate, true);
  assert.match(inside.message, /does not say when its newest segment arrived/);
  const listing = { maxTime: new Date(1796190360_000), timelines: [1] };
  const past = checkBackrestTarget({ kind: 'time', time: at(1796190390) }, i, full, { now, listing });
  assert.equal(past.ok, false);
  assert.match(past.message, /is after the last archived WAL at 2026-12-02 05:46:00 UTC/);
  const tl = checkBackrestTarget({ kind: 'latest' }, i, full, { listing, timeline: 3 });
  assert.equal(tl.ok, false);
  assert.match(tl.message, /timeline 3 is not in the archive \(it has 1\)/);
});
