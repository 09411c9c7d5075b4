// Plans with backup: pgbackrest: the stanza from repositories:, a calendar per backup type, the keys they refuse, and a timer or cron line per type.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkspaceConfig } from '../../src/core/profiles/yamlConfig';
import { planFolder, type Plan } from '../../src/core/plans/config';
import { cronBlock } from '../../src/core/plans/cron';
import { previewSchedule, removeSchedule, type SchedulePlaces } from '../../src/core/plans/install';
import { planNextRuns, scheduleDescription, type RunTarget } from '../../src/core/plans/schedule';
import { runnablePlan } from '../../src/core/plans/overview';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

const FILE = '/home/ana/shop/pgbackup.yaml';
const PLACES = { workspaceFolder: '/home/ana/shop', storage: '/home/ana/.pgbr', homedir: '/home/ana' };

const HEAD = `connections:
  - name: prod
    uri: postgresql://app@db.example.com/app
repositories:
  - kind: pgbackrest
    stanza: main
    config: /etc/pgbackrest/main.conf
    connection: prod
  - kind: pgbackrest
    stanza: other
`;

function parse(plans: string, head = HEAD) {
  const { config, problems } = parseWorkspaceConfig(`${head}plans:\n${plans}`, FILE);
  return { plans: config.plans ?? [], config, problems: problems.map((p) => `${p.line}:${p.column} ${p.message}`), raw: problems };
}

const TWO_TYPES = `  - name: repo
    backup: pgbackrest
    stanza: main
    schedules:
      - { schedule: "Sun 03:00", type: full }
      - { schedule: "Mon..Sat 03:00", type: diff }
    timezone: Europe/Berlin
    keep: { weekly: 4 }
    verify: weekly
`;

test('a pgbackrest plan loads with its stanza, the config of its repository entry, its connection and a calendar per type', () => {
  const { plans, problems, config } = parse(TWO_TYPES);
  assert.deepEqual(problems, []);
  const [plan] = plans;
  assert.ok(plan?.backrest);
  assert.equal(plan.backup, 'pgbackrest');
  assert.equal(plan.connection, 'prod', "the repository's connection");
  assert.equal(plan.backrest.stanza, 'main');
  assert.equal(plan.backrest.config, '/etc/pgbackrest/main.conf');
  assert.deepEqual(plan.backrest.schedules.map((s) => [s.schedule.expression, s.type]), [['Sun 03:00', 'full'], ['Mon..Sat 03:00', 'diff']]);
  assert.equal(plan.schedule.expression, 'Sun 03:00', 'schedule is the first calendar');
  assert.equal(scheduleDescription(plan), 'Sun 03:00 (full); Mon..Sat 03:00 (diff)');
  assert.equal(planFolder(plan, {}, PLACES), '/home/ana/shop/.pg-backups/base', 'the journal and lock go to the base-backup folder');
  const run = runnablePlan(plan, config, PLACES, 'UTC');
  assert.deepEqual(run.backrest, { stanza: 'main', config: '/etc/pgbackrest/main.conf', types: ['full', 'diff'] });
  assert.equal(run.timezone, 'Europe/Berlin');
});

test('schedule: with type: is one calendar (full by default); its own connection wins over the repository one', () => {
  const { plans, problems } = parse(`  - name: a
    backup: pgbackrest
    stanza: main
    schedule: daily
  - name: b
    backup: pgbackrest
    stanza: main
    connection: prod
    schedule: hourly
    type: incr
`);
  assert.deepEqual(problems, []);
  assert.deepEqual(plans.map((p) => p.backrest?.schedules.map((s) => `${s.schedule.expression} ${s.type}`)), [['daily full'], ['hourly incr']]);
});

test('the next runs of a two-type plan come from both calendars, in time order', () => {
  const { plans } = parse(TWO_TYPES);
  const plan = plans[0] as Plan;
  // Saturday 2024-06-01 12:00 UTC: Sat is over, then Sun's full, then Mon's diff.
  const runs = planNextRuns(plan, 'UTC', new Date('2024-06-01T12:00:00Z'), 3).map((d) => d.toISOString());
  assert.deepEqual(runs, ['2024-06-02T03:00:00.000Z', '2024-06-03T03:00:00.000Z', '2024-06-04T03:00:00.000Z']);
});

