// `pgbr run` and `pgbr prune` against a real cluster: a dump plan and a base-backup plan end to end, the lock, and a failing run journaled and notified.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { listDumps } from '../../src/core/logical/catalog';
import { catalogIndexFile } from '../../src/core/logical/catalogIndex';
import { verifyDump } from '../../src/core/logical/verify';
import { discoverTools } from '../../src/core/platform/tools';
import { listBaseBackups } from '../../src/core/physical/catalog';
import { readJournal, type JournalRecord } from '../../src/core/plans/journal';
import { acquirePlanLock } from '../../src/core/plans/lock';
import { parseWalFileName } from '../../src/core/wal/names';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let workspace: string;
let env: NodeJS.ProcessEnv;
let hook: Server;
const posted: Record<string, unknown>[] = [];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[], onStderr?: (soFar: string, child: ChildProcess) => void): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pgbr, ...args, '--workspace', workspace], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

const dumpsFolder = () => path.join(workspace, 'dumps');
const baseFolder = () => path.join(workspace, 'base');
const journalOf = async (folder: string, plan: string): Promise<JournalRecord[]> => (await readJournal(path.join(folder, `.pgbr-${plan}.journal.jsonl`))).records;

/** Until the archiver has archived every segment up to a WAL switch made now: what is in the archive afterwards does not change under the test. */
async function archiveEverythingSoFar(): Promise<void> {
  const switched = (await cluster.sql('SELECT pg_walfile_name(pg_switch_wal())')).trim();
  const deadline = Date.now() + 60_000;
  for (;;) {
    const last = (await cluster.sql('SELECT coalesce(last_archived_wal, \'\') FROM pg_stat_archiver')).trim();
    if (last >= switched) return;
    if (Date.now() > deadline) throw new Error(`the archiver did not archive ${switched} within a minute (last: ${last})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  cluster = await startCluster();
  await cluster.sql('CREATE DATABASE appdb');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 500) g;', 'appdb');
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-plans-'));
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posted.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/pg`;
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `connections:
  - name: super
    host: 127.0.0.1
    port: ${cluster.port}
    user: postgres
    database: postgres
archives:
  - ${cluster.archiveDir}
plans:
  - name: nightly
    connection: super
    backup: dump
    database: appdb
    folder: dumps
    schedule: daily
    timezone: UTC
    keep: { last: 2 }
    verify: always
  - name: base
    connection: super
    backup: basebackup
    folder: base
    archive: ${cluster.archiveDir}
    schedule: daily
    timezone: UTC
    keep: { last: 1 }
    verify: always
  - name: badzone
    connection: super
    backup: dump
    database: appdb
    folder: dumps-badzone
    schedule: daily
    timezone: Mars/Olympus
    keep: { last: 1 }
    verify: never
  - name: roles
    connection: super
    backup: globals
    folder: globals
    schedule: daily
    timezone: UTC
    verify: always
  - name: down
    connection: super
    backup: dump
    database: appdb
    folder: dumps-down
    schedule: daily
    timezone: UTC
    verify: never
    notify: { on: failure, webhook: ${hookUrl} }
`,
  );
  env = { PATH: process.env.PATH, HOME: workspace };
});

after(async () => {
  await cluster?.stop();
  await new Promise((r) => hook?.close(r));
  if (workspace) await fs.rm(workspace, { recursive: true, force: true });
});

