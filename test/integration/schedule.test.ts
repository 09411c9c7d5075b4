// The built `pgbr schedule` and `pgbr plans` for real against temp folders, a recording systemctl and crontab, and systemd-analyze's own answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { nextRuns, parseCalendar } from '../../src/core/plans/calendar';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const NO_SYSTEMD_ANALYZE = 'systemd-analyze is not installed (Debian package systemd): the cross-checks need it';
let root: string;
let workspace: string;
let env: NodeJS.ProcessEnv;

const YAML = `connections:
  - name: prod
    uri: postgresql://app@db.example.com/app
plans:
  - name: nightly
    connection: prod
    backup: dump
    database: app
    schedule: "*-*-* 02:30:00"
    timezone: Europe/Berlin
    spread: 30m
  - name: local
    connection: prod
    backup: globals
    schedule: Mon..Fri 04:15
  - name: both
    connection: prod
    backup: globals
    schedule: Sat *-*-1..7 03:00
  - name: broken
    connection: prod
    backup: globals
    schedule: "*-*-* 25:00"
`;

/** Records each call; like systemctl, `enable` of a unit that is not in the unit folder fails. */
const SYSTEMCTL = `#!/bin/sh
echo "$*" >> "$RECORD"
case "$*" in
  *"enable --now "*) unit="\${*##* }"; [ -f "$PGBR_SYSTEMD_DIR/$unit" ] || { echo "Failed to enable unit: Unit file $unit does not exist." >&2; exit 1; } ;;
esac
[ -n "$FAIL_ON" ] && case "$*" in *"$FAIL_ON"*) echo "Failed to $FAIL_ON: Access denied" >&2; exit 1 ;; esac
exit 0
`;

