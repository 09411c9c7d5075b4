// pgbr doctor's findings from the facts it gathers: the tools each plan runs for its server's major, a
// scheduler, the programs encryption, offsite and pgBackRest need, and the folders plans write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planNeeds, readinessFailed, readinessFindings, type ReadinessFacts } from '../../src/core/plans';
import type { ToolInventory } from '../../src/core/platform';
import { findingLine, folderAccess } from '../../src/cli/doctorCommands';

function inventory(...majors: number[]): ToolInventory {
  return {
    installs: majors.map((major) => ({
      major,
      binDir: `/usr/lib/postgresql/${major}/bin`,
      via: '/usr/lib/postgresql/*',
      tools: Object.fromEntries(
        (['pg_dump', 'pg_restore', 'pg_dumpall', 'pg_basebackup', 'psql', 'pg_verifybackup'] as const).map((name) => [name, { name, major, version: `${major}.4`, path: `/usr/lib/postgresql/${major}/bin/${name}` }]),
      ),
    })),
    problems: [],
  };
}

const facts = (over: Partial<ReadinessFacts>): ReadinessFacts => ({
  inventory: inventory(15),
  programs: { systemctl: '/usr/bin/systemctl', 'systemd-analyze': '/usr/bin/systemd-analyze' },
  plans: [],
  planProblems: [],
  servers: {},
  folders: [],
  workspace: '/srv/shop',
  ...over,
});

const nightly = planNeeds({ name: 'nightly', connection: 'shop', backup: 'dump', verify: 'always' });
const status = (f: ReadinessFacts, check: string) => readinessFindings(f).filter((x) => x.check === check).map((x) => x.status);

test('what each kind of plan runs', () => {
  assert.deepEqual(nightly.tools, ['pg_dump', 'pg_restore']);
  assert.deepEqual(planNeeds({ name: 'p', connection: 'c', backup: 'dump', format: 'plain', verify: 'weekly' }).tools, ['pg_dump', 'psql']);
  assert.deepEqual(planNeeds({ name: 'p', connection: 'c', backup: 'dump', verify: 'never' }).tools, ['pg_dump']);
  assert.deepEqual(planNeeds({ name: 'p', connection: 'c', backup: 'globals', verify: 'always' }).tools, ['pg_dumpall', 'psql']);
  assert.deepEqual(planNeeds({ name: 'p', connection: 'c', backup: 'basebackup', verify: 'always' }).tools, ['pg_basebackup', 'pg_verifybackup']);
  const backrest = planNeeds({ name: 'p', connection: 'c', backup: 'pgbackrest', verify: 'never' });
  assert.deepEqual([backrest.tools, backrest.programs.map((p) => p.program)], [[], ['pgbackrest']]);
  const sealed = planNeeds({ name: 'p', connection: 'c', backup: 'dump', verify: 'never', encrypt: ['age1qqq', 'gpg:ABCD'], offsite: [{ to: 'remote:bucket' }] });
  assert.deepEqual(sealed.programs.map((p) => p.program), ['age', 'gpg', 'rclone']);
});

test('no configuration: tools and scheduling only, and a warning that no plan is configured; nothing fails', () => {
  const findings = readinessFindings(facts({}));
  assert.deepEqual(findings.map((f) => [f.check, f.status]), [['tools', 'ok'], ['scheduler', 'ok'], ['plans', 'warn']]);
  assert.match(findings[2]?.message ?? '', /No plans are configured in \/srv\/shop: only the tools and scheduling were checked/);
  assert.equal(readinessFailed(findings), false);
});

test('client tools: none at all fails; for a plan, the lowest major at least the server\'s, on each side of the boundary', () => {
  assert.deepEqual(status(facts({ inventory: inventory() }), 'tools'), ['fail']);
  const on = (server: number, ...majors: number[]) => readinessFindings(facts({ inventory: inventory(...majors), plans: [nightly], servers: { shop: { major: server } } })).filter((f) => f.check === 'pg_dump for nightly');
  assert.equal(on(15, 15)[0]?.status, 'ok');
  assert.match(on(15, 14, 16, 17)[0]?.message ?? '', /^pg_dump 16\.4 .*PostgreSQL 15 server/);
  const old = on(16, 15)[0];
  assert.equal(old?.status, 'fail');
  assert.equal(old?.message, 'pg_dump 15 is older than the PostgreSQL 16 server of plan nightly.');
  assert.equal(old?.fix, 'install postgresql-client-16, or pass --bin-path to its bin folder');
  assert.equal(on(16)[0]?.status, 'fail');
});

test('a server that does not answer leaves the fit unknown: a warning while the tool is there, a failure when it is not', () => {
  const down = { shop: { problem: 'the server at db:5433 did not answer within 5 s' } };
  assert.deepEqual(status(facts({ plans: [nightly], servers: down }), 'pg_dump for nightly'), ['warn']);
  assert.deepEqual(status(facts({ inventory: inventory(), plans: [nightly], servers: down }), 'pg_dump for nightly'), ['fail']);
});

test('scheduling: systemd or cron; with plans, neither fails; cron alone needs flock; systemd without systemd-analyze warns', () => {
  assert.deepEqual(status(facts({ programs: {} }), 'scheduler'), ['warn']);
  assert.deepEqual(status(facts({ programs: {}, plans: [nightly] }), 'scheduler'), ['fail']);
  assert.deepEqual(status(facts({ programs: { crontab: '/usr/bin/crontab', flock: '/usr/bin/flock' } }), 'scheduler'), ['ok']);
  assert.deepEqual(status(facts({ programs: { crontab: '/usr/bin/crontab' } }), 'scheduler'), ['ok', 'fail']);
  assert.deepEqual(status(facts({ programs: { systemctl: '/usr/bin/systemctl' } }), 'scheduler'), ['ok', 'warn']);
});

test('programs a plan needs, plan problems and folders; any failure makes the doctor fail', () => {
  const offsite = planNeeds({ name: 'away', connection: 'shop', backup: 'dump', verify: 'never', offsite: [{ to: 'r:b' }] });
  const base = facts({ plans: [offsite], servers: { shop: { major: 15 } } });
  assert.deepEqual(status(base, 'rclone for away'), ['fail']);
  assert.deepEqual(status({ ...base, programs: { ...base.programs, rclone: '/usr/bin/rclone' } }, 'rclone for away'), ['ok']);
  assert.deepEqual(status(facts({ planProblems: ['pgbackup.yaml:5: keep.last must be at least 1'] }), 'plans'), ['fail']);
  const folders = facts({ plans: [nightly], servers: { shop: { major: 15 } }, folders: [{ plan: 'nightly', folder: '/srv/dumps', access: { writable: false, problem: 'it is not writable by this user' } }] });
  const line = readinessFindings(folders).find((f) => f.check === 'folder of nightly');
  assert.equal(line?.status, 'fail');
  assert.equal(readinessFailed(readinessFindings(folders)), true);
  assert.ok(line);
  assert.match(findingLine(line), /^fail folder of nightly: plan nightly cannot write \/srv\/dumps .*\(fix: create it/);
});

test('a folder is writable, creatable below a writable folder, or not', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgbr-doctor-'));
  try {
    assert.deepEqual(await folderAccess(dir), { writable: true, exists: true });
    assert.deepEqual(await folderAccess(path.join(dir, 'a/b')), { writable: true, exists: false });
    fs.writeFileSync(path.join(dir, 'file'), '');
    assert.deepEqual(await folderAccess(path.join(dir, 'file/x')), { writable: false, problem: `${path.join(dir, 'file')} is not a folder` });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
