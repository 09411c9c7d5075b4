// Timeline history and backup history files as PostgreSQL 15 writes them, and the times in them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBackupHistory, parsePgTime, parseTimelineHistory } from '../../src/core/wal/history';

// Written by a PostgreSQL 15 standby promoted after replaying the archive (1 MiB segments).
const PROMOTED_HISTORY = '1\t0/1D00000\tno recovery target specified\n';

// Timeline 3's file lists every ancestor: 1 ended at 0/5000100, then 2 at 0/9A0B1C8 (a PITR to a time).
const THIRD_HISTORY = `1\t0/5000100\tno recovery target specified

2\t0/9A0B1C8\tbefore 2026-11-22 07:30:00+00
`;

// pg_backup_stop's file for `pg_basebackup -l nightly` on PostgreSQL 15.
const BACKUP_FILE = `START WAL LOCATION: 0/D00028 (file 00000001000000000000000D)
STOP WAL LOCATION: 0/D00100 (file 00000001000000000000000D)
CHECKPOINT LOCATION: 0/D00060
BACKUP METHOD: streamed
BACKUP FROM: primary
START TIME: 2026-11-22 07:33:20 UTC
LABEL: nightly
START TIMELINE: 1
STOP TIME: 2026-11-22 07:33:22 UTC
STOP TIMELINE: 1
`;

test('reads a promoted timeline history file', () => {
  assert.deepEqual(parseTimelineHistory(PROMOTED_HISTORY, 2), {
    ok: true,
    value: [{ parentTli: 1, switchLsn: '0/1D00000', reason: 'no recovery target specified' }],
  });
});

test('reads every ancestor, skipping blank and comment lines', () => {
  const result = parseTimelineHistory(`# made by hand\n${THIRD_HISTORY}`, 3);
  assert.deepEqual(result, {
    ok: true,
    value: [
      { parentTli: 1, switchLsn: '0/5000100', reason: 'no recovery target specified' },
      { parentTli: 2, switchLsn: '0/9A0B1C8', reason: 'before 2026-11-22 07:30:00+00' },
    ],
  });
  // Old servers wrote no reason, and CRLF survives a copy through Windows.
  assert.deepEqual(parseTimelineHistory('1\t0/3000000\r\n', 2), { ok: true, value: [{ parentTli: 1, switchLsn: '0/3000000', reason: '' }] });
});

test('rejects history files recovery would reject, saying which line', () => {
  assert.deepEqual(parseTimelineHistory('', 2), { ok: false, reason: 'it lists no parent timeline' });
  assert.deepEqual(parseTimelineHistory('1 0/3000000 x\nnot a line\n', 3), { ok: false, reason: 'line 2 is not "parent timeline, switch LSN, reason"' });
  assert.deepEqual(parseTimelineHistory('2\t0/3000000\n1\t0/4000000\n', 3), { ok: false, reason: 'line 2: timeline IDs must increase' });
  assert.deepEqual(parseTimelineHistory('2\t0/3000000\n', 2), { ok: false, reason: 'line 1: timeline 2 cannot be an ancestor of timeline 2' });
});

test('reads a backup history file', () => {
  assert.deepEqual(parseBackupHistory(BACKUP_FILE), {
    ok: true,
    value: {
      startLsn: '0/D00028',
      startWal: '00000001000000000000000D',
      stopLsn: '0/D00100',
      stopWal: '00000001000000000000000D',
      checkpointLsn: '0/D00060',
      method: 'streamed',
      from: 'primary',
      label: 'nightly',
      startTime: new Date('2026-11-22T07:33:20Z'),
      startTimeText: '2026-11-22 07:33:20 UTC',
      stopTime: new Date('2026-11-22T07:33:22Z'),
      stopTimeText: '2026-11-22 07:33:22 UTC',
      startTimeline: 1,
      stopTimeline: 1,
    },
  });
});

test('a label may hold a colon; a file without locations is refused', () => {
  const withColon = parseBackupHistory(BACKUP_FILE.replace('LABEL: nightly', 'LABEL: nightly: db1 before upgrade'));
  assert.ok(withColon.ok);
  assert.equal(withColon.value.label, 'nightly: db1 before upgrade');
  assert.deepEqual(parseBackupHistory(BACKUP_FILE.replace(/^STOP WAL.*\n/m, '')), { ok: false, reason: 'it has no readable STOP WAL LOCATION line' });
  assert.deepEqual(parseBackupHistory('garbage'), { ok: false, reason: 'it has no readable START WAL LOCATION line' });
});

test('an ambiguous time zone keeps the text and gives no time', () => {
  const result = parseBackupHistory(BACKUP_FILE.replace('STOP TIME: 2026-11-22 07:33:22 UTC', 'STOP TIME: 2026-11-22 13:03:22 IST'));
  assert.ok(result.ok);
  assert.equal(result.value.stopTime, undefined);
  assert.equal(result.value.stopTimeText, '2026-11-22 13:03:22 IST');
});

test('times in the zones tzdata writes', () => {
  const utc = new Date('2026-11-22T07:00:01Z').getTime();
  assert.equal(parsePgTime('2026-11-22 07:00:01 UTC')?.getTime(), utc);
  assert.equal(parsePgTime('2026-11-22 07:00:01 GMT')?.getTime(), utc);
  assert.equal(parsePgTime('2026-11-22 08:00:01 CET')?.getTime(), utc);
  assert.equal(parsePgTime('2026-07-22 09:00:01 CEST')?.getTime(), new Date('2026-07-22T07:00:01Z').getTime());
  assert.equal(parsePgTime('2026-11-22 02:00:01 EST')?.getTime(), utc);
  // Zones without an abbreviation print as offsets (America/Sao_Paulo: -03, Asia/Kolkata would be +0530).
  assert.equal(parsePgTime('2026-11-22 04:00:01 -03')?.getTime(), utc);
  assert.equal(parsePgTime('2026-11-22 12:30:01 +0530')?.getTime(), utc);
  assert.equal(parsePgTime('2026-11-22 12:30:01 +05:30')?.getTime(), utc);
  for (const unknown of ['2026-11-22 07:00:01 CST', '2026-11-22 07:00:01 IST', '2026-11-22 07:00:01 XYZ', '2026-11-22', 'yesterday']) {
    assert.equal(parsePgTime(unknown), undefined, unknown);
  }
});
