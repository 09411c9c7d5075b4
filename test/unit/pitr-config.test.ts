// Recovery settings as written to postgresql.auto.conf: every target, restore_command quoting, earlier lines disabled, window checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  RESTORE_TEMPLATES,
  renderRecoverySettings,
  restoreCommand,
  rewriteConf,
  validateTarget,
  type RecoveryPlan,
  type RecoveryTarget,
} from '../../src/core/pitr/config';
import type { RecoverableWindow } from '../../src/core/wal/check';

const restore = { kind: 'copy', archiveDir: '/archive' } as const;
const render = (target: RecoveryTarget, more: Partial<RecoveryPlan> = {}) => renderRecoverySettings({ target, restore, ...more }, 'linux');
const RC = `restore_command = 'test -f ''/archive/%f'' && cp ''/archive/%f'' "%p"'`;
const AM = "archive_mode = 'off'";

test('every target kind renders its own setting, inclusive only where it means something, action only with a target', () => {
  assert.deepEqual(render({ kind: 'latest' }), [RC, "recovery_target_timeline = 'latest'", AM]);
  assert.deepEqual(render({ kind: 'immediate' }, { action: 'promote' }), [
    RC,
    "recovery_target = 'immediate'",
    "recovery_target_timeline = 'latest'",
    "recovery_target_action = 'promote'",
    AM,
  ]);
  assert.deepEqual(render({ kind: 'time', time: '2026-11-22 14:30 Europe/Berlin' }), [
    RC,
    "recovery_target_time = '2026-11-22 14:30:00+01'",
    'recovery_target_inclusive = on',
    "recovery_target_timeline = 'latest'",
    "recovery_target_action = 'pause'",
    AM,
  ]);
  assert.deepEqual(render({ kind: 'lsn', lsn: '0/3a000060' }, { inclusive: false, timeline: 2, action: 'shutdown' }), [
    RC,
    "recovery_target_lsn = '0/3A000060'",
    'recovery_target_inclusive = off',
    "recovery_target_timeline = '2'",
    "recovery_target_action = 'shutdown'",
    AM,
  ]);
  assert.deepEqual(render({ kind: 'xid', xid: '7481' }, { timeline: 'current' }).slice(1, 4), [
    "recovery_target_xid = '7481'",
    'recovery_target_inclusive = on',
    "recovery_target_timeline = 'current'",
  ]);
  assert.deepEqual(render({ kind: 'name', name: "before 'big' migration" }).slice(1, 3), [
    "recovery_target_name = 'before ''big'' migration'",
    "recovery_target_timeline = 'latest'",
  ]);
});

test('bad target values are refused with the form expected', () => {
  assert.throws(() => render({ kind: 'lsn', lsn: '3000060' }), /not an LSN: give it as PostgreSQL prints it/);
  assert.throws(() => render({ kind: 'xid', xid: 'abc' }), /not a transaction id/);
  assert.throws(() => render({ kind: 'name', name: 'x'.repeat(64) }), /longer than 63 bytes/);
  assert.throws(() => render({ kind: 'latest' }, { timeline: 0 }), /not a timeline/);
});

test('restore_command quotes spaces, single quotes and percent signs for the shell and postgresql.conf', () => {
  const cmd = restoreCommand({ kind: 'copy', archiveDir: "/srv/wal o'brien/100%/" }, 'linux');
  assert.equal(cmd, `test -f '/srv/wal o'\\''brien/100%%/%f' && cp '/srv/wal o'\\''brien/100%%/%f' "%p"`);
  const line = renderRecoverySettings({ target: { kind: 'latest' }, restore: { kind: 'copy', archiveDir: "/a b/c'd\\e" } }, 'linux')[0];
  assert.equal(line, `restore_command = 'test -f ''/a b/c''\\\\''''d\\\\e/%f'' && cp ''/a b/c''\\\\''''d\\\\e/%f'' "%p"'`);
  assert.equal(restoreCommand({ kind: 'copy', archiveDir: 'D:\\wal\\' }, 'win32'), 'copy "D:\\wal\\%f" "%p"');
  assert.throws(() => restoreCommand({ kind: 'custom', template: 'cp /x %p' }), /must use %f/);
  assert.deepEqual(
    RESTORE_TEMPLATES.map((t) => t.template),
    ['pgbackrest --stanza=main archive-get %f "%p"', 'wal-g wal-fetch %f %p'],
  );
});

