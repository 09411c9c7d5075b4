// Whether a plan's schedule is installed: units in the system or user folder with systemd's answers, a crontab or /etc/cron.d block, out of date against what installing writes now, and a systemctl that hangs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCalendar } from '../../src/core/plans/calendar';
import { installSchedule, previewSchedule, schedulePlaces, type SchedulePlaces } from '../../src/core/plans/install';
import { scheduleState } from '../../src/core/plans/installed';
import type { RunTarget } from '../../src/core/plans/schedule';
import { scheduleStateLines, scheduleStateText } from '../../src/plans/rows';

const parsed = parseCalendar('daily');
if ('problem' in parsed) throw new Error(parsed.problem);
const TARGET: RunTarget = { plan: { name: 'nightly', backup: 'globals', connection: 'prod', schedule: parsed.spec }, workspace: '/srv/shop', node: '/usr/bin/node', pgbr: '/opt/pgbr.js' };

let root: string;
/** systemctl that answers is-active/is-enabled from files, records every call, and sleeps when told to. */
const SYSTEMCTL = `#!/bin/sh
echo "$*" >> "$0.calls"
[ -f "$0.sleep" ] && sleep 30
case "$*" in
  *is-active*) cat "$0.active" 2>/dev/null || echo inactive; [ "$(cat "$0.active" 2>/dev/null)" = active ] ;;
  *is-enabled*) cat "$0.enabled" 2>/dev/null || echo disabled; [ "$(cat "$0.enabled" 2>/dev/null)" = enabled ] ;;
  *) exit 0 ;;
esac
`;
const CRONTAB = `#!/bin/sh
case "$1" in
  -l) [ -f "$0.txt" ] && exec cat "$0.txt"; echo "no crontab for ana" >&2; exit 1 ;;
  -) cat > "$0.txt" ;;
esac
`;

function placesIn(dir: string): { system: SchedulePlaces; user: SchedulePlaces } {
  const env = { XDG_CONFIG_HOME: path.join(dir, 'home'), PGBR_SYSTEMCTL: path.join(dir, 'systemctl'), PGBR_CRONTAB: path.join(dir, 'crontab'), PGBR_CRON_DIR: path.join(dir, 'cron.d') };
  const system = { ...schedulePlaces(env, false, 'ana', 'UTC'), systemdDir: path.join(dir, 'system'), root: false };
  return { system, user: schedulePlaces(env, true, 'ana', 'UTC') };
}

async function fresh(name: string) {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'systemctl'), SYSTEMCTL, { mode: 0o755 });
  await fs.writeFile(path.join(dir, 'crontab'), CRONTAB, { mode: 0o755 });
  const places = placesIn(dir);
  const expected = (scheduler: 'systemd' | 'cron', user: boolean) => previewSchedule(scheduler, TARGET, user ? places.user : places.system);
  // A long timeout: a loaded machine must not turn a slow answer into a missing one (the hang test sets its own).
  return { dir, ...places, expected, query: { plan: 'nightly', ...places, expected, timeoutMs: 30_000 } };
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-installed-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

test('nothing installed: not scheduled, and systemctl is not even asked', async () => {
  const t = await fresh('none');
  const state = await scheduleState(t.query);
  assert.deepEqual(state, { installed: [], problems: [] });
  assert.equal(scheduleStateText(state), 'not scheduled');
  await assert.rejects(fs.access(path.join(t.dir, 'systemctl.calls')));
});

test('system units: found with User=, current, and systemd says active and enabled', async () => {
  const t = await fresh('system');
  await installSchedule(t.expected('systemd', false), t.system);
  await fs.writeFile(path.join(t.dir, 'systemctl.active'), 'active\n');
  await fs.writeFile(path.join(t.dir, 'systemctl.enabled'), 'enabled\n');
  const state = await scheduleState(t.query);
  assert.deepEqual(state.installed, [{ scheduler: 'systemd', where: 'system', location: path.join(t.dir, 'system', 'pgbr-nightly.timer'), current: true, active: 'active', enabled: 'enabled' }]);
  assert.equal(scheduleStateText(state), 'systemd timer · active');
  const calls = (await fs.readFile(path.join(t.dir, 'systemctl.calls'), 'utf8')).trim().split('\n').sort();
  assert.deepEqual(calls.slice(-2), ['is-active pgbr-nightly.timer', 'is-enabled pgbr-nightly.timer']);
});

