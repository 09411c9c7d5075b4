// What installing a schedule would write and run: the folders and programs (and the variables that move them), system against user, crontab against /etc/cron.d.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCalendar } from '../../src/core/plans/calendar';
import { previewSchedule, removeSchedule, schedulePlaces, type SchedulePlaces } from '../../src/core/plans/install';
import type { RunTarget } from '../../src/core/plans/schedule';

const parsed = parseCalendar('daily');
if ('problem' in parsed) throw new Error(parsed.problem);
const TARGET: RunTarget = {
  plan: { name: 'nightly', backup: 'globals', connection: 'prod', schedule: parsed.spec },
  workspace: '/srv/shop',
  node: '/usr/bin/node',
  pgbr: '/opt/pgbr/dist/pgbr.js',
};

test('the system and user places, and the environment variables that move them', () => {
  const system = schedulePlaces({}, false, 'ana', 'UTC');
  assert.deepEqual([system.systemdDir, system.systemctl, system.crontab, system.cronDir], ['/etc/systemd/system', 'systemctl', 'crontab', '/etc/cron.d']);
  assert.equal(schedulePlaces({}, true, 'ana', 'UTC').systemdDir, path.join(os.homedir(), '.config', 'systemd', 'user'));
  assert.equal(schedulePlaces({ XDG_CONFIG_HOME: '/x' }, true, 'ana', 'UTC').systemdDir, '/x/systemd/user');
  const moved = schedulePlaces({ PGBR_SYSTEMD_DIR: '/t/u', PGBR_SYSTEMCTL: '/t/sc', PGBR_CRONTAB: '/t/ct', PGBR_CRON_DIR: '/t/cd' }, true, 'ana', 'UTC');
  assert.deepEqual([moved.systemdDir, moved.systemctl, moved.crontab, moved.cronDir], ['/t/u', '/t/sc', '/t/ct', '/t/cd']);
});

const places = (over: Partial<SchedulePlaces>): SchedulePlaces => ({ ...schedulePlaces({ PGBR_SYSTEMD_DIR: '/units', PGBR_CRON_DIR: '/cron.d' }, false, 'ana', 'UTC'), root: true, ...over });

test('systemd: both unit files in the unit folder, reload then enable --now; --user adds --user and the lingering note', () => {
  const system = previewSchedule('systemd', TARGET, places({}));
  assert.deepEqual(system.files.map((f) => f.path), ['/units/pgbr-nightly.service', '/units/pgbr-nightly.timer']);
  assert.match(system.files[0]?.text ?? '', /^User=ana$/m);
  assert.deepEqual(system.commands, [['systemctl', 'daemon-reload'], ['systemctl', 'enable', '--now', 'pgbr-nightly.timer']]);
  assert.deepEqual(system.notes, []);
  const user = previewSchedule('systemd', TARGET, places({ user: true }));
  assert.doesNotMatch(user.files[0]?.text ?? '', /User=/);
  assert.deepEqual(user.commands, [['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', 'pgbr-nightly.timer']]);
  assert.deepEqual(user.notes, ['user timers run only while ana is logged in, unless lingering is on: loginctl enable-linger ana']);
});

test('cron: root without --user writes /etc/cron.d/pgbr-PLAN with the user field; otherwise a block for the crontab', () => {
  const dotD = previewSchedule('cron', TARGET, places({}));
  assert.deepEqual(dotD.files.map((f) => f.path), ['/cron.d/pgbr-nightly']);
  assert.match(dotD.files[0]?.text ?? '', /^SHELL=\/bin\/sh\n# BEGIN pgbr nightly\n/m);
  assert.match(dotD.files[0]?.text ?? '', /^0 0 \* \* \* ana flock -n \/srv\/shop\/\.pgbr-nightly\.cron\.lock \/usr\/bin\/node /m);
  assert.equal(dotD.crontabBlock, undefined);
  for (const over of [{ user: true }, { root: false }]) {
    const own = previewSchedule('cron', TARGET, places(over));
    assert.deepEqual(own.files, []);
    assert.match(own.crontabBlock ?? '', /^0 0 \* \* \* flock -n /m);
  }
  assert.throws(() => previewSchedule('cron', { ...TARGET, plan: { ...TARGET.plan, timezone: 'Asia/Tokyo' } }, places({})), /has no CRON_TZ/);
});

test('removing a cron schedule needs only where it went: a plan cron can no longer run still comes out of /etc/cron.d', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-cron-d-'));
  try {
    await fs.writeFile(path.join(dir, 'pgbr-nightly'), '# BEGIN pgbr nightly\n# END pgbr nightly\n');
    const tokyo = { ...TARGET, plan: { ...TARGET.plan, timezone: 'Asia/Tokyo' } };
    assert.deepEqual(await removeSchedule('cron', tokyo, places({ cronDir: dir })), [`removed ${path.join(dir, 'pgbr-nightly')}`]);
    assert.deepEqual(await fs.readdir(dir), []);
    assert.deepEqual(await removeSchedule('cron', tokyo, places({ cronDir: dir })), ['plan nightly has no cron schedule installed: nothing to remove']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