/** A crontab kept in a file, with crontab's answer when there is none. */
const CRONTAB = `#!/bin/sh
case "$1" in
  -l) [ -f "$CRONTAB_FILE" ] && exec cat "$CRONTAB_FILE"; echo "no crontab for $(id -un)" >&2; exit 1 ;;
  -) cat > "$CRONTAB_FILE" ;;
  *) echo "usage" >&2; exit 1 ;;
esac
`;

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [pgbr, ...args, '--workspace', workspace], { env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const recorded = async () => (await fs.readFile(env.RECORD as string, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-schedule-'));
  workspace = path.join(root, 'shop');
  await fs.mkdir(path.join(root, 'bin'), { recursive: true });
  await fs.mkdir(workspace);
  await fs.writeFile(path.join(workspace, 'pgbackup.yaml'), YAML);
  await fs.writeFile(path.join(root, 'bin', 'systemctl'), SYSTEMCTL, { mode: 0o755 });
  await fs.writeFile(path.join(root, 'bin', 'crontab'), CRONTAB, { mode: 0o755 });
  env = {
    PATH: process.env.PATH,
    HOME: root,
    TZ: 'UTC',
    RECORD: path.join(root, 'systemctl.log'),
    CRONTAB_FILE: path.join(root, 'crontab.txt'),
    PGBR_SYSTEMD_DIR: path.join(root, 'units'),
    PGBR_SYSTEMCTL: path.join(root, 'bin', 'systemctl'),
    PGBR_CRONTAB: path.join(root, 'bin', 'crontab'),
    PGBR_CRON_DIR: path.join(root, 'cron.d'),
  };
});

after(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

test('--print shows the units and where they go, changes nothing, and systemd-analyze verify accepts them', { skip: !hasSystemdAnalyze && NO_SYSTEMD_ANALYZE }, async () => {
  const r = cli(['schedule', 'nightly', '--systemd', '--print', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { files: { path: string; text: string }[]; commands: string[][]; nextRuns: string[]; action: string };
  assert.deepEqual(doc.files.map((f) => f.path), [path.join(env.PGBR_SYSTEMD_DIR as string, 'pgbr-nightly.service'), path.join(env.PGBR_SYSTEMD_DIR as string, 'pgbr-nightly.timer')]);
  assert.deepEqual(doc.commands, [[env.PGBR_SYSTEMCTL, 'daemon-reload'], [env.PGBR_SYSTEMCTL, 'enable', '--now', 'pgbr-nightly.timer']]);
  assert.match(doc.files[0]?.text ?? '', new RegExp(`^ExecStart=${process.execPath} ${pgbr} run nightly --workspace ${workspace}$`, 'm'));
  assert.match(doc.files[0]?.text ?? '', /^User=root$/m);
  assert.match(doc.files[1]?.text ?? '', /^OnCalendar=\*-\*-\* 02:30:00 Europe\/Berlin$/m);
  assert.equal(doc.nextRuns.length, 5);
  await assert.rejects(fs.access(env.PGBR_SYSTEMD_DIR as string));
  assert.deepEqual(await recorded(), []);

  const dir = path.join(root, 'verify');
  await fs.mkdir(dir, { recursive: true });
  for (const f of doc.files) await fs.writeFile(path.join(dir, path.basename(f.path)), f.text);
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', ...doc.files.map((f) => path.join(dir, path.basename(f.path)))], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '');

  const text = cli(['schedule', 'nightly', '--systemd', '--print']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, new RegExp(`^# ${path.join(env.PGBR_SYSTEMD_DIR as string, 'pgbr-nightly.timer').replace(/\//g, '\\/')}$`, 'm'));
  assert.match(text.stdout, /^# next runs \(Europe\/Berlin\):\n\d{4}-\d\d-\d\d 02:30:00 UTC\+[12]$/m);
});

test('--install writes the units, reloads and enables the timer; --remove undoes exactly that', async () => {
  const installed = cli(['schedule', 'nightly', '--systemd', '--install']);
  assert.equal(installed.code, 0, installed.stderr);
  const dir = env.PGBR_SYSTEMD_DIR as string;
  assert.deepEqual((await fs.readdir(dir)).sort(), ['pgbr-nightly.service', 'pgbr-nightly.timer']);
  assert.equal((await fs.stat(path.join(dir, 'pgbr-nightly.timer'))).mode & 0o777, 0o644);
  assert.deepEqual(await recorded(), ['daemon-reload', 'enable --now pgbr-nightly.timer']);

  const removed = cli(['schedule', 'nightly', '--systemd', '--remove']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual(await fs.readdir(dir), []);
  assert.deepEqual(await recorded(), ['daemon-reload', 'enable --now pgbr-nightly.timer', 'disable --now pgbr-nightly.timer', 'daemon-reload']);
  const again = cli(['schedule', 'nightly', '--systemd', '--remove']);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /plan nightly has no systemd schedule installed: nothing to remove/);
  assert.equal((await recorded()).length, 4);
  await fs.rm(env.RECORD as string);
});

test('--user: no User=, systemctl --user, and the note that lingering is needed to run while logged out', async () => {
  const r = cli(['schedule', 'nightly', '--systemd', '--install', '--user']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /loginctl enable-linger root/);
  const service = await fs.readFile(path.join(env.PGBR_SYSTEMD_DIR as string, 'pgbr-nightly.service'), 'utf8');
  assert.doesNotMatch(service, /User=/);
  assert.deepEqual(await recorded(), ['--user daemon-reload', '--user enable --now pgbr-nightly.timer']);
  assert.equal(cli(['schedule', 'nightly', '--systemd', '--remove', '--user']).code, 0);
  await fs.rm(env.RECORD as string);
});

test('a failing systemctl is reported with what is already in place, and exits 1', async () => {
  const r = cli(['schedule', 'nightly', '--systemd', '--install'], { FAIL_ON: 'enable' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^pgbr: wrote .*pgbr-nightly\.service; wrote .*pgbr-nightly\.timer; ran .*systemctl daemon-reload; .*systemctl enable --now pgbr-nightly\.timer failed \(.*Access denied\): fix the cause and run the same pgbr schedule command again\.\n$/);
  assert.equal(cli(['schedule', 'nightly', '--systemd', '--remove']).code, 0);
  await fs.rm(env.RECORD as string);
});

test('cron, user crontab: the block goes in once however often it is installed, and --remove takes out only it', async () => {
  await fs.writeFile(env.CRONTAB_FILE as string, 'MAILTO=ops@example.com\n15 * * * * /usr/local/bin/other\n');
  for (let i = 0; i < 2; i++) assert.equal(cli(['schedule', 'local', '--cron', '--install', '--user']).code, 0);
  const crontab = await fs.readFile(env.CRONTAB_FILE as string, 'utf8');
  assert.equal(
    crontab,
    `MAILTO=ops@example.com
15 * * * * /usr/local/bin/other
# BEGIN pgbr local
# pgbr plan local: globals on prod; schedule Mon..Fri 04:15
15 4 * * 1-5 flock -n ${workspace}/.pgbr-local.cron.lock ${process.execPath} ${pgbr} run local --workspace ${workspace}
# END pgbr local
`,
  );
  const removed = cli(['schedule', 'local', '--cron', '--remove', '--user']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(await fs.readFile(env.CRONTAB_FILE as string, 'utf8'), 'MAILTO=ops@example.com\n15 * * * * /usr/local/bin/other\n');
});

test('cron as root without --user: /etc/cron.d/pgbr-PLAN with the user field; a schedule cron cannot keep is refused', { skip: process.getuid?.() !== 0 && 'only root writes /etc/cron.d' }, async () => {
  assert.equal(cli(['schedule', 'local', '--cron', '--install']).code, 0);
  const file = path.join(env.PGBR_CRON_DIR as string, 'pgbr-local');
  assert.match(await fs.readFile(file, 'utf8'), /^15 4 \* \* 1-5 root flock -n /m);
  assert.equal(cli(['schedule', 'local', '--cron', '--remove']).code, 0);
  await assert.rejects(fs.access(file));

  const both = cli(['schedule', 'both', '--cron', '--print']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /cron runs a job when either matches where systemd waits for both; use --systemd/);
  const zone = cli(['schedule', 'nightly', '--cron', '--print']);
  assert.equal(zone.code, 2);
  assert.match(zone.stderr, /has no CRON_TZ; use --systemd, or set timezone: UTC/);
});

test('usage and configuration errors exit 2 and say what to do', () => {
  const unknown = cli(['schedule', 'weekly', '--systemd', '--print']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, 'pgbr: there is no plan named "weekly" in pgbackup.yaml (plans: nightly, local, both): give one of its plans: names.\n');
  const broken = cli(['schedule', 'broken', '--systemd', '--print', '--json']);
  assert.equal(broken.code, 2);
  assert.deepEqual(JSON.parse(broken.stdout), {
    error: {
      kind: 'config',
      message: `${path.join(workspace, 'pgbackup.yaml')}:23:15: plan "broken": schedule "*-*-* 25:00" has the hour 25, outside 0..23; plan "broken" does not load until this is fixed`,
    },
  });
  assert.equal(cli(['schedule', 'nightly', '--print']).stderr, 'pgbr: say which scheduler: --systemd or --cron.\n');
  assert.equal(cli(['schedule', 'nightly', '--cron', '--systemd', '--print']).stderr, 'pgbr: --systemd and --cron cannot be used together: say which scheduler: --systemd or --cron.\n');
  assert.equal(cli(['schedule', 'nightly', '--systemd']).stderr, 'pgbr: say what to do: --print, --install or --remove.\n');
});

test('pgbr plans lists the loaded plans with five next runs, and the broken one as a problem', () => {
  const r = cli(['plans', '--json']);
  assert.equal(r.code, 2);
  const doc = JSON.parse(r.stdout) as { plans: { name: string; nextRuns: string[]; timezone: string; folder: string }[]; problems: { plan: string; line: number }[] };
  assert.deepEqual(doc.plans.map((p) => [p.name, p.timezone, p.nextRuns.length]), [['nightly', 'Europe/Berlin', 5], ['local', 'UTC', 5], ['both', 'UTC', 5]]);
  assert.equal(doc.plans[0]?.folder, path.join(workspace, '.pg-backups'));
  assert.deepEqual(doc.problems.map((p) => [p.plan, p.line]), [['broken', 23]]);
});

/** systemd-analyze's next runs, read in UTC. */
function systemdRuns(expression: string, base: string, count: number): string[] {
  const r = spawnSync('systemd-analyze', ['calendar', `--base-time=${base}`, `--iterations=${count}`, expression], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/g)].map((m) => `${m[1]}T${m[2]}.000Z`);
}

const CROSS_CHECKS: [expression: string, zone: string, base: string][] = [
  ['*-*-* 02:30:00', 'Europe/Berlin', '2027-03-27 12:00:00 UTC'],
  ['*-*-* 02:30:00', 'Europe/Berlin', '2027-10-30 12:00:00 UTC'],
  ['*-*-* *:30:00', 'Europe/Berlin', '2027-10-30 23:00:00 UTC'],
  ['*-*-* 02,03:30:00', 'Europe/Berlin', '2027-03-27 23:00:00 UTC'],
  ['Mon..Fri 02:00', 'Europe/Berlin', '2027-12-30 12:00:00 UTC'],
  ['Sat *-*-1..7 03:00', 'Europe/Berlin', '2027-03-27 23:00:00 UTC'],
  ['Mon,Wed,Fri *-*-* 02:45', 'Australia/Sydney', '2027-04-01 00:00:00 UTC'],
  ['*-*-31 12:00', 'Asia/Tokyo', '2027-12-30 12:00:00 UTC'],
  ['*-*-* 0/6:15', 'Asia/Kolkata', '2027-05-10 00:00:00 UTC'],
  ['*-01,07-01 04:00', 'America/New_York', '2027-06-15 00:00:00 UTC'],
  ['daily', 'America/New_York', '2027-03-13 00:00:00 UTC'],
  ['weekly', 'UTC', '2027-12-29 00:00:00 UTC'],
  ['hourly', 'Europe/Berlin', '2027-03-28 00:00:00 UTC'],
  ['monthly', 'Pacific/Kiritimati', '2027-12-15 00:00:00 UTC'],
  ['quarterly', 'Europe/London', '2027-12-15 00:00:00 UTC'],
  ['*-*-1..10/3 04:00', 'UTC', '2027-12-25 00:00:00 UTC'],
];

test('the next five runs are the ones systemd-analyze calendar --iterations=5 gives, across DST changes and year ends', { skip: !hasSystemdAnalyze && NO_SYSTEMD_ANALYZE }, () => {
  for (const [expression, zone, base] of CROSS_CHECKS) {
    const parsed = parseCalendar(expression);
    assert.ok('spec' in parsed, expression);
    const ours = nextRuns(parsed.spec, zone, new Date(base.replace(' UTC', 'Z').replace(' ', 'T')), 5).map((d) => d.toISOString());
    assert.deepEqual(ours, systemdRuns(`${expression} ${zone}`, base, 5), `${expression} in ${zone} from ${base}`);
  }
});
