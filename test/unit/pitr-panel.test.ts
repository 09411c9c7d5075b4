// The PITR panel's words and checks that need no editor: a bad value is pinned to its field; times are written for people.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_PITR_FORM, type PitrForm } from '../../webview/protocol';
import { FieldError, planFromForm } from '../../src/pitr/steps';
import { baseBackupDetail, drillView, restorePointDetail, windowLines } from '../../src/pitr/text';
import { restorePointsOf, type RecordedRestorePoint } from '../../src/core/physical/restorePoints';
import type { BaseBackupRecord } from '../../src/core/physical';
import type { DrillReport } from '../../src/core/pitr/drill';
import { endedEarlyMessage, parsePostgresTime, reachedMessage, stopLineText } from '../../src/core/pitr/drillText';

const when = { now: new Date('2026-11-22T14:20:00Z'), timeZone: 'Europe/Berlin' };
const ISO_FRACTION = /\d{4}-\d{2}-\d{2}T|\.\d{3}|\d{2}:\d{2}:\d{2}\.\d/;

const form: PitrForm = { ...EMPTY_PITR_FORM, baseBackup: '/b', archive: '/a', targetKind: 'time', targetTime: '2026-11-22 14:30:00', targetZone: 'Europe/Berlin' };

function fieldOf(f: PitrForm): string | undefined {
  try {
    planFromForm(f);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof FieldError, String(e));
    return `${e.field}: ${e.message}`;
  }
}

test('a target value that cannot be read is an error of its own field, with what to type', () => {
  assert.equal(fieldOf(form), undefined);
  assert.match(fieldOf({ ...form, targetTime: '2026-13-45 25:00' }) ?? '', /^targetTime: "2026-13-45 25:00" is not a real date and time: check the day, month and hour\.$/);
  assert.match(fieldOf({ ...form, targetTime: 'yesterday' }) ?? '', /^targetTime: "yesterday" is not a recovery target time: give a date, a time and a time zone/);
  assert.match(fieldOf({ ...form, targetZone: 'Mars/Olympus' }) ?? '', /^targetTime: "Mars\/Olympus" is not a time zone/);
  assert.match(fieldOf({ ...form, targetKind: 'lsn', targetLsn: '12345' }) ?? '', /^targetLsn: "12345" is not an LSN/);
  assert.match(fieldOf({ ...form, targetKind: 'xid', targetXid: 'abc' }) ?? '', /^targetXid: /);
  assert.match(fieldOf({ ...form, targetKind: 'name', targetName: '' }) ?? '', /^targetName: the restore point name is empty/);
  assert.match(fieldOf({ ...form, timeline: 'newest' }) ?? '', /^timeline: timeline "newest" is not latest, current or a timeline number/);
  assert.equal(fieldOf({ ...form, targetKind: 'latest', targetTime: 'not looked at' }), undefined);
});

const record = { profile: 'shop', stopTime: '2026-11-22T13:00:00.123Z', stopLsn: '0/2000100' } as BaseBackupRecord;
const point: RecordedRestorePoint = { name: 'p', lsn: '0/5000028', time: '2026-11-22T14:17:05.987Z', timeline: 1, walFile: '000000010000000000000005', profile: 'shop', host: 'db1', port: 5432 };

test('dropdowns and the window say local time with zone, seconds and age, never ISO with milliseconds', () => {
  assert.equal(baseBackupDetail(record, when), 'shop, ended today 14:00:00 UTC+1 · 1 h ago at 0/2000100');
  assert.equal(restorePointDetail(point, when), 'shop, made today 15:17:05 UTC+1 · 2 min ago at 0/5000028');
  const lines = windowLines(
    {
      backups: [],
      earliest: { lsn: '0/2000100', timeline: 1, time: new Date('2026-11-22T13:00:00.5Z'), exact: true, source: 'STOP TIME', backup: 'b' },
      latest: { lsn: '0/9000000', timeline: 1, time: new Date('2026-11-22T14:12:00Z'), exact: false, source: 'archived', backup: 'b' },
    },
    when,
  );
  assert.deepEqual(lines, ['recoverable from today 14:00:00 UTC+1 · 1 h ago (0/2000100) to today 15:12:00 UTC+1 · 8 min ago (0/9000000) (end estimated from file times)']);
  assert.deepEqual(windowLines({ backups: [], note: 'no base backup is known' }, when), ['no base backup is known']);
});