test('a stanza that is not under repositories:, a broken one, none at all: each placed, naming the stanzas there are', () => {
  const { plans, problems } = parse(`  - name: a
    backup: pgbackrest
    stanza: mian
    schedule: daily
  - name: b
    backup: pgbackrest
    schedule: daily
    connection: prod
  - name: c
    backup: pgbackrest
    stanza: other
    schedule: daily
`);
  assert.deepEqual(plans, []);
  assert.deepEqual(problems, [
    '14:13 plan "a" names the stanza "mian", which is not listed under repositories: (did you mean "main"? the stanzas there are main and other): add it there or fix the name',
    '16:5 plan "b" backs up with pgBackRest and has no "stanza": add stanza: with one of the stanzas under repositories: (main and other)',
    '20:5 plan "c" has no "connection" and the entry of stanza "other" under repositories: names none: add connection: with the connection whose server the stanza backs up',
  ]);
  const broken = parse(`  - name: a
    backup: pgbackrest
    stanza: bad
    schedule: daily
    connection: prod
`, `${HEAD}  - kind: pgbackrest\n    stanza: bad\n    colour: red\n`);
  assert.ok(broken.problems.some((p) => p.startsWith('17:13 plan "a" names the stanza "bad", whose entry under repositories: has a problem: fix that entry first')), broken.problems.join('\n'));
});

test('keys pgBackRest does itself are refused with why; pgbackrest keys on other plans too', () => {
  const { plans, problems } = parse(`  - name: a
    backup: pgbackrest
    stanza: main
    schedule: daily
    database: app
    format: custom
    encrypt: [age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq]
    offsite: [{ to: "backup:pg" }]
    folder: /srv/pg
  - name: d
    connection: prod
    backup: dump
    database: app
    schedule: daily
    stanza: main
    type: full
`);
  assert.deepEqual(plans, []);
  assert.deepEqual(problems, [
    '16:5 "database" is not for pgbackrest plans (pgBackRest backs up the whole cluster): remove it from plan "a"',
    '17:5 "format" is not for pgbackrest plans (pgBackRest writes its own repository\'s format): remove it from plan "a"',
    '18:5 "encrypt" is not for pgbackrest plans (pgBackRest encrypts its repository itself (repo1-cipher-type in its config)): remove it from plan "a"',
    '19:5 "offsite" is not for pgbackrest plans (pgBackRest copies to remote storage itself (a second repository, repo2-… in its config)): remove it from plan "a"',
    '20:5 "folder" is not for pgbackrest plans (the backups go to the stanza\'s repository, which pgBackRest\'s config names): remove it from plan "a"',
    '26:5 "stanza" is for pgbackrest plans, but plan "d" takes a dump: remove it',
    '27:5 "type" is for pgbackrest plans, but plan "d" takes a dump: remove it',
  ]);
});

test('schedules: each item placed: not a mapping, an unknown key, a bad calendar or type, a type twice; schedule and schedules together', () => {
  const { plans, problems } = parse(`  - name: a
    backup: pgbackrest
    stanza: main
    schedules:
      - daily
      - { schedule: "Sun 25:00", type: full }
      - { schedule: daily, type: differential, when: now }
      - { schedule: weekly }
      - { schedule: hourly, type: full }
  - name: b
    backup: pgbackrest
    stanza: main
    schedule: daily
    schedules: [{ schedule: daily }]
  - name: c
    backup: pgbackrest
    stanza: main
    schedules: []
  - name: d
    backup: pgbackrest
    stanza: main
    type: full
`);
  assert.deepEqual(plans, []);
  assert.deepEqual(problems, [
    '16:9 "schedules[0]" in plan "a" must be a mapping with a calendar and a type, like { schedule: "Sun 03:00", type: full }',
    '17:21 plan "a": schedule "Sun 25:00" has the hour 25, outside 0..23',
    '18:34 "schedules[2].type" in plan "a" is "differential": write one of full, diff and incr',
    '18:48 unknown key "when" under "schedules[2]" in plan "a": the keys are schedule and type',
    '19:9 "schedules[3]" in plan "a" schedules full backups again (schedules[1] does): give each type one calendar; one expression can name several days, like Mon,Thu 03:00',
    '20:35 "schedules[4]" in plan "a" schedules full backups again (schedules[1] does): give each type one calendar; one expression can name several days, like Mon,Thu 03:00',
    '25:5 plan "b" has both "schedule" and "schedules": keep schedules: with a type per calendar, or one schedule: with type:',
    '29:16 "schedules" in plan "c" must be a list of calendars with their backup type, like schedules: [{ schedule: "Sun 03:00", type: full }, { schedule: "Mon..Sat 03:00", type: diff }]',
    '30:5 plan "d" has no "schedules": add schedules: [{ schedule: "Sun 03:00", type: full }, { schedule: "Mon..Sat 03:00", type: diff }], or one schedule: with type:',
  ]);
});