test('a dump plan run three times with keep last 2: each dump verified, the oldest removed with its manifest, three journal records', async () => {
  const paths: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await cli(['run', 'nightly', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as { record: JournalRecord };
    assert.equal(doc.record.outcome, 'succeeded');
    assert.deepEqual(doc.record.verification && { what: doc.record.verification.what, outcome: doc.record.verification.outcome }, { what: 'restore', outcome: 'passed' });
    paths.push(doc.record.backup?.path ?? '');
  }
  const dumps = (await listDumps(dumpsFolder())).dumps;
  assert.deepEqual(dumps.map((d) => d.path).sort(), paths.slice(1).sort());
  assert.ok(dumps.every((d) => d.manifest?.plan === 'nightly' && d.manifest.verification?.status === 'passed'));
  await assert.rejects(fs.access(`${paths[0]}.manifest.json`), 'the removed dump\'s manifest goes with it');
  const journal = await journalOf(dumpsFolder(), 'nightly');
  assert.equal(journal.length, 3);
  assert.deepEqual(journal[0]?.retention?.removed.slice(0, 2), [paths[0], `${paths[0]}.manifest.json`]);
  assert.equal(journal[0]?.retention?.kept, 2);
  // The runs' retention listed the folder through the catalogue index (in the CLI's cache, under HOME), as pgbr prune does.
  const index = await fs.readFile(catalogIndexFile(path.join(workspace, '.cache', 'pgbr'), await fs.realpath(dumpsFolder())), 'utf8');
  assert.equal((JSON.parse(index.slice(0, index.indexOf('\n'))) as { folder: string }).folder, await fs.realpath(dumpsFolder()));
});

test('pgbr prune --dry-run --json: the plan, what stays with its reasons, what goes; nothing is removed', async () => {
  // A dump taken by hand in the plan's folder is not the plan's: never listed, never removed.
  const before = (await listDumps(dumpsFolder())).dumps.map((d) => d.path).sort();
  const r = await cli(['prune', 'nightly', '--dry-run', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { plan: string; keep: { path: string; time: string; reasons: string[] }[]; remove: unknown[] };
  assert.equal(doc.plan, 'nightly');
  assert.equal(doc.keep.length, 2);
  assert.deepEqual(doc.keep.map((k) => k.reasons), [['last 1', 'newest', 'newest verified'], ['last 2']]);
  assert.ok(doc.keep.every((k) => !Number.isNaN(Date.parse(k.time)) && before.includes(k.path)));
  assert.deepEqual(doc.remove, []);
  assert.deepEqual((await listDumps(dumpsFolder())).dumps.map((d) => d.path).sort(), before);
});

test('a second run while the plan\'s lock is held exits 75 at once, names the holder and does nothing', async () => {
  const attempt = await acquirePlanLock({ name: 'nightly', folder: dumpsFolder() });
  assert.ok(attempt.acquired);
  try {
    const before = (await fs.readdir(dumpsFolder())).sort();
    const r = await cli(['run', 'nightly']);
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, new RegExp(`plan nightly is already running \\(pid ${process.pid} since .*\\); nothing was done`));
    assert.deepEqual((await fs.readdir(dumpsFolder())).sort(), before, 'no dump, no journal record');
  } finally {
    await attempt.lock.release();
  }
});

test('a run stopped by SIGTERM while its dump waits on a table lock ends at once, the lock still held: no .partial, journaled as cancelled, the plan lock released', async () => {
  // A transaction holding the table makes the dump wait, so the signal arrives while the dump is under way, whatever the machine's load.
  const blocker = new pg.Client({ host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'appdb' });
  await blocker.connect();
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await blocker.query('ROLLBACK');
  };
  try {
    await blocker.query('BEGIN; LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const waiting = async (): Promise<boolean> =>
      Number((await cluster.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'appdb' AND application_name = 'pgbr dump' AND wait_event_type = 'Lock'")).trim()) > 0;
    const run = cli(['run', 'nightly']);
    const deadline = Date.now() + 60_000;
    while (!(await waiting())) {
      assert.ok(Date.now() < deadline, 'the dump never waited on the table');
      await new Promise((r) => setTimeout(r, 50));
    }
    const lockHolder = JSON.parse(await fs.readFile(path.join(dumpsFolder(), '.pgbr-nightly.lock'), 'utf8')) as { pid: number };
    process.kill(lockHolder.pid, 'SIGTERM');
    // The blocker keeps its lock until the end: the run's waiting query is cancelled, not left to wait.
    const r = await Promise.race([run, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the run did not end within 60 s of SIGTERM while the table stayed locked')), 60_000).unref())]);
    assert.equal(released, false);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /pgbr: plan nightly failed: cancelled: the dump of "appdb" was cancelled; nothing was kept/);
    const journal = await journalOf(dumpsFolder(), 'nightly');
    assert.equal(journal.length, 4);
    assert.equal(journal[0]?.outcome, 'failed');
    assert.match(journal[0]?.error?.message ?? '', /^cancelled: /);
    const names = await fs.readdir(dumpsFolder());
    assert.deepEqual(names.filter((n) => n.endsWith('.partial') || n.endsWith('.lock')), [], 'no .partial, no lock left');
  } finally {
    await release().catch(() => undefined);
    await blocker.end();
  }
});

test('a base-backup plan run twice with keep last 1: the drill is recorded, the first backup and the WAL before the second\'s start go, .history stays', async () => {
  const first = await cli(['run', 'base', '--json']);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const firstPath = (JSON.parse(first.stdout) as { record: JournalRecord }).record.backup?.path ?? '';
  await cluster.sql('INSERT INTO orders SELECT g, \'more\' FROM generate_series(501, 2000) g', 'appdb');
  await archiveEverythingSoFar();
  // A timeline history file (as a promotion leaves): recovery may need it, so retention never removes one.
  const history = path.join(cluster.archiveDir, '00000002.history');
  await fs.writeFile(history, '1\t0/9000000\tno recovery target specified\n');
  const segmentsBefore = (await fs.readdir(cluster.archiveDir)).filter((n) => parseWalFileName(n)?.kind === 'segment');
  assert.ok(segmentsBefore.length >= 2, `the archive has segments before the second backup: ${segmentsBefore.join(', ')}`);

  const second = await cli(['run', 'base', '--json']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  const doc = JSON.parse(second.stdout) as { record: JournalRecord; prune: { remove: { path: string }[]; wal: { segments: number; cutoff: { segment: string } } } };
  assert.deepEqual(doc.record.verification && doc.record.verification.outcome, 'passed');
  assert.deepEqual(doc.prune.remove.map((r) => r.path), [firstPath]);

  const backups = (await listBaseBackups(baseFolder())).backups;
  assert.deepEqual(backups.map((b) => b.path), [doc.record.backup?.path]);
  assert.equal(backups[0]?.record.plan, 'base');
  assert.equal(backups[0]?.record.drill?.status, 'passed');
  await assert.rejects(fs.access(firstPath));
  await assert.rejects(fs.access(`${firstPath}.basebackup.json`));
  const left = await fs.readdir(cluster.archiveDir);
  // Every segment archived before the second backup began lies before its start segment: all of them went.
  assert.deepEqual(segmentsBefore.filter((n) => left.includes(n)), []);
  assert.ok(segmentsBefore.every((n) => n < doc.prune.wal.cutoff.segment));
  assert.equal(doc.prune.wal.segments, segmentsBefore.length);
  assert.ok(left.includes('00000002.history'));
  assert.ok(left.some((n) => n.endsWith('.backup') && n.startsWith(doc.prune.wal.cutoff.segment)), 'the kept backup\'s .backup file stays');
});

test('a globals plan verifies its roles script on a scratch cluster: every role and tablespace comes back, the verdict is in the manifest and the journal', async () => {
  // A tablespace in a folder of the source machine: the scratch cluster creates it in a folder of its own.
  const tsDir = path.join(cluster.root, 'ts-one');
  await fs.mkdir(tsDir);
  const owner = await fs.stat(cluster.root);
  await fs.chown(tsDir, owner.uid, owner.gid);
  await cluster.sql(`CREATE ROLE "Audit ""ro""" LOGIN; CREATE ROLE reporting IN ROLE "Audit ""ro""";`);
  await cluster.sql(`CREATE TABLESPACE ts_one LOCATION '${tsDir}'`);
  try {
    const r = await cli(['run', 'roles']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [record] = await journalOf(path.join(workspace, 'globals'), 'roles');
    assert.equal(record?.outcome, 'succeeded');
    assert.equal(record?.verification?.outcome, 'passed');
    const dumps = (await listDumps(path.join(workspace, 'globals'))).dumps;
    assert.equal(dumps.length, 1);
    assert.equal(dumps[0]?.manifest?.verification?.status, 'passed');
    assert.equal(dumps[0]?.manifest?.verification?.target, 'a scratch cluster');

    // pgbr verify on the same file counts what came back: postgres, pgbr_app and the two roles made here, and the tablespace.
    const v = await cli(['verify', dumps[0].path, '--json']);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const doc = JSON.parse(v.stdout) as { status: string; roles: { expected: number; restored: number }; tablespaces: { expected: number; restored: number } };
    assert.equal(doc.status, 'passed');
    assert.deepEqual(doc.roles, { expected: 4, restored: 4 });
    assert.deepEqual(doc.tablespaces, { expected: 1, restored: 1 });
    const left = (await fs.readdir(os.tmpdir())).filter((n) => n.startsWith('pgbr-globals-'));
    assert.deepEqual(left, [], 'the scratch cluster folder is removed');

    // A script whose statement fails on the scratch cluster is a failed verification, not a pass.
    const broken = path.join(workspace, 'broken_globals.sql');
    await fs.writeFile(broken, (await fs.readFile(dumps[0].path, 'utf8')).replace('CREATE ROLE reporting;', 'CREATE ROLE reporting WITH NO_SUCH_OPTION;'));
    const b = await cli(['verify', broken, '--json']);
    assert.equal(b.code, 1, b.stdout + b.stderr);
    assert.match((JSON.parse(b.stdout) as { message: string }).message, /does not run cleanly on a scratch cluster \(line \d+: unrecognized role option "no_such_option"\)/);

    // A database dump still needs its server; the core never test-restores a roles script on a live server.
    const dbDump = (await listDumps(dumpsFolder())).dumps[0]!.path;
    const noConn = await cli(['verify', dbDump]);
    assert.equal(noConn.code, 2, noConn.stdout + noConn.stderr);
    assert.match(noConn.stderr, /is a database dump: it is verified by a restore into a scratch database, so name the server with --conn NAME/);
    await assert.rejects(
      verifyDump({ dumpPath: dumps[0].path, connection: cluster.params(), inventory: await discoverTools({ env: process.env, platform: process.platform, homedir: os.homedir() }) }),
      /is a globals dump: its roles and tablespaces belong to the whole server, so it is never test-restored on this server/,
    );
  } finally {
    await cluster.sql('DROP TABLESPACE ts_one; DROP ROLE reporting; DROP ROLE "Audit ""ro"""');
  }
});

test('a plan with an unknown time zone does not load: pgbr run exits 2 saying where, and takes no backup', async () => {
  const r = await cli(['run', 'badzone', '--json']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { error: { kind: string; message: string } };
  assert.equal(doc.error.kind, 'config');
  assert.match(doc.error.message, /pgbackup\.yaml:\d+:\d+: .*Mars\/Olympus.*plan "badzone" does not load until this is fixed/);
  assert.deepEqual(await fs.readdir(path.join(workspace, 'dumps-badzone')).catch(() => []), [], 'nothing was written');
});

test('a run with the server stopped exits 1, is journaled as failed and notified to the webhook', async () => {
  await cluster.stop();
  const r = await cli(['run', 'down']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^pgbr: plan down failed: /);
  const journal = await journalOf(path.join(workspace, 'dumps-down'), 'down');
  assert.equal(journal.length, 1);
  assert.equal(journal[0]?.outcome, 'failed');
  assert.match(journal[0]?.error?.message ?? '', /127\.0\.0\.1/);
  assert.deepEqual(journal[0]?.notified, { ok: true });
  assert.equal(posted.length, 1);
  assert.equal(posted[0]?.plan, 'down');
  assert.equal(posted[0]?.outcome, 'failed');
  assert.equal(posted[0]?.error, journal[0]?.error?.message);
  assert.deepEqual((await fs.readdir(path.join(workspace, 'dumps-down'))).filter((n) => n.endsWith('.partial')), [], 'no partial left');
});