test('restore points of the backup\'s server only; points recorded without a server are kept', () => {
  const other = { ...point, host: 'db2' };
  const old = { ...point, host: undefined, port: undefined };
  assert.deepEqual(restorePointsOf([point, other, old], { host: 'db1', port: 5432 }), [point, old]);
  assert.deepEqual(restorePointsOf([point, { ...point, port: 5433 }], { host: 'db1', port: 5432 }), [point]);
  assert.equal(restorePointsOf([point, other]).length, 2);
});

test('PostgreSQL times from the log and from queries are read, to the millisecond, in their offset', () => {
  assert.equal(parsePostgresTime('2026-11-22 14:30:05.123456+01')?.toISOString(), '2026-11-22T13:30:05.123Z');
  assert.equal(parsePostgresTime('2026-11-22T13:30:05.123456Z')?.toISOString(), '2026-11-22T13:30:05.123Z');
  assert.equal(parsePostgresTime('2026-11-22 08:00:00-05:30')?.toISOString(), '2026-11-22T13:30:00.000Z');
  assert.equal(parsePostgresTime('2026-11-22 13:30:05')?.toISOString(), '2026-11-22T13:30:05.000Z');
  assert.equal(parsePostgresTime('last Tuesday'), undefined);
});

test('a drill report writes the last commit for people, in the panel and in its message', () => {
  const report = {
    status: 'reached',
    message: '',
    recoveredLsn: '0/5000100',
    recoveredTime: '2026-11-22T14:17:04.123456Z',
    timeline: 1,
    databases: [{ name: 'shop', tables: [{ schema: 'public', table: 'customers', rows: 1 }] }],
    settings: [],
    logTail: [],
    port: 5999,
    durations: { restoreMs: 1000, startMs: 0, recoverMs: 2000, inspectMs: 0, stopMs: 0, totalMs: 3500 },
  } as unknown as DrillReport;
  const view = drillView(report, when);
  assert.equal(view.recoveredTime, 'today 15:17:04 UTC+1 · 2 min ago');
  assert.equal(view.durationText, '3.5 s (recovery 2.0 s)');
  assert.equal(
    reachedMessage(report, 'recovery stopping at restore point "p", time 2026-11-22 14:17:05.987+00', when),
    'recovered to 0/5000100 (last transaction committed today 15:17:04 UTC+1 · 2 min ago): recovery stopping at restore point "p", time today 15:17:05 UTC+1 · 2 min ago; 1 table, 1 row in 1 database.',
  );
  const early = endedEarlyMessage({ redoDone: '0/6000060', lastTransaction: '2026-11-22 14:10:00.5+00' }, when);
  assert.match(early, /ran out at 0\/6000060 \(last transaction committed today 15:10:00 UTC\+1 · 9 min ago\), so the server stopped/);
  assert.doesNotMatch(view.recoveredTime ?? '', ISO_FRACTION);
  const line = 'recovery stopping before commit of transaction 745, time 2026-11-22 14:17:05.123456+00';
  assert.equal(stopLineText(line, when), 'recovery stopping before commit of transaction 745, time today 15:17:05 UTC+1 · 2 min ago');
  assert.equal(stopLineText('recovery stopping after WAL location (LSN) "0/5000100"', when), 'recovery stopping after WAL location (LSN) "0/5000100"');
  assert.match(endedEarlyMessage({ lastTransaction: 'garbled' }, when), /committed garbled\)/);
});