test('the copy restore_command really copies a present file and fails cleanly for an absent one under /bin/sh', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgbr unit o'q "));
  try {
    const archive = path.join(dir, "arch ive's");
    fs.mkdirSync(archive);
    fs.writeFileSync(path.join(archive, '000000010000000000000003'), 'wal');
    const template = restoreCommand({ kind: 'copy', archiveDir: archive }, 'linux');
    const run = (f: string) => {
      // What PostgreSQL does: %f and %p substituted, %% to %, then /bin/sh -c.
      const dest = path.join(dir, 'RECOVERYXLOG');
      const cmd = template.replace(/%[fp%]/g, (m) => (m === '%f' ? f : m === '%p' ? dest : '%'));
      return { status: spawnSync('/bin/sh', ['-c', cmd], { encoding: 'utf8' }), dest };
    };
    const ok = run('000000010000000000000003');
    assert.equal(ok.status.status, 0, ok.status.stderr);
    assert.equal(fs.readFileSync(ok.dest, 'utf8'), 'wal');
    const missing = run('000000010000000000000004');
    assert.notEqual(missing.status.status, 0);
    assert.equal(missing.status.stderr, '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('earlier recovery lines are commented out, not deleted, and the new ones follow a dated header', () => {
  const now = new Date('2026-11-22T14:30:00.123Z');
  const before = [
    '# Do not edit this file manually!',
    "work_mem = '8MB'",
    "recovery_target_time = '2026-01-01 00:00:00+00'",
    "  restore_command='cp /old/%f %p'",
    "#recovery_target_name = 'already a comment'",
    "recovery_target_timeline 'latest'",
    '',
  ].join('\n');
  const { text, disabled } = rewriteConf(before, ["recovery_target_name = 'x'"], now);
  assert.equal(disabled.length, 3);
  assert.equal(
    text,
    [
      '# Do not edit this file manually!',
      "work_mem = '8MB'",
      "# (disabled by PG Backup on 2026-11-22T14:30:00Z) recovery_target_time = '2026-01-01 00:00:00+00'",
      "# (disabled by PG Backup on 2026-11-22T14:30:00Z)   restore_command='cp /old/%f %p'",
      "#recovery_target_name = 'already a comment'",
      "# (disabled by PG Backup on 2026-11-22T14:30:00Z) recovery_target_timeline 'latest'",
      '',
      '# Recovery settings written by PG Backup on 2026-11-22T14:30:00Z',
      "recovery_target_name = 'x'",
      '',
    ].join('\n'),
  );
  assert.equal(rewriteConf(undefined, ['a = 1'], now).text, '# Recovery settings written by PG Backup on 2026-11-22T14:30:00Z\na = 1\n');
  assert.equal(rewriteConf("shared_buffers = '1GB'\n", undefined, now).disabled.length, 0);
});

const window: RecoverableWindow = {
  backups: [
    {
      label: 'nightly',
      origin: 'archive',
      from: { lsn: '0/2000100', timeline: 1, time: new Date('2026-11-22T13:00:00Z'), exact: true, source: 'STOP TIME' },
      to: { lsn: '0/9000000', timeline: 1, time: new Date('2026-11-22T14:12:00Z'), exact: false, source: 'archived' },
      walAfterStop: true,
    },
  ],
};
const backup = { stopLsn: '0/2000100', timeline: 1 };

test('window check: times before the backup end or after the archive end are explained; inside is shown in the server zone', () => {
  const late = validateTarget({ kind: 'time', time: '2026-11-22 15:30 Europe/Berlin' }, window, { backup });
  assert.deepEqual(late, {
    ok: false,
    estimate: true,
    message:
      '2026-11-22 14:30:00 UTC is after the last archived WAL at 2026-11-22 14:12:00 UTC: recovery would end early and the server would stop. Pick an earlier time, or archive the current WAL first (SELECT pg_switch_wal()).',
  });
  const early = validateTarget({ kind: 'time', time: '2026-11-22T12:59:59Z' }, window, { backup });
  assert.equal(early.ok, false);
  assert.match(early.message, /^2026-11-22 12:59:59 UTC is before base backup "nightly" ended at 2026-11-22 13:00:00 UTC: recovery cannot stop before a backup is consistent/);
  const inside = validateTarget({ kind: 'time', time: '2026-11-22 08:30 America/New_York' }, window, { backup, serverTimeZone: 'Europe/Berlin' });
  assert.equal(inside.ok, true);
  assert.equal(inside.estimate, true);
  assert.match(inside.message, /^2026-11-22 08:30:00-05 \(America\/New_York\) = 2026-11-22 13:30:00 UTC = 2026-11-22 14:30:00\+01 \(Europe\/Berlin\) lies within the window/);
});

test('window check: LSNs outside, timelines not archived, unknown backups, and estimates for xid and names', () => {
  assert.match(validateTarget({ kind: 'lsn', lsn: '0/1000000' }, window, { backup }).message, /^LSN 0\/1000000 is before base backup "nightly" ended at 0\/2000100/);
  const after = validateTarget({ kind: 'lsn', lsn: '0/A000000' }, window, { backup });
  assert.equal(after.ok, false);
  assert.match(after.message, /after the last archived WAL, which ends at 0\/9000000: recovery would end early/);
  assert.deepEqual(validateTarget({ kind: 'lsn', lsn: '0/5000000' }, window, { backup }), { ok: true, estimate: false, message: 'LSN 0/5000000 lies within the window 0/2000100 – 0/9000000.' });
  const tli = validateTarget({ kind: 'latest' }, window, { backup, timeline: 3, archiveTimelines: [1, 2] });
  assert.equal(tli.ok, false);
  assert.match(tli.message, /^timeline 3 is not in the archive \(it has 1, 2\)/);
  const other = validateTarget({ kind: 'latest' }, window, { backup: { stopLsn: '0/7000000', timeline: 1 } });
  assert.equal(other.ok, false);
  assert.match(other.message, /base backup that ended at 0\/7000000 has no archived WAL after it/);
  const xid = validateTarget({ kind: 'xid', xid: '900' }, window, { backup });
  assert.equal(xid.ok, true);
  assert.equal(xid.estimate, true);
  assert.match(validateTarget({ kind: 'name', name: 'p' }, window).message, /restore point "p" cannot be placed/);
  assert.match(validateTarget({ kind: 'latest' }, { backups: [], note: 'no base backup is known' }).message, /no base backup is known: recovery from it cannot start/);
  assert.equal(validateTarget({ kind: 'time', time: '2026-11-22 14:30' }, window).ok, false);
});

test('window check: a recorded restore point is placed by its LSN, on each side of each edge', () => {
  const when = { now: new Date('2026-11-22T14:20:00Z'), timeZone: 'Europe/Berlin' };
  const point = (lsn: string, time = '2026-11-22T13:40:05.123Z') => ({ name: 'before-migration', lsn, time, walFile: '000000010000000000000005' });
  const check = (lsn: string) => validateTarget({ kind: 'name', name: 'before-migration' }, window, { backup, restorePoints: [point(lsn)], when });
  assert.deepEqual(check('0/5000028'), {
    ok: true,
    estimate: false,
    message: 'restore point "before-migration" (made today 14:40:05 UTC+1 · 39 min ago at LSN 0/5000028) lies within the window 0/2000100 – 0/9000000: recovery stops there.',
  });
  // The backup's end and the archive's end are inside; one byte either side is not.
  assert.equal(check('0/2000100').ok, true);
  assert.equal(check('0/9000000').ok, true);
  const early = check('0/20000FF');
  assert.equal(early.ok, false);
  assert.equal(early.estimate, false);
  assert.match(early.message, /at LSN 0\/20000FF\) is before base backup "nightly" ended at 0\/2000100: recovery cannot stop before a backup is consistent/);
  const late = check('0/9000001');
  assert.equal(late.ok, false);
  assert.match(late.message, /is after the last archived WAL, which ends at 0\/9000000: its segment 000000010000000000000005 is not in the archive yet\. Run SELECT pg_switch_wal\(\)/);
  // Recovery stops at the first point of the name after the backup's end: an older one before it does not count.
  const two = validateTarget({ kind: 'name', name: 'before-migration' }, window, { backup, restorePoints: [point('0/7000000'), point('0/1000000')], when });
  assert.match(two.message, /at LSN 0\/7000000\) lies within the window/);
  // Another name, or none recorded: still an estimate.
  const other = validateTarget({ kind: 'name', name: 'after-migration' }, window, { backup, restorePoints: [point('0/5000028')], when });
  assert.equal(other.estimate, true);
  assert.match(other.message, /cannot be placed/);
});
