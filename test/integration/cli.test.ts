// The built `pgbr` against a real cluster: output shape, exit codes, and no password in any output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from './cluster';
import { appendRecord, journalPath, runIdentity } from '../../src/core/plans/journal';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let workspace: string;
let env: NodeJS.ProcessEnv;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [pgbr, ...args], { cwd: workspace, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 60_000 });
  const result = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  // Whatever the command, the password never reaches its output.
  assert.ok(!result.stdout.includes(cluster.appPassword) && !result.stderr.includes(cluster.appPassword), 'password leaked');
  return result;
}

function json(r: CliResult): Record<string, unknown> {
  return JSON.parse(r.stdout) as Record<string, unknown>; // throws unless stdout is exactly one JSON document
}

async function writeYaml(text: string): Promise<void> {
  await fs.writeFile(path.join(workspace, 'pgbackup.yaml'), text);
}

before(async () => {
  cluster = await startCluster();
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-cli-'));
  const passfile = path.join(workspace, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  // A clean environment: no PG* from the machine, a HOME without its own service file or pgpass.
  env = { PATH: process.env.PATH, HOME: workspace, PGPASSFILE: passfile };
});

after(async () => {
  await cluster?.stop();
  if (workspace) await fs.rm(workspace, { recursive: true, force: true });
});

const goodYaml = (port: number): string => `# test profiles
connections:
  - name: app
    host: 127.0.0.1
    port: ${port}
    user: pgbr_app
    database: postgres
`;

test('connections --json lists the YAML profile with its source', async () => {
  await writeYaml(goodYaml(cluster.port));
  const r = cli(['connections', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = json(r) as { connections: { name: string; source: string; port: number }[]; problems: unknown[] };
  assert.deepEqual(doc.problems, []);
  const app = doc.connections.find((c) => c.name === 'app');
  assert.equal(app?.port, cluster.port);
  assert.equal(app?.source, 'pgbackup.yaml:3');
});

test('a malformed entry exits 2 with file, line and key, and the valid profile still loads', async () => {
  await writeYaml(`${goodYaml(cluster.port)}  - name: typo\n    host: 127.0.0.1\n    prot: 5433\n`);
  const r = cli(['connections']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pgbackup\.yaml:10:5: .*"prot"/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line per problem');
  assert.match(r.stdout, /^app\s/m);
  const j = json(cli(['connections', '--json'])) as { problems: { line: number; message: string }[] };
  assert.equal(j.problems[0]?.line, 10);
});

test('a port out of range and broken YAML are reported, not thrown', async () => {
  await writeYaml('connections:\n  - name: x\n    port: 70000\n');
  let r = cli(['connections']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pgbackup\.yaml:3:\d+: .*70000/);
  await writeYaml('connections:\n  - name: x\n   host: [oops\n');
  r = cli(['connections']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /pgbackup\.yaml:\d+/);
});

test('status --json reports the server, archiving settings and pg_stat_archiver; exit 0 when archiving works', async () => {
  await writeYaml(goodYaml(cluster.port));
  await cluster.sql('select pg_switch_wal(); create table t(x int); insert into t values (1); select pg_switch_wal();');
  const r = cli(['status', '--conn', 'app', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = json(r) as {
    server: { major: number; walLevel: string; archiveMode: string; archiveCommand: string; archiveTimeout: string };
    archiver: { archivedCount: number; failedCount: number };
    problems: string[];
  };
  assert.equal(doc.server.major, 15);
  assert.equal(doc.server.walLevel, 'replica');
  assert.equal(doc.server.archiveMode, 'on');
  assert.ok(doc.server.archiveCommand.includes(cluster.archiveDir));
  assert.equal(typeof doc.server.archiveTimeout, 'string');
  assert.equal(doc.archiver.failedCount, 0);
  assert.deepEqual(doc.problems, []);
});

test('status takes a URI, and text output names the server', async () => {
  const r = cli(['status', '--conn', `postgresql://${cluster.appUser}@127.0.0.1:${cluster.port}/postgres`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /PostgreSQL 15\./);
  assert.match(r.stdout, /archiving: OK/);
  assert.doesNotMatch(r.stdout, /^state: /m, 'one verdict line, not two');
  // The archive comes from the server's archive_command, as in the editor; it holds no base backup yet.
  assert.doesNotMatch(r.stdout, /no WAL archive given/);
  assert.match(r.stdout, /^warning: no base backup is known, and archived WAL alone restores nothing: take a base backup \(pgbr basebackup --conn postgresql:\/\/\S+\)\.$/m, 'said with what the user typed');
});

test('a wrong password exits 2 with the server message and what to do', () => {
  const bad = path.join(workspace, 'pgpass-bad');
  return fs.writeFile(bad, `*:*:*:*:not-the-password\n`, { mode: 0o600 }).then(() => {
    const r = cli(['status', '--conn', 'app'], { PGPASSFILE: bad });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /password authentication failed for user "pgbr_app"/);
    // Said for a shell: the editor's "Set password…" does not exist there.
    assert.match(r.stderr, /put the password in ~\/\.pgpass \(a line host:port:database:user:password, the file mode 0600\) or in PGPASSWORD/);
    assert.doesNotMatch(r.stderr, /Set password/);
  });
});

test('a server that is down exits 2 saying nothing listens there; --json still prints one document', async () => {
  const r = cli(['status', '--conn', 'postgresql://postgres@127.0.0.1:1/postgres', '--json']);
  assert.equal(r.code, 2);
  const doc = json(r) as { error: { kind: string; message: string } };
  assert.equal(doc.error.kind, 'connection');
  assert.match(doc.error.message, /no PostgreSQL server is listening/);
});

test('an unknown profile and bad usage exit 2', () => {
  const r = cli(['status', '--conn', 'nope']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no connection named "nope"/);
  assert.equal(cli(['status']).code, 2);
  assert.equal(cli(['frobnicate']).code, 2);
  assert.equal(cli(['--help']).code, 0);
});

test('a password inside a URI is refused', () => {
  const r = cli(['status', '--conn', `postgresql://pgbr_app:secret@127.0.0.1:${cluster.port}/postgres`]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /must not contain a password/);
  assert.ok(!r.stderr.includes('secret'));
});

test('tools --json finds the PostgreSQL 15 client tools by running them', () => {
  const r = cli(['tools', '--json']);
  const doc = json(r) as { installs: { major: number; tools: Record<string, { version: string; path: string }> }[] };
  const pg15 = doc.installs.find((i) => i.major === 15);
  assert.ok(pg15, 'no PostgreSQL 15 tools found');
  assert.match(pg15.tools.pg_dump?.version ?? '', /^15\.\d+/);
  assert.ok(pg15.tools.pg_restore && pg15.tools.psql && pg15.tools.pg_basebackup && pg15.tools.pg_verifybackup);
});

test('tools with a --bin-path that does not exist reports it and exits 1', () => {
  const r = cli(['tools', '--bin-path', path.join(workspace, 'no-such-bin')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, /no-such-bin/);
  // The named folder is the only place looked in: the machine's own tools are not offered instead.
  assert.match(r.stdout, /^No PostgreSQL client tools in .*no-such-bin: pass the folder that holds pg_dump, or leave --bin-path out/);
  assert.match(r.stdout, /problem: .*no-such-bin in pgBackup\.binPath does not exist/);
  assert.doesNotMatch(r.stdout, /\/usr\/lib\/postgresql/);
});

test('status exits 1 when archiving fails, naming the failure', async () => {
  await writeYaml(goodYaml(cluster.port));
  await cluster.sql(`alter system set archive_command = 'false'; select pg_reload_conf();`);
  try {
    await cluster.sql('insert into t select generate_series(1, 1000); select pg_switch_wal();');
    const deadline = Date.now() + 30_000;
    let r: CliResult;
    do {
      await new Promise((res) => setTimeout(res, 500));
      r = cli(['status', '--conn', 'app', '--json']);
    } while (r.code === 0 && Date.now() < deadline);
    assert.equal(r.code, 1, r.stdout);
    const doc = json(r) as { archiver: { failedCount: number }; problems: string[] };
    assert.ok(doc.archiver.failedCount > 0);
    assert.match(doc.problems.join('\n'), /archiving is failing/);
  } finally {
    await cluster.sql(`alter system reset archive_command; select pg_reload_conf();`);
  }
});

test('leftovers --remove-partials removes unfinished dumps and base backups, and nothing finished', async () => {
  const dumps = path.join(workspace, '.pg-backups');
  await fs.mkdir(path.join(dumps, 'base', 'prod_base.partial'), { recursive: true });
  await fs.writeFile(path.join(dumps, 'base', 'prod_base.partial', 'base.tar'), 'x');
  await fs.writeFile(path.join(dumps, 'shop.dump.partial'), 'half');
  await fs.writeFile(path.join(dumps, 'shop.dump'), 'whole');
  const seen = cli(['leftovers', '--json']);
  assert.equal(seen.code, 1, seen.stderr);
  assert.deepEqual(((json(seen).partials as { path: string }[]).map((p) => path.relative(workspace, p.path))).sort(), ['.pg-backups/base/prod_base.partial', '.pg-backups/shop.dump.partial']);
  const r = cli(['leftovers', '--remove-partials', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((json(r).removed as string[]).length, 2);
  assert.deepEqual(await fs.readdir(dumps).then((n) => n.sort()), ['base', 'shop.dump']);
  assert.deepEqual(await fs.readdir(path.join(dumps, 'base')), []);
});

test('status judges the plans of the connection from their journals: a failed last run fails, a clean prune passes retention', async () => {
  const folder = path.join(workspace, 'plan-dumps');
  await writeYaml(`${goodYaml(cluster.port)}plans:\n  - name: nightly\n    connection: app\n    backup: dump\n    database: postgres\n    folder: ${folder}\n    schedule: daily\n    keep: { daily: 7 }\n`);
  const file = journalPath({ name: 'nightly', folder });
  const at = (minutesAgo: number): string => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const run = (minutesAgo: number) => ({ ...runIdentity('nightly', new Date(Date.now() - minutesAgo * 60_000)), endedAt: at(minutesAgo - 1) });
  await fs.mkdir(folder, { recursive: true });
  await appendRecord(file, { ...run(120), outcome: 'succeeded', retention: { kept: 7, removed: ['/old.dump'], errors: [] } });
  const items = (r: CliResult) => Object.fromEntries((json(r).checklist as { id: string; status: string; detail: string }[]).map((i) => [i.id, i]));

  const good = cli(['status', '--conn', 'app', '--json']);
  assert.equal(items(good).plans?.status, 'pass', items(good).plans?.detail);
  assert.equal(items(good).retention?.status, 'pass', items(good).retention?.detail);
  assert.match(items(good).retention?.detail ?? '', /plan nightly applied its keep rules .* and removed 1 backup\./);

  await appendRecord(file, { ...run(30), outcome: 'failed', error: { message: 'could not connect to the server.' } });
  const bad = cli(['status', '--conn', 'app']);
  assert.equal(bad.code, 1, 'a failed plan fails the status');
  assert.match(bad.stdout, /^FAIL {2}backup plans run on schedule: the last run of plan nightly failed .*: could not connect to the server\.$/m);
  await fs.rm(folder, { recursive: true, force: true });
});