test('a plan whose units would be a pgbackrest plan\'s per-type units is refused, the other still loads', () => {
  const { plans, problems } = parse(`${TWO_TYPES}  - name: repo-diff
    connection: prod
    backup: globals
    schedule: daily
`);
  assert.deepEqual(plans.map((p) => p.name), ['repo']);
  assert.deepEqual(problems, ['21:1 plan "repo-diff" would share the systemd units pgbr-repo-diff.service and .timer with plan "repo" (line 12), whose diff backups run from them: rename one of the plans']);
});

function places(systemdDir: string): SchedulePlaces {
  return { user: false, runAs: 'ana', systemdDir, systemctl: '/bin/true', crontab: 'crontab', cronDir: '/etc/cron.d', root: false, machineZone: 'Europe/Berlin' };
}

function targetOf(plan: Plan): RunTarget {
  return { plan, workspace: '/srv/shop', node: '/usr/bin/node', pgbr: '/opt/pgbr/dist/pgbr.js' };
}

test('systemd: a service and a timer per type, named for the type, each running pgbr run --type on its calendar', () => {
  const plan = parse(TWO_TYPES).plans[0] as Plan;
  const preview = previewSchedule('systemd', targetOf(plan), places('/etc/systemd/system'));
  assert.deepEqual(preview.files.map((f) => f.path), [
    '/etc/systemd/system/pgbr-repo-full.service',
    '/etc/systemd/system/pgbr-repo-full.timer',
    '/etc/systemd/system/pgbr-repo-diff.service',
    '/etc/systemd/system/pgbr-repo-diff.timer',
  ]);
  assert.deepEqual(preview.commands, [
    ['/bin/true', 'daemon-reload'],
    ['/bin/true', 'enable', '--now', 'pgbr-repo-full.timer'],
    ['/bin/true', 'enable', '--now', 'pgbr-repo-diff.timer'],
  ]);
  const [fullService, fullTimer, diffService, diffTimer] = preview.files.map((f) => f.text);
  assert.equal(
    diffService,
    `[Unit]
Description=pgbr plan repo: diff backup of stanza main on prod
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
User=ana
WorkingDirectory=/srv/shop
ExecStart=/usr/bin/node /opt/pgbr/dist/pgbr.js run repo --type diff --workspace /srv/shop
`,
  );
  assert.match(fullService ?? '', /^ExecStart=.* run repo --type full --workspace \/srv\/shop$/m);
  assert.match(fullTimer ?? '', /^OnCalendar=Sun 03:00 Europe\/Berlin$/m);
  assert.match(diffTimer ?? '', /^OnCalendar=Mon\.\.Sat 03:00 Europe\/Berlin$/m);
  assert.match(diffTimer ?? '', /^Description=Schedule of pgbr plan repo: diff backup of stanza main on prod$/m);
});

test('cron: one block for the plan, a line per type under the one lock', () => {
  const plan = parse(TWO_TYPES).plans[0] as Plan;
  const block = cronBlock({ ...targetOf(plan), lockFile: '/srv/shop/.pgbr-repo.cron.lock', machineZone: 'Europe/Berlin' });
  assert.deepEqual(block, {
    text: `# BEGIN pgbr repo
# pgbr plan repo: full backup of stanza main on prod; schedule Sun 03:00
0 3 * * 7 flock -n /srv/shop/.pgbr-repo.cron.lock /usr/bin/node /opt/pgbr/dist/pgbr.js run repo --type full --workspace /srv/shop
# pgbr plan repo: diff backup of stanza main on prod; schedule Mon..Sat 03:00
0 3 * * 1-6 flock -n /srv/shop/.pgbr-repo.cron.lock /usr/bin/node /opt/pgbr/dist/pgbr.js run repo --type diff --workspace /srv/shop
# END pgbr repo
`,
  });
});

test('removing takes out every type\'s units, one the plan no longer schedules too, and disables each timer there', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-units-'));
  try {
    for (const name of ['pgbr-repo-full.service', 'pgbr-repo-full.timer', 'pgbr-repo-incr.service', 'pgbr-repo-incr.timer', 'pgbr-other.timer']) await fs.writeFile(path.join(dir, name), '');
    const plan = parse(TWO_TYPES).plans[0] as Plan;
    const done = await removeSchedule('systemd', targetOf(plan), places(dir));
    assert.deepEqual(done, [
      'ran /bin/true disable --now pgbr-repo-full.timer',
      'ran /bin/true disable --now pgbr-repo-incr.timer',
      ...['pgbr-repo-full.service', 'pgbr-repo-full.timer', 'pgbr-repo-incr.service', 'pgbr-repo-incr.timer'].map((n) => `removed ${path.join(dir, n)}`),
      'ran /bin/true daemon-reload',
    ]);
    assert.deepEqual(await fs.readdir(dir), ['pgbr-other.timer']);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
