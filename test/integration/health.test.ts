// Archiver health on a real cluster: healthy archiving, then an archive folder the server cannot write to, seen by collectHealth and by the built `pgbr status`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type pg from 'pg';
import { archivedPerHour, collectHealth, recentArchiveFiles, type HealthInputs, type HealthSnapshot } from '../../src/core/health';
import { withClient } from '../../src/core/postgres/server';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let workspace: string;

before(async () => {
  cluster = await startCluster();
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-health-'));
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    'rpo: 1h\nbaseBackupMaxAge: 7d\nretention: { keepDumps: 14, keepBaseBackups: 4 }\noffsite: s3://bucket/pg\n',
  );
  await cluster.sql('CREATE TABLE t (x int, pad text);');
});

after(async () => {
  // The folder may still be read-only if a test failed half-way: the clean-up must be able to remove it.
  if (cluster) await fs.chmod(cluster.archiveDir, 0o755).catch(() => {});
  await cluster?.stop();
  if (workspace) await fs.rm(workspace, { recursive: true, force: true });
});

const superuser = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => withClient(cluster.params(), {}, fn);

function health(inputs: Partial<HealthInputs> = {}): Promise<HealthSnapshot> {
  return superuser((c) => collectHealth(c, { policy: { rpoSeconds: 3600 }, ...inputs }));
}

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

function status(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [pgbr, 'status', '--workspace', workspace, ...args], {
    cwd: workspace,
    // No PG* variables, service file or pgpass of the machine: the superuser is trusted on 127.0.0.1.
    env: { PATH: process.env.PATH, HOME: workspace },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const uri = (): string => `postgresql://postgres@127.0.0.1:${cluster.port}/postgres`;

test('healthy archiving: segments archived, the lag small, .ready files counted, overall ok', async () => {
  const switches = 3;
  for (let i = 0; i < switches; i++) {
    await cluster.sql(`INSERT INTO t SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g; SELECT pg_switch_wal();`);
  }
  // A base backup leaves its backup history file in the archive, which `--archive` reads.
  const target = path.join(workspace, 'base');
  const bb = spawnSync(path.join(cluster.binDir, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', '-D', target, '-c', 'fast', '-l', 'nightly'], {
    env: { PATH: process.env.PATH, HOME: workspace },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(bb.status, 0, bb.stderr);
  await until('the backup history file', () => fs.readdir(cluster.archiveDir), (names) => names.some((n) => n.endsWith('.backup')));

  const snapshot = await until('everything archived', () => health(), (h) => h.archiver.archivedCount >= switches && h.readyFiles === 0);
  assert.equal(snapshot.archiver.failedCount, 0);
  assert.ok(snapshot.lag.distance, 'distance known');
  assert.ok(snapshot.lag.distance.segments <= 1, JSON.stringify(snapshot.lag));
  assert.ok(snapshot.lag.lastArchiveAgeSeconds !== null && snapshot.lag.lastArchiveAgeSeconds < 120);
  assert.equal(snapshot.rpo.wal.status, 'met');
  assert.equal(snapshot.overall, 'ok', snapshot.reasons.join(' '));
  assert.equal(snapshot.checklist.find((i) => i.id === 'archiving-on')?.status, 'pass');
  assert.equal(snapshot.checklist.find((i) => i.id === 'recent-archive')?.status, 'pass');
  assert.equal(snapshot.checklist.find((i) => i.id === 'no-failure-since-success')?.status, 'pass');

  const files = await recentArchiveFiles(cluster.archiveDir, new Date(Date.now() - 3_600_000));
  const perHour = archivedPerHour(files, new Date());
  assert.ok(perHour.reduce((n, h) => n + h.segments, 0) >= switches);

  const r = status(['--conn', uri(), '--json', '--archive', cluster.archiveDir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as HealthSnapshot & { problems: string[] };
  assert.equal(doc.overall, 'ok');
  assert.deepEqual(doc.problems, []);
  assert.equal(doc.checklist.find((i) => i.id === 'base-backup')?.status, 'pass');
  assert.equal(doc.rpo.baseBackup.newest, 'nightly');
  assert.equal(doc.readyFiles, 0);
  assert.ok((doc.activity ?? []).reduce((n, h) => n + h.segments, 0) >= switches);
});

test('an archive folder the server cannot write to: failed_count rises, overall failing, pgbr status exits 1', async () => {
  const first = await health();
  const state = path.join(workspace, 'status-state.json');
  // The first cron run only remembers where things stood.
  assert.equal(status(['--conn', uri(), '--json', '--state', state]).code, 0);
  await fs.chmod(cluster.archiveDir, 0o555);
  try {
    await cluster.sql(`INSERT INTO t SELECT g, 'y' FROM generate_series(1, 1000) g; SELECT pg_switch_wal();`);
    const failing = await until('a failed archive', () => health({ previous: first }), (h) => h.archiver.failedCount > first.archiver.failedCount);
    assert.ok(failing.failedSincePrevious !== null && failing.failedSincePrevious > 0);
    assert.equal(failing.overall, 'failing');
    const item = failing.checklist.find((i) => i.id === 'no-failure-since-success');
    assert.equal(item?.status, 'fail');
    assert.match(item?.fix ?? '', /archive_command by hand/);
    assert.ok((failing.readyFiles ?? 0) >= 1, 'the failed segment waits as .ready');

    const r = status(['--conn', uri(), '--json', '--state', state]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout) as HealthSnapshot & { problems: string[]; failuresPerHour: { failures: number }[] };
    assert.equal(doc.overall, 'failing');
    assert.ok(doc.archiver.failedCount > 0);
    assert.ok(doc.failedSincePrevious !== null && doc.failedSincePrevious > 0, 'the state file gave the previous check');
    assert.ok(doc.failuresPerHour.reduce((n, h) => n + h.failures, 0) > 0);
    assert.equal(doc.checklist.find((i) => i.id === 'no-failure-since-success')?.status, 'fail');
    assert.match(doc.problems.join('\n'), /archiving is failing/);

    const text = status(['--conn', uri()]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^archiving: FAILING/m);
    assert.match(text.stdout, /^problem: .*archiving is failing/m);
    assert.match(text.stdout, /^FAIL  no archive failure since the last success: archiving is failing/m);
    assert.match(text.stdout, /^ {6}fix: run archive_command by hand/m);
  } finally {
    await fs.chmod(cluster.archiveDir, 0o755);
  }

  // Writable again: the archiver catches up on its own once woken, and the state is ok again.
  await cluster.sql(`INSERT INTO t VALUES (1); SELECT pg_switch_wal();`);
  const recovered = await until('archiving to recover', () => health(), (h) => h.overall === 'ok', 90_000);
  assert.equal(recovered.checklist.find((i) => i.id === 'no-failure-since-success')?.status, 'pass');
  assert.equal(status(['--conn', uri()]).code, 0);
});
