// A roles script restored into a live cluster: into the one it came from (every role there already, the
// superuser included) and into a new one. The roles that exist are not created again, the rest are, the
// dumped attributes and memberships apply, and any other error still stops the script.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let source: Cluster;
let fresh: Cluster;
let work: string;

const uri = (c: Cluster) => `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(c.socketDir)}&port=${c.port}`;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [pgbr, ...args, '--bin-path', source.binDir], { cwd: work, env: { PATH: process.env.PATH, HOME: work }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  [source, fresh] = await Promise.all([startCluster({ archive: false }), startCluster({ archive: false })]);
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-globals-restore-'));
  await source.sql(`CREATE ROLE reporting NOLOGIN; CREATE ROLE "Odd ""Name""" LOGIN CONNECTION LIMIT 3 IN ROLE reporting; ALTER ROLE ${source.appUser} CONNECTION LIMIT 7`);
});

after(async () => {
  await Promise.all([source?.stop(), fresh?.stop()]);
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function takeGlobals(): Promise<string> {
  const r = cli(['globals', '--conn', uri(source), '--out', work, '--name', 'roles', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { path: string }).path;
}

test('restored into the cluster it came from: no role is created again, and the restore succeeds saying which were there', async () => {
  const dump = await takeGlobals();
  const r = cli(['restore', dump, '--conn', uri(source), '--db', 'postgres', '--yes', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; warnings: string[]; errors: string[] };
  assert.equal(doc.status, 'succeeded');
  assert.deepEqual(doc.errors, []);
  const note = doc.warnings.find((w) => w.includes('the cluster already had')) ?? '';
  for (const role of ['postgres', source.appUser, 'reporting', 'Odd "Name"']) assert.ok(note.includes(role), `${role} in: ${note}`);
});

test('restored into a new cluster: the roles it lacks are created with their attributes and memberships; its superuser is left', async () => {
  const dump = await takeGlobals();
  const r = cli(['restore', dump, '--conn', uri(fresh), '--db', 'postgres', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; warnings: string[] };
  assert.equal(doc.status, 'succeeded');
  // startCluster made the app role too: it is not created again, and the dumped ALTER ROLE still sets its limit.
  assert.match(doc.warnings.join('\n'), /2 roles the cluster already had \(pgbr_app, postgres\)/);
  const roles = await fresh.sql(`SELECT rolname || ':' || rolconnlimit || ':' || rolcanlogin FROM pg_roles WHERE rolname IN ('reporting', 'Odd "Name"', '${fresh.appUser}') ORDER BY 1`);
  assert.deepEqual(roles.trim().split('\n'), [`Odd "Name":3:true`, `${fresh.appUser}:7:true`, 'reporting:-1:false']);
  const member = await fresh.sql(`SELECT pg_has_role('Odd "Name"', 'reporting', 'MEMBER')`);
  assert.equal(member.trim(), 't');
});

test('any other error still stops the script and fails the restore', async () => {
  const dump = await takeGlobals();
  const broken = path.join(work, 'broken.sql');
  // A statement the server refuses, after the roles: the restore is a failure, not a success with a note.
  await fs.writeFile(broken, `${await fs.readFile(dump, 'utf8')}\nALTER ROLE no_such_role CONNECTION LIMIT 1;\n`);
  const r = cli(['restore', broken, '--conn', uri(fresh), '--db', 'postgres', '--no-checksum', '--json']);
  assert.notEqual(r.code, 0);
  const doc = JSON.parse(r.stdout) as { status: string; errors: string[] };
  assert.equal(doc.status, 'failed');
  assert.match(doc.errors.join('\n'), /role "no_such_role" does not exist/);
});
