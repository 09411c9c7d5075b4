// plans: in pgbackup.yaml: a valid plan loads whole, a plan with any problem loads not at all, and each problem says where and what to write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkspaceConfig } from '../../src/core/profiles/yamlConfig';
import { planFolder } from '../../src/core/plans/config';

const FILE = '/home/ana/shop/pgbackup.yaml';
const PLACES = { workspaceFolder: '/home/ana/shop', storage: '/home/ana/.pgbr', homedir: '/home/ana' };

const HEAD = `connections:
  - name: prod
    uri: postgresql://app@db.example.com/app
archives: [/srv/wal-archive]
`;

function parse(plans: string) {
  const { config, problems } = parseWorkspaceConfig(`${HEAD}plans:\n${plans}`, FILE);
  return { plans: config.plans ?? [], problems: problems.map((p) => `${p.line}:${p.column} ${p.message}`), raw: problems };
}

test('the documented plan loads with every field read', () => {
  const { plans, problems } = parse(`  - name: nightly
    connection: prod
    backup: dump
    database: app
    folder: /srv/pg/dumps
    schedule: "*-*-* 02:30:00"
    timezone: Europe/Berlin
    spread: 30m
    keep: { last: 3, hourly: 0, daily: 7, weekly: 4, monthly: 6, yearly: 2, within: 2d }
    verify: daily
    notify: { on: always, webhook: https://hooks.example/pg, command: [/usr/local/bin/page, --team, db] }
`);
  assert.deepEqual(problems, []);
  const [plan] = plans;
  assert.ok(plan);
  assert.equal(plan.name, 'nightly');
  assert.equal(plan.backup, 'dump');
  assert.equal(plan.database, 'app');
  assert.equal(plan.schedule.expression, '*-*-* 02:30:00');
  assert.equal(plan.timezone, 'Europe/Berlin');
  assert.deepEqual(plan.spread, { text: '30m', seconds: 1800 });
  assert.deepEqual(plan.keep, { last: 3, hourly: 0, daily: 7, weekly: 4, monthly: 6, yearly: 2, within: { text: '2d', seconds: 172800 } });
  assert.equal(plan.verify, 'daily');
  assert.deepEqual(plan.notify, { on: 'always', webhook: 'https://hooks.example/pg', command: ['/usr/local/bin/page', '--team', 'db'] });
  assert.equal(plan.line, 6);
});

test('defaults: verify always, notify on failure, the machine zone (none written), the first dump folder or the base-backup folder', () => {
  const { plans, problems } = parse(`  - name: d
    connection: prod
    backup: dump
    database: app
    schedule: daily
    notify: { webhook: http://localhost:9000/hook }
  - name: b
    connection: prod
    backup: basebackup
    schedule: weekly
    archive: /srv/wal-archive
`);
  assert.deepEqual(problems, []);
  const [d, b] = plans;
  assert.ok(d && b);
  assert.equal(d.verify, 'always');
  assert.equal(d.timezone, undefined);
  assert.deepEqual(d.notify, { on: 'failure', webhook: 'http://localhost:9000/hook' });
  assert.equal(b.archive, '/srv/wal-archive');
  assert.equal(planFolder(d, {}, PLACES), '/home/ana/shop/.pg-backups');
  assert.equal(planFolder(d, { dumpFolders: ['dumps', '/srv/x'] }, PLACES), '/home/ana/shop/dumps');
  assert.equal(planFolder(b, { baseBackupFolder: '~/base' }, PLACES), '/home/ana/base');
  assert.equal(planFolder(b, {}, PLACES), '/home/ana/shop/.pg-backups/base');
  assert.equal(planFolder({ backup: 'dump', folder: 'nightly' }, {}, PLACES), '/home/ana/shop/nightly');
});

test('a plan with any problem is not loaded, and the plans beside it still are', () => {
  const { plans, problems } = parse(`  - name: good
    connection: prod
    backup: globals
    schedule: daily
  - name: broken
    connection: prod
    backup: globals
    schedule: daily
    keep: { daily: -1 }
`);
  assert.deepEqual(plans.map((p) => p.name), ['good']);
  assert.deepEqual(problems, ['14:20 "keep.daily" in plan "broken" must be a whole number of 0 or more, like daily: 7']);
});

