// What Install Schedule… offers and says: the three schedulers and where each writes, the Node.js a schedule runs, and failures turned into what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { schedulePlaces } from '../../src/core/plans/install';
import { nodeProgram, scheduleFailure, scheduleNoun, scheduleSteps, schedulerChoices } from '../../src/plans/scheduling';

const env = { PGBR_SYSTEMD_DIR: undefined, XDG_CONFIG_HOME: '/home/ana/.config' };
const system = { ...schedulePlaces(env, false, 'ana', 'UTC'), root: false };
const user = schedulePlaces(env, true, 'ana', 'UTC');

test('the choices name where each scheduler writes and what it needs', () => {
  const choices = schedulerChoices(system, user);
  assert.deepEqual(choices.map((c) => [c.scheduler, c.user, c.label]), [
    ['systemd', false, 'systemd system timer'],
    ['systemd', true, 'systemd user timer'],
    ['cron', false, 'cron'],
  ]);
  assert.match(choices[0]?.detail ?? '', /^into \/etc\/systemd\/system, runs as ana .*needs root$/);
  assert.match(choices[1]?.detail ?? '', /^into \/home\/ana\/.config\/systemd\/user; .*loginctl enable-linger ana$/);
  assert.match(choices[2]?.detail ?? '', /your crontab/);
  assert.match(schedulerChoices({ ...system, root: true }, user)[2]?.detail ?? '', /^into \/etc\/cron.d\/pgbr-…, a line that runs as ana$/);
  assert.deepEqual([scheduleNoun({ scheduler: 'systemd', user: false }), scheduleNoun({ scheduler: 'systemd', user: true }), scheduleNoun({ scheduler: 'cron', user: false })], [
    'systemd timer',
    'systemd user timer',
    'crontab lines',
  ]);
});

test('the confirmation lists every file, the crontab change and each command, in order', () => {
  const steps = scheduleSteps({
    scheduler: 'systemd',
    plan: 'nightly',
    files: [{ path: '/u/pgbr-nightly.service', text: '' }, { path: '/u/pgbr-nightly.timer', text: '' }],
    commands: [['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', 'pgbr-nightly.timer']],
    notes: [],
  });
  assert.deepEqual(steps, ['write /u/pgbr-nightly.service', 'write /u/pgbr-nightly.timer', 'run systemctl --user daemon-reload', 'run systemctl --user enable --now pgbr-nightly.timer']);
  assert.deepEqual(scheduleSteps({ scheduler: 'cron', plan: 'n', files: [], crontabBlock: 'x', commands: [], notes: [] }), ['add the lines to your crontab (or replace the ones there)']);
});

test('Node.js: the host itself when it is Node.js, the first executable node on PATH under Electron, none when there is none', async () => {
  const plain = { versions: { ...process.versions, electron: undefined } as unknown as NodeJS.ProcessVersions, execPath: '/opt/cs/node', path: '/usr/bin' };
  assert.equal(await nodeProgram(plain, () => Promise.reject(new Error('not asked'))), '/opt/cs/node');
  const electron = { versions: { ...process.versions, electron: '37.0.0' } as NodeJS.ProcessVersions, execPath: '/usr/share/code/code', path: ['/a', '', '/b', '/c'].join(path.delimiter) };
  const asked: string[] = [];
  const found = await nodeProgram(electron, (f) => {
    asked.push(f);
    return Promise.resolve(f === '/b/node' || f === '/c/node');
  });
  assert.equal(found, '/b/node');
  assert.deepEqual(asked, ['/a/node', '/b/node']);
  assert.equal(await nodeProgram(electron, () => Promise.resolve(false)), undefined);
});

const how = (scheduler: 'systemd' | 'cron', user: boolean) => ({ choice: { scheduler, user }, plan: 'nightly', pgbrArgv: ['/usr/bin/node', '/ext/dist/pgbr.js', 'schedule', 'nightly', `--${scheduler}`, '--install', '--workspace', '/srv/my shop'] });
const errno = (code: string, file: string) => Object.assign(new Error(`${code}: permission denied, open '${file}'`), { code, path: file });

test('permission denied on system units says root is needed, and offers the user timer or the exact sudo command', () => {
  const m = scheduleFailure(errno('EACCES', '/etc/systemd/system/pgbr-nightly.service'), how('systemd', false));
  assert.equal(
    m,
    `/etc/systemd/system/pgbr-nightly.service cannot be written (permission denied): system schedules need root; pick "systemd user timer" instead, or run in a terminal: sudo /usr/bin/node /ext/dist/pgbr.js schedule nightly --systemd --install --workspace '/srv/my shop'`,
  );
  const polkit = scheduleFailure(new Error('wrote a; systemctl enable --now pgbr-nightly.timer failed (Failed to enable unit: Access denied)'), how('systemd', false));
  assert.match(polkit, /^wrote a; systemctl enable .*Access denied\): system schedules need root; pick "systemd user timer" instead, or run in a terminal: sudo /);
  assert.match(scheduleFailure(errno('EACCES', '/etc/cron.d/pgbr-nightly'), how('cron', false)), /system schedules need root; run in a terminal: sudo .* --cron --install/);
});

test('a missing systemctl or crontab, and a user manager out of reach, each say what to pick instead', () => {
  assert.match(scheduleFailure(new Error('systemctl was not found at systemctl: install systemd, or use --cron'), how('systemd', true)), /^systemctl was not found: .*pick cron instead\.$/);
  assert.match(scheduleFailure(new Error('cannot read the crontab (crontab was not found at crontab: install cron)'), how('cron', false)), /^crontab was not found: install cron .*or pick a systemd timer\.$/);
  assert.match(scheduleFailure(new Error('systemctl --user daemon-reload failed (Failed to connect to bus: No medium found)'), how('systemd', true)), /cannot reach your user manager .*pick cron\.$/);
  assert.equal(scheduleFailure(new Error('disk full'), how('systemd', true)), 'disk full');
  // A user's own folder that refuses writing is not a question of root.
  assert.match(scheduleFailure(errno('EACCES', '/home/ana/.config/systemd/user/x'), how('systemd', true)), /check that you own \/home\/ana\/.config\/systemd\/user\/x/);
});
