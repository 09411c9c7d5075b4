// A plan's schedule as text: the systemd service and timer, the crontab block, and putting that block into a crontab again and again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { parseCalendar, type CalendarSpec } from '../../src/core/plans/calendar';
import { cronBlock, cronFields, cronFileName, withCronBlock, type CronTarget } from '../../src/core/plans/cron';
import { planUnits, type UnitFiles } from '../../src/core/plans/systemd';
import type { RunTarget } from '../../src/core/plans/schedule';

function spec(expression: string): CalendarSpec {
  const parsed = parseCalendar(expression);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.spec;
}

function unitsOf(t: RunTarget, user?: string): UnitFiles {
  const made = planUnits(t, user);
  if ('problem' in made) throw new Error(made.problem);
  return made;
}

function target(schedule: string, more: Partial<RunTarget['plan']> = {}, workspace = '/srv/shop'): RunTarget {
  return {
    plan: { name: 'nightly', backup: 'dump', connection: 'prod', database: 'app', schedule: spec(schedule), ...more },
    workspace,
    node: '/usr/bin/node',
    pgbr: '/opt/pgbr/dist/pgbr.js',
  };
}

test('system units: a oneshot service run as the workspace owner, a persistent timer on the expression and zone, a fixed random spread', () => {
  const units = unitsOf(target('*-*-* 02:30:00', { timezone: 'Europe/Berlin', spread: { text: '30m', seconds: 1800 } }), 'ana');
  assert.equal(units.service.name, 'pgbr-nightly.service');
  assert.equal(
    units.service.text,
    `[Unit]
Description=pgbr plan nightly: dump of app on prod
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=ana
WorkingDirectory=/srv/shop
ExecStart=/usr/bin/node /opt/pgbr/dist/pgbr.js run nightly --workspace /srv/shop
`,
  );
  assert.equal(units.timer.name, 'pgbr-nightly.timer');
  assert.equal(
    units.timer.text,
    `[Unit]
Description=Schedule of pgbr plan nightly: dump of app on prod

[Timer]
OnCalendar=*-*-* 02:30:00 Europe/Berlin
Persistent=true
RandomizedDelaySec=1800
FixedRandomDelay=true

[Install]
WantedBy=timers.target
`,
  );
});

test('user units have no User=; no zone and no spread write neither; odd paths are quoted and % and $ stay literal', () => {
  const units = unitsOf(target('Mon..Fri  02:00', { backup: 'basebackup', database: undefined }, '/home/ana/my 100% "db"/$HOME'));
  assert.doesNotMatch(units.service.text, /User=/);
  assert.match(units.service.text, /^Description=pgbr plan nightly: base backup on prod$/m);
  assert.match(units.service.text, /^WorkingDirectory=\/home\/ana\/my 100%% "db"\/\$HOME$/m);
  assert.match(units.service.text, /^ExecStart=\/usr\/bin\/node \/opt\/pgbr\/dist\/pgbr\.js run nightly --workspace "\/home\/ana\/my 100%% \\"db\\"\/\$\$HOME"$/m);
  assert.match(units.timer.text, /^OnCalendar=Mon\.\.Fri 02:00$/m);
  assert.doesNotMatch(units.timer.text, /RandomizedDelaySec|FixedRandomDelay/);
});

test('OnCalendar as cron fields where they mean the same, and a reason where they cannot', () => {
  assert.deepEqual(cronFields(spec('*-*-* 02:30:00')), { fields: '30 2 * * *' });
  assert.deepEqual(cronFields(spec('daily')), { fields: '0 0 * * *' });
  assert.deepEqual(cronFields(spec('hourly')), { fields: '0 * * * *' });
  assert.deepEqual(cronFields(spec('weekly')), { fields: '0 0 * * 1' });
  assert.deepEqual(cronFields(spec('Mon..Fri 02:00')), { fields: '0 2 * * 1-5' });
  assert.deepEqual(cronFields(spec('Sat,Sun 05:00')), { fields: '0 5 * * 6,7' });
  assert.deepEqual(cronFields(spec('*-01,07-01 0/6:0/15')), { fields: '0-59/15 0-23/6 1 1,7 *' });
  assert.deepEqual(cronFields(spec('*-*-1..10/3 04:00')), { fields: '0 4 1-10/3 * *' });
  const refused = (e: string) => {
    const r = cronFields(spec(e));
    return 'problem' in r ? r.problem : '';
  };
  assert.equal(refused('*-*-* 02:30:15'), 'cron cannot run "*-*-* 02:30:15": cron starts jobs on whole minutes only, and this schedule names seconds; use --systemd, or change the schedule');
  assert.equal(refused('2027-*-* 02:30'), 'cron cannot run "2027-*-* 02:30": cron has no year field; use --systemd, or change the schedule');
  assert.equal(
    refused('Sat *-*-1..7 03:00'),
    'cron cannot run "Sat *-*-1..7 03:00": it names both days of the month and weekdays, and cron runs a job when either matches where systemd waits for both; use --systemd, or change the schedule',
  );
  assert.deepEqual(cronFields(spec('minutely')), { fields: '* * * * *' });
  assert.match(refused('*-*-* *:*:*'), /whole minutes only/);
});