test('each problem is placed on its own key and says what to write', () => {
  const { plans, problems, raw } = parse(`  - name: bad.name
    connection: prd
    backup: dumpp
    schedule: "*-*-* 25:00"
    timezone: Europe/Berln
    verify: sometimes
    keep: { daily: -1, weekly: 1.5, monthy: 3, within: 2x }
    notify: { on: never, webhook: ftp://hooks.example, command: "rm -rf /", retry: 2 }
    colour: blue
`);
  assert.deepEqual(plans, []);
  assert.deepEqual(problems, [
    '6:11 plan "bad.name" cannot be used in a unit name: use up to 64 letters, digits, - and _ only, like nightly-app',
    '7:17 plan "bad.name" uses the connection "prd", which is not defined in connections: (did you mean "prod"? the connections are prod): add it or fix the name',
    '8:13 "backup" in plan "bad.name" is "dumpp": write one of dump, globals, basebackup and pgbackrest',
    '9:15 plan "bad.name": schedule "*-*-* 25:00" has the hour 25, outside 0..23',
    '10:15 plan "bad.name": "Europe/Berln" is not an IANA time zone: did you mean "Europe/Berlin"?',
    '11:13 "verify" in plan "bad.name" is "sometimes": write one of always, daily, weekly and never',
    '12:20 "keep.daily" in plan "bad.name" must be a whole number of 0 or more, like daily: 7',
    '12:32 "keep.weekly" in plan "bad.name" must be a whole number of 0 or more, like weekly: 7',
    '12:37 unknown key "monthy" under "keep" in plan "bad.name": did you mean "monthly"?',
    '12:56 "keep.within" in plan "bad.name" must be a number and one of h, d, w, m, y (borg\'s units), like within: 2d',
    '13:19 "notify.on" in plan "bad.name" must be failure or always',
    '13:35 "notify.webhook" in plan "bad.name" must be an http:// or https:// address, like https://hooks.example/pg',
    '13:65 "notify.command" in plan "bad.name" must be a list of a program and its arguments (no shell), like [/usr/local/bin/page-oncall, --team, db]',
    '13:77 unknown key "retry" under "notify" in plan "bad.name": the keys are on, webhook and command',
    '14:5 unknown key "colour" in plan "bad.name": remove it; the keys are name, connection, backup, database, tables, format, compression, jobs, folder, schedule, timezone, spread, keep, verify, notify, archive, offsite, encrypt, encryptManifest, stanza, schedules and type',
  ]);
  assert.ok(raw.every((p) => p.plan === 'bad.name' && p.profileName === undefined && p.file === FILE));
});

test('names: required, unique, usable in a unit name; required keys are asked for', () => {
  const { plans, problems } = parse(`  - connection: prod
    backup: dump
    schedule: daily
  - name: twice
    connection: prod
    backup: globals
    schedule: daily
  - name: twice
    connection: prod
    backup: globals
    schedule: hourly
  - name: "nightly app"
    backup: basebackup
`);
  assert.deepEqual(plans.map((p) => p.name), ['twice']);
  assert.deepEqual(problems, [
    '6:5 plan #1 has no "name": add name: a name of letters, digits, - and _ (it names the timer, the lock and the journal)',
    '6:5 plan #1 has no "database": add database: the database to dump',
    '13:11 plan name "twice" is already used at line 9: rename one of them',
    '17:5 plan "nightly app" has no "connection": add connection: the name of a connection in this file',
    '17:5 plan "nightly app" has no "schedule": add schedule: a systemd calendar expression, like daily or "*-*-* 02:30:00"',
    '17:11 plan "nightly app" cannot be used in a unit name: use up to 64 letters, digits, - and _ only, like nightly-app',
  ]);
});

test('dump-only keys on other backups, jobs without the directory format, an archive that is not listed or not for a base backup', () => {
  const { problems } = parse(`  - name: g
    connection: prod
    backup: globals
    database: app
    schedule: daily
    archive: /srv/wal-archive
  - name: d
    connection: prod
    backup: dump
    database: app
    format: custom
    jobs: 4
    compression: brotli
    tables: public.orders
    schedule: daily
  - name: b
    connection: prod
    backup: basebackup
    schedule: daily
    archive: /srv/other
`);
  assert.deepEqual(problems, [
    '9:5 "database" is for dump plans, but plan "g" takes a globals: remove it',
    '11:5 "archive" is for basebackup plans, whose retention cleans up WAL, but plan "g" takes a globals: remove it',
    '17:5 "jobs" in plan "d" needs format: directory, the only format pg_dump writes in parallel',
    problems[3] as string,
    '19:13 "tables" in plan "d" must be a list of tables, like [public.orders, public.customers]',
    '25:14 plan "b" names the archive "/srv/other", which is not listed under archives: write /srv/wal-archive, or add it there',
  ]);
  assert.match(problems[3] as string, /^18:18 plan "d": .*brotli/);
});

test('plans written before connections are checked against them, and problems in plans do not hide a connection', () => {
  const text = `plans:
  - name: n
    connection: later
    backup: globals
    schedule: daily
    keep: { last: 1.5 }
connections:
  - name: later
    host: db
`;
  const { config, problems, profiles } = parseWorkspaceConfig(text, FILE);
  assert.deepEqual(profiles.map((p) => p.name), ['later']);
  assert.deepEqual(config.plans, []);
  assert.deepEqual(problems.map((p) => p.message), ['"keep.last" in plan "n" must be a whole number of 0 or more, like last: 7']);
});