test('user units: asked with --user; inactive and disabled say both; a changed plan makes them out of date', async () => {
  const t = await fresh('user');
  await installSchedule(t.expected('systemd', true), t.user);
  let state = await scheduleState(t.query);
  assert.equal(state.installed[0]?.where, 'user');
  assert.equal(scheduleStateText(state), 'systemd user timer · inactive, disabled');
  assert.match(await fs.readFile(path.join(t.dir, 'systemctl.calls'), 'utf8'), /^--user is-active pgbr-nightly\.timer$/m);
  const weekly = parseCalendar('weekly');
  if ('problem' in weekly) throw new Error(weekly.problem);
  const changed = (scheduler: 'systemd' | 'cron', user: boolean) => previewSchedule(scheduler, { ...TARGET, plan: { ...TARGET.plan, schedule: weekly.spec } }, user ? t.user : t.system);
  state = await scheduleState({ ...t.query, expected: changed });
  assert.equal(state.installed[0]?.current, false);
  assert.equal(scheduleStateText(state), 'systemd user timer · inactive, disabled · out of date');
  assert.match(scheduleStateLines(state)[0] ?? '', /differs from what Install Schedule… writes now; install it again$/);
});

test('one folder for both (PGBR_SYSTEMD_DIR) is looked at once, and the unit text tells user units from system ones', async () => {
  const t = await fresh('same');
  const user = { ...t.user, systemdDir: path.join(t.dir, 'units') };
  const system = { ...t.system, systemdDir: user.systemdDir };
  await installSchedule(previewSchedule('systemd', TARGET, user), user);
  const state = await scheduleState({ plan: 'nightly', system, user });
  assert.deepEqual(state.installed.map((i) => [i.where, i.current]), [['user', undefined]]);
});

test('cron: a block in the crontab, current or out of date; /etc/cron.d with its file', async () => {
  const t = await fresh('cron');
  await fs.writeFile(path.join(t.dir, 'crontab.txt'), 'MAILTO=ana\n');
  await installSchedule(t.expected('cron', true), t.user);
  let state = await scheduleState(t.query);
  assert.deepEqual(state.installed, [{ scheduler: 'cron', where: 'crontab', location: path.join(t.dir, 'crontab'), current: true }]);
  assert.equal(scheduleStateText(state), 'cron');
  await fs.writeFile(path.join(t.dir, 'crontab.txt'), (await fs.readFile(path.join(t.dir, 'crontab.txt'), 'utf8')).replace('0 0 * * *', '5 0 * * *'));
  state = await scheduleState(t.query);
  assert.equal(scheduleStateText(state), 'cron · out of date');

  const d = await fresh('crond');
  const rootPlaces = { ...d.system, root: true };
  await installSchedule(previewSchedule('cron', TARGET, rootPlaces), rootPlaces);
  state = await scheduleState({ plan: 'nightly', system: rootPlaces, user: d.user, expected: (s) => previewSchedule(s, TARGET, rootPlaces) });
  assert.deepEqual(state.installed, [{ scheduler: 'cron', where: 'cron.d', location: path.join(d.dir, 'cron.d', 'pgbr-nightly'), current: true }]);
  assert.equal(scheduleStateText(state), 'cron (/etc/cron.d)');
});

test('a systemctl that does not answer is given up on after the timeout, and said as a problem', async () => {
  const t = await fresh('hang');
  await installSchedule(t.expected('systemd', false), t.system);
  await fs.writeFile(path.join(t.dir, 'systemctl.sleep'), '');
  const state = await scheduleState({ ...t.query, timeoutMs: 300 });
  assert.equal(state.installed.length, 1);
  assert.equal(state.installed[0]?.active, undefined);
  assert.deepEqual(state.problems, ['systemctl is-active pgbr-nightly.timer did not answer within 0.3 s', 'systemctl is-enabled pgbr-nightly.timer did not answer within 0.3 s']);
  assert.equal(scheduleStateText(state), 'systemd timer');
});

test('no cron on the machine is no schedule, not a problem', async () => {
  const t = await fresh('nocron');
  const state = await scheduleState({ ...t.query, user: { ...t.user, crontab: path.join(t.dir, 'no-such-crontab') } });
  assert.deepEqual(state, { installed: [], problems: [] });
});