test('the crontab block: markers, the run under flock -n, % escaped, a user field only for /etc/cron.d', () => {
  const t = { ...target('*-*-* 02:30:00'), lockFile: '/srv/shop/.pgbr-nightly.cron.lock', machineZone: 'UTC' };
  assert.deepEqual(cronBlock(t), {
    text: `# BEGIN pgbr nightly
# pgbr plan nightly: dump of app on prod; schedule *-*-* 02:30:00
30 2 * * * flock -n /srv/shop/.pgbr-nightly.cron.lock /usr/bin/node /opt/pgbr/dist/pgbr.js run nightly --workspace /srv/shop
# END pgbr nightly
`,
  });
  const odd = cronBlock({ ...t, workspace: "/srv/50% it's", user: 'ana', plan: { ...t.plan, timezone: 'UTC' } });
  assert.ok('text' in odd);
  assert.match(odd.text, /^30 2 \* \* \* ana flock -n \S+ \/usr\/bin\/node \S+ run nightly --workspace "\/srv\/50\\% it's"$/m, 'quoted for sh, the % escaped for cron');
  assert.equal(cronFileName('nightly-app_2'), 'pgbr-nightly-app_2');
});

test('a word with a control character is refused with its reason, before anything else is judged', () => {
  const t: CronTarget = { ...target('*-*-* 02:30:00'), lockFile: '/srv/shop/.pgbr-nightly.cron.lock', machineZone: 'UTC' };
  const refusal = (changed: Partial<CronTarget>) => {
    const r = cronBlock({ ...t, ...changed });
    assert.ok('problem' in r, JSON.stringify(changed));
    return r.problem;
  };
  const tail = 'holds a control character (a newline, a tab or another invisible one): it would break the crontab line, and Debian\'s /bin/sh cannot read it quoted; ';
  assert.equal(refusal({ workspace: '/srv/new\nshop' }), `cron cannot run plan "nightly": the workspace folder "/srv/new\\nshop" ${tail}move the workspace to a folder whose path has none`);
  assert.equal(refusal({ pgbr: '/opt/pg\tbr/pgbr.js' }), `cron cannot run plan "nightly": pgbr's script "/opt/pg\\tbr/pgbr.js" ${tail}install pgbr in a folder whose path has none`);
  assert.equal(refusal({ node: '/usr/bin/no\u007fde' }), `cron cannot run plan "nightly": the Node.js program "/usr/bin/no\\u007fde" ${tail}run pgbr with a Node.js whose path has none`);
  assert.equal(refusal({ lockFile: '/srv/shop/.lock\u2028' }), `cron cannot run plan "nightly": the lock file "/srv/shop/.lock\\u2028" ${tail}move the workspace to a folder whose path has none`);
  assert.equal(refusal({ user: 'a\u0085na' }), `cron cannot run plan "nightly": the user "a\\u0085na" ${tail}run it as a user whose name has none`);
  // Even a plan in another zone, or on a schedule cron cannot keep, is refused for its name first: the other messages quote it.
  assert.equal(
    refusal({ plan: { ...t.plan, name: 'night\rly', timezone: 'Europe/Berlin' } }),
    `cron cannot run plan "night\\rly": the plan's name "night\\rly" ${tail}rename the plan`,
  );
  // A control character in the database's name is only in the comment, written as a space.
  const block = cronBlock({ ...t, plan: { ...t.plan, database: 'app\nx' } });
  assert.ok('text' in block);
  assert.match(block.text, /^# pgbr plan nightly: dump of app x on prod; schedule \*-\*-\* 02:30:00$/m);
  assert.equal(block.text.split('\n').length, 5);
});

/** The shells to run a crontab line with: /bin/sh, and dash (Debian's /bin/sh) where it is installed. */
function shells(): string[] {
  const found = ['/bin/sh', '/bin/dash', '/usr/bin/dash'].filter((s) => existsSync(s));
  return [...new Map(found.map((s) => [realpathSync(s), s])).values()];
}

/** What cron hands to the shell: the line after its five fields (and the user of /etc/cron.d), `\%` turned back into `%`. */
function cronCommand(line: string, withUser: boolean): string {
  const command = line.split(' ').slice(withUser ? 6 : 5).join(' ');
  assert.doesNotMatch(command.replace(/\\%/g, ''), /%/, 'a bare % would end the command for cron');
  return command.replace(/\\%/g, '%');
}

test("ordinary spaces, quotes and marks in the words reach the shell as they were: each word of the line round-trips through sh -c, dash included", () => {
  const workspace = `/srv/Ana's "shop" 100% $HOME \`id\` \\ ! * ; & # ~ ü`;
  const pgbr = '/opt/my pgbr/dist/pgbr.js';
  const t = { ...target('*-*-* 02:30:00', {}, workspace), pgbr, lockFile: `${workspace}/.pgbr-nightly.cron.lock`, machineZone: 'UTC', user: 'ana' };
  const block = cronBlock(t);
  assert.ok('text' in block);
  const line = block.text.split('\n')[2] ?? '';
  assert.doesNotMatch(line, /\$'/, "no $'…' quoting, which dash cannot read");
  const expected = ['flock', '-n', t.lockFile, t.node, pgbr, 'run', 'nightly', '--workspace', workspace];
  const used = shells();
  assert.ok(used.length > 0);
  for (const sh of used) {
    // printf prints each word the shell made of the command on a line of its own.
    const words = execFileSync(sh, ['-c', `printf '%s\\n' ${cronCommand(line, true)}`], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    assert.deepEqual(words.split('\n').slice(0, -1), expected, sh);
  }
});

test("a plan in a zone other than the machine's is refused: Debian's cron has no CRON_TZ", () => {
  const t = { ...target('daily', { timezone: 'Europe/Berlin' }), lockFile: '/l', machineZone: 'UTC' };
  assert.deepEqual(cronBlock(t), {
    problem: `cron cannot run plan "nightly" in Europe/Berlin: Debian's cron runs every line in the machine's zone (UTC) and has no CRON_TZ; use --systemd, or set timezone: UTC`,
  });
  assert.ok('text' in cronBlock({ ...t, machineZone: 'Europe/Berlin' }));
});

test('installing the block twice gives one block; installing another replaces it in place; removing leaves the rest alone', () => {
  const block = '# BEGIN pgbr nightly\n0 2 * * * a\n# END pgbr nightly\n';
  const other = 'MAILTO=ops@example.com\n15 * * * * /usr/local/bin/other\n';
  const once = withCronBlock(other, 'nightly', block);
  assert.equal(once, `${other}${block}`);
  assert.equal(withCronBlock(once, 'nightly', block), once);
  const replaced = withCronBlock(`${once}# after\n`, 'nightly', '# BEGIN pgbr nightly\n0 3 * * * b\n# END pgbr nightly\n');
  assert.equal(replaced, `${other}# BEGIN pgbr nightly\n0 3 * * * b\n# END pgbr nightly\n# after\n`);
  assert.equal(withCronBlock(replaced, 'nightly', undefined), `${other}# after\n`);
  assert.equal(withCronBlock('', 'nightly', block), block);
  assert.equal(withCronBlock(block, 'nightly', undefined), '');
  // Another plan's block, or one whose name starts the same, is not touched.
  const two = withCronBlock(withCronBlock(other, 'nightly-2', block.replace(/nightly/g, 'nightly-2')), 'nightly', block);
  assert.equal(withCronBlock(two, 'nightly', undefined), withCronBlock(other, 'nightly-2', block.replace(/nightly/g, 'nightly-2')));
  assert.throws(() => withCronBlock('# BEGIN pgbr nightly\n0 2 * * * a\n', 'nightly', block), /without its "# END pgbr nightly" line: fix it by hand \(crontab -e\)/);
});

test('systemd units are refused, with the word shown, when the workspace, a program or the user holds a control character; a control in a summary is a space', () => {
  const broken = planUnits(target('daily', {}, '/srv/shop\nExecStartPre=/bin/rm'));
  assert.ok('problem' in broken);
  assert.equal(
    broken.problem,
    'systemd cannot run plan "nightly": the workspace folder "/srv/shop\\nExecStartPre=/bin/rm" holds a control character (a newline, a tab or another invisible one), which would break the unit file; move the workspace to a folder whose path has none',
  );
  const user = planUnits(target('daily'), 'ana\t');
  assert.ok('problem' in user && /the user "ana\\t" holds a control character/.test(user.problem));
  const summary = unitsOf(target('daily', { database: 'app\nname' }));
  assert.match(summary.service.text, /^Description=.*app name.*$/m);
  assert.equal(summary.service.text.split('\n').filter((l) => l.startsWith('Description=')).length, 1);
});