test('a zone written as an offset or into the schedule is refused: systemd needs a zone name', () => {
  const { problems } = parse(`  - name: n
    connection: prod
    backup: globals
    schedule: "*-*-* 02:30:00 Europe/Berlin"
    timezone: "+01:00"
`);
  assert.deepEqual(problems, [
    '9:15 plan "n": schedule "*-*-* 02:30:00 Europe/Berlin" names the time zone "Europe/Berlin": remove it and write it as the plan\'s timezone: instead',
    '10:15 plan "n": "+01:00" is not an IANA time zone: write one like Europe/Berlin or UTC',
  ]);
});

test('offsite targets load with their own keep rules; each problem is placed at its item or key', () => {
  const good = parse(`  - name: nightly
    connection: prod
    backup: dump
    database: app
    schedule: daily
    offsite:
      - to: "backup:pg"
        keep: { daily: 7, weekly: 4 }
      - to: ":s3,provider=Other:bucket/pg"
        rcloneConfig: ~/.config/rclone/offsite.conf
`);
  assert.deepEqual(good.problems, []);
  assert.deepEqual(good.plans[0]?.offsite, [{ to: 'backup:pg', keep: { daily: 7, weekly: 4 } }, { to: ':s3,provider=Other:bucket/pg', rcloneConfig: '~/.config/rclone/offsite.conf' }]);

  const bad = parse(`  - name: n
    connection: prod
    backup: dump
    database: app
    schedule: daily
    offsite:
      - to: "--delete"
      - keep: { daily: 2 }
      - { to: "b:pg", kep: {} }
      - "b:pg"
      - to: "b:pg"
        keep: { daily: -1 }
      - { to: "b:pg", rcloneConfig: 3 }
`);
  assert.deepEqual(bad.plans, []);
  assert.deepEqual(bad.problems, [
    '12:13 "offsite[0].to" in plan "n": the remote "--delete" cannot be used: it starts with "-", which rclone would read as an option: write ./ in front of a folder that starts with -.',
    '13:9 "offsite[1].to" in plan "n" must be an rclone remote, like to: "backup:pg" or to: ":s3:bucket/pg"',
    '14:23 unknown key "kep" under "offsite[2]" in plan "n": did you mean "keep"?',
    '15:9 "offsite[3]" in plan "n" must be a mapping with a remote, like { to: "backup:pg" }',
    '17:24 "offsite[4].keep.daily" in plan "n" must be a whole number of 0 or more, like daily: 7',
    '18:37 "offsite[5].rcloneConfig" in plan "n" must be the path of an rclone config file, like rcloneConfig: ~/.config/rclone/backup.conf',
  ]);
  const physical = parse(`  - name: base
    connection: prod
    backup: basebackup
    schedule: daily
    offsite: [{ to: "b:pg" }]
`);
  assert.match(physical.problems[0] ?? '', /^10:5 "offsite" is for dump and globals plans/);
});

test('encrypt: a list of recipients of one scheme for a custom dump, each problem at its position', () => {
  const key = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
  const { plans, problems } = parse(`  - name: ok
    connection: prod
    backup: dump
    database: app
    encrypt: [${key}]
    encryptManifest: true
    schedule: daily
  - name: mixed
    connection: prod
    backup: dump
    database: app
    encrypt: [${key}, "gpg:0123456789ABCDEF0123456789ABCDEF01234567"]
    schedule: daily
  - name: dir
    connection: prod
    backup: dump
    database: app
    format: directory
    encrypt: [${key}]
    schedule: daily
  - name: short
    connection: prod
    backup: dump
    database: app
    encrypt: ["gpg:89ABCDEF01234567"]
    schedule: daily
  - name: g
    connection: prod
    backup: globals
    encrypt: [${key}]
    schedule: daily
  - name: b
    connection: prod
    backup: basebackup
    encrypt: [${key}]
    schedule: daily
  - name: s
    connection: prod
    backup: dump
    database: app
    encryptManifest: true
    schedule: daily
`);
  assert.deepEqual(plans.map((p) => [p.name, p.encrypt, p.encryptManifest]), [['ok', [key], true], ['g', [key], undefined]]);
  assert.deepEqual(problems, [
    '17:14 plan "mixed": age and GPG recipients cannot be mixed: one file is encrypted one way. Choose age keys or GPG keys for this backup.',
    '24:5 "encrypt" in plan "dir" needs format: custom (the default): an encrypted dump is read and restored by table from its head',
    problems[2] as string,
    '40:5 "encrypt" is for dump and globals plans; plan "b" takes a base backup, which pgbr does not encrypt: remove it',
    `46:5 "encryptManifest" in plan "s" needs a dump plan with encrypt: (the manifest is sealed to the dump's recipients)`,
  ]);
  assert.match(problems[2] as string, /^30:14 plan "short": "gpg:89ABCDEF01234567" is not a GPG key fingerprint/);
});
