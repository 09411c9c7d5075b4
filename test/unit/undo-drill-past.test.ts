// The recovery drillPastSource asks for: just before the bad transaction's xid or commit time (exclusive),
// paused there, and how the table's source names that moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRecoverySettings } from '../../src/core/pitr/config';
import { pastRecoveryPlan, pastRecoveryTarget, pastTargetText } from '../../src/core/undo';

const restore = { kind: 'copy' as const, archiveDir: '/srv/wal' };

test('just before an xid: recovery_target_xid, not inclusive, paused there, on the latest timeline', () => {
  const plan = pastRecoveryPlan({ target: { beforeXid: '1234' }, restore });
  assert.deepEqual(renderRecoverySettings({ ...plan, restore }, 'linux'), [
    "restore_command = 'test -f ''/srv/wal/%f'' && cp ''/srv/wal/%f'' \"%p\"'",
    "recovery_target_xid = '1234'",
    'recovery_target_inclusive = off',
    "recovery_target_timeline = 'latest'",
    "recovery_target_action = 'pause'",
    "archive_mode = 'off'",
  ]);
  assert.equal(pastRecoveryPlan({ target: { beforeXid: '1234' }, timeline: 2 }).timeline, 2);
});

test('just before a commit time: recovery_target_time to the millisecond in UTC, exclusive', () => {
  const at = new Date('2026-12-01T15:47:03.125Z');
  assert.deepEqual(pastRecoveryTarget({ beforeTime: at }), { kind: 'time', time: '2026-12-01T15:47:03.125Z' });
  const lines = renderRecoverySettings({ ...pastRecoveryPlan({ target: { beforeTime: at } }), restore }, 'linux');
  assert.ok(lines.includes("recovery_target_time = '2026-12-01 15:47:03.125+00'"), lines.join('\n'));
  assert.ok(lines.includes('recovery_target_inclusive = off'));
  assert.throws(() => pastRecoveryTarget({ beforeTime: new Date('not a time') }), /not a valid date/);
});

test('the source text names the moment: the xid, or the time in the zone asked for', () => {
  assert.equal(pastTargetText({ beforeXid: ' 1234 ' }), 'just before xid 1234');
  const at = new Date('2026-12-01T15:47:03.125Z');
  assert.equal(pastTargetText({ beforeTime: at }, 'UTC'), 'just before 2026-12-01 15:47:03 UTC');
  assert.match(pastTargetText({ beforeTime: at }, 'Europe/Berlin'), /^just before 2026-12-01 16:47:03 /);
});

test('a malformed xid is refused before anything runs, in words that say what to give', () => {
  for (const xid of ['abc', '2', '', '12a']) assert.throws(() => pastRecoveryTarget({ beforeXid: xid }), /is not a transaction id: give the number txid_current\(\) or pg_current_xact_id\(\) returned/);
  assert.deepEqual(pastRecoveryTarget({ beforeXid: ' 3 ' }), { kind: 'xid', xid: '3' });
});
