// pgbr backrest against real pgBackRest: a throwaway cluster archiving into a posix repository in a temp
// folder; stanza-create, check, full + diff + incr backups, info read exactly (the system id against
// pg_controldata), expire by our keep rules, a wrong stanza reported, a backup stopped by SIGTERM with
// nothing left running, verify.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Cluster } from './cluster';
import { startBackrestRepo } from './backrestRepo';
import { processesWith } from './processes';
import { runBackrest } from '../../src/core/backrest/run';
import { backrestOverview } from '../../src/core/backrest/overview';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const STANZA = 'it';
let cluster: Cluster;
let work: string;
let config: string;
let repo: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Ran> {
  const child = spawn(process.execPath, [pgbr, 'backrest', ...args, '--workspace', work], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function json<T>(args: string[], expectCode = 0): Promise<T> {
  const r = await run([...args, '--json']);
  assert.equal(r.code, expectCode, `pgbr backrest ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface InfoDoc {
  name: string;
  status: { code: number; message: string; meaning: string };
  db: { id: number; systemId: string; version: string }[];
  archives: { id: string; min?: string; max?: string }[];
  backups: { label: string; type: string; prior?: string; references: string[]; walStart?: string; walStop?: string; lsnStart?: string; lsnStop?: string; size: number; error?: boolean }[];
}

before(async () => {
  ({ cluster, work, config, repo } = await startBackrestRepo(STANZA, 'pgbr-backrest-'));
  await cluster.sql('CREATE TABLE t (id int PRIMARY KEY, pad text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;');
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('before stanza-create, info reports the missing stanza by its code and exits 1 (pgbackrest info itself exits 0)', async () => {
  const doc = await json<InfoDoc>(['info'], 1);
  assert.deepEqual(doc.status, { code: 1, message: 'missing stanza path', meaning: 'missing-stanza-path', backupLockHeld: false });
  const text = await run(['info']);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /stanza "it" does not exist in the repository \(missing stanza path\).*stanza-create/);
});

test('stanza-create, then check switches WAL and finds the segment in the repository', async () => {
  const created = await runBackrest({ stanza: STANZA, config }, 'stanza-create', []);
  assert.equal(created.status, 'succeeded', created.status === 'failed' ? created.message : '');
  const r = await run(['check']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Stanza it: check passed in [\d.]+ s\n {2}WAL segment [0-9A-F]{24} was archived to repo1\n$/);
  assert.match(r.stderr, /switching WAL and waiting for the segment to reach repo1/);
  const doc = await json<{ ok: boolean; archived: { segment: string }[] }>(['check']);
  assert.equal(doc.ok, true);
  assert.equal(doc.archived.length, 1);
});

test('full, diff and incr backups chain, and info reads them with the exact system id of pg_controldata', async () => {
  const full = await run(['backup', '--type', 'full']);
  assert.equal(full.code, 0, full.stderr);
  assert.match(full.stderr, /copying: 100%/);
  assert.match(full.stdout, /^Backup \d{8}-\d{6}F \(full\) of stanza it in /);
  await cluster.sql('INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;');
  const diff = await json<{ backup: { label: string; type: string; prior: string } }>(['backup', '--type', 'diff']);
  await cluster.sql('UPDATE t SET pad = pad || pad WHERE id <= 10;');
  const incr = await json<{ backup: { label: string; type: string; prior: string } }>(['backup', '--type', 'incr']);
  assert.equal(diff.backup.type, 'diff');
  assert.equal(incr.backup.type, 'incr');
  assert.equal(incr.backup.prior, diff.backup.label);

  const info = await json<InfoDoc>(['info']);
  assert.equal(info.status.code, 0);
  assert.deepEqual(info.backups.map((b) => b.type), ['full', 'diff', 'incr']);
  const [f, d, i] = info.backups;
  assert.equal(d?.prior, f?.label);
  assert.deepEqual(i?.references, [f?.label, d?.label]);
  assert.deepEqual([d?.label, i?.label], [diff.backup.label, incr.backup.label]);
  for (const b of info.backups) {
    assert.match(b.walStart ?? '', /^[0-9A-F]{24}$/);
    assert.match(b.lsnStop ?? '', /^[0-9A-F]+\/[0-9A-F]+$/);
    assert.ok(b.size > 1_000_000);
    assert.equal(b.error, false);
  }
  assert.ok((info.archives[0]?.max ?? '') >= (i?.walStop ?? 'Z'));

  const control = execFileSync(path.join(cluster.binDir, 'pg_controldata'), ['-D', cluster.dataDir], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  const systemId = /Database system identifier:\s+(\d+)/.exec(control)?.[1];
  assert.ok(systemId && BigInt(systemId) > 2n ** 53n, control);
  assert.equal(info.db[0]?.systemId, systemId);
  assert.equal(info.db[0]?.version, execFileSync(path.join(cluster.binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).match(/(\d+)\./)?.[1]);
});

test("the overview the WAL Archive view draws: one chain full → diff → incr, the repository's own archive read without a gap, and a segment taken away found as one", async () => {
  await cluster.sql('SELECT pg_switch_wal()');
  const o = await backrestOverview({ stanza: STANZA, config });
  assert.equal(o.chains.length, 1);
  const chain = o.chains[0];
  assert.equal(chain?.backup.type, 'full');
  assert.equal(chain?.dependents[0]?.backup.type, 'diff');
  assert.equal(chain?.dependents[0]?.dependents[0]?.backup.type, 'incr');
  assert.equal(o.repoPath, repo);
  const scan = o.archive?.[0];
  assert.ok(scan && scan.segments >= 3, JSON.stringify(scan));
  assert.deepEqual(scan.timelines.map((t) => t.tli), [1]);
  assert.deepEqual(o.problems, []);
  assert.ok(o.window.latest && o.window.earliest);

  // A segment between two backups goes missing: the archive's own scan finds what info cannot.
  const stop = o.info.backups[1]?.walStop as string;
  const folder = path.join(repo, 'archive', STANZA, scan.archiveId, stop.slice(0, 16));
  const file = (await fs.readdir(folder)).find((f) => f.startsWith(`${stop}-`)) as string;
  await fs.rename(path.join(folder, file), path.join(work, file));
  try {
    const damaged = await backrestOverview({ stanza: STANZA, config });
    const gap = damaged.problems.find((p) => p.message.includes(stop));
    assert.equal(gap?.severity, 'error', JSON.stringify(damaged.problems));
    assert.match(gap?.message ?? '', /^archive 15-1: /);
  } finally {
    await fs.rename(path.join(work, file), path.join(folder, file));
  }
});

test("pgbr status of a server archiving through pgBackRest: its newest backup in the repository is the base backup, and no archive folder is asked for", async () => {
  const ws = path.join(work, 'status-ws');
  await fs.mkdir(ws, { recursive: true });
  await fs.writeFile(
    path.join(ws, 'pgbackup.yaml'),
    `baseBackupMaxAge: 1d\nconnections:\n  - name: it\n    host: ${cluster.socketDir}\n    port: ${cluster.port}\n    user: postgres\n    database: postgres\nrepositories:\n  - kind: pgbackrest\n    stanza: ${STANZA}\n    config: ${config}\n    connection: it\n`,
  );
  const child = spawn(process.execPath, [pgbr, 'status', '--conn', 'it', '--workspace', ws, '--json'], { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await new Promise((resolve) => child.on('close', resolve));
  const doc = JSON.parse(stdout) as { rpo: { baseBackup: { newest?: string; status: string } }; checklist: { id: string; status: string; detail: string }[]; notes?: string[] };
  const newest = (await json<InfoDoc>(['info'])).backups.at(-1)?.label;
  assert.equal(doc.rpo.baseBackup.newest, `${STANZA} ${newest}`, stdout + stderr);
  assert.equal(doc.rpo.baseBackup.status, 'met');
  assert.equal(doc.checklist.find((i) => i.id === 'base-backup')?.status, 'pass');
  assert.doesNotMatch(stdout + stderr, /no WAL archive given/);
});

test('expire: --dry-run shows our rules\' verdict and expires nothing; without it each set goes through expire --set, newest first', async () => {
  const before = await json<InfoDoc>(['info']);
  assert.equal(before.backups.length, 3);
  const second = await json<{ backup: { label: string } }>(['backup', '--type', 'full']);
  const older = [...before.backups].reverse().map((b) => b.label);
  const dry = await json<{ keep: { label: string; reasons: string[] }[]; expire: { label: string }[]; expired: string[] }>(['expire', '--keep-last', '1', '--timezone', 'UTC', '--dry-run']);
  assert.deepEqual(dry.keep.map((k) => [k.label, k.reasons]), [[second.backup.label, ['last 1', 'newest']]]);
  assert.deepEqual(dry.expire.map((b) => b.label), older);
  assert.deepEqual(dry.expired, []);
  assert.equal((await json<InfoDoc>(['info'])).backups.length, 4);
  const text = await run(['expire', '--keep-last', '1', '--timezone', 'UTC', '--dry-run']);
  assert.match(text.stdout, /would expire 3 of 4 backups \(periods in UTC\)[\s\S]*Nothing was expired: run again without --dry-run/);

  const done = await json<{ expired: string[] }>(['expire', '--keep-last', '1', '--timezone', 'UTC']);
  assert.deepEqual(done.expired, older);
  assert.deepEqual((await json<InfoDoc>(['info'])).backups.map((b) => b.label), [second.backup.label]);
  const none = await run(['expire', '--timezone', 'UTC']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /give at least one keep rule/);
});

test('a wrong stanza: info says it does not exist, check fails with pgBackRest\'s error and what to do', async () => {
  const info = await run(['info', '--stanza', 'nosuch']);
  assert.equal(info.code, 1);
  assert.match(info.stdout, /stanza "nosuch" does not exist in the repository/);
  const check = await run(['check', '--stanza', 'nosuch']);
  assert.equal(check.code, 1);
  assert.match(check.stderr, /pgbr: pgbackrest check failed \(exit \d+\): ERROR: \[\d+\]: .*; check that stanza "nosuch" has a section in /);
});

test('SIGTERM during a backup stops pgbackrest, nothing it started outlives pgbr, and the stanza stays usable', async () => {
  // Enough rows that copying takes a moment.
  await cluster.sql("INSERT INTO t SELECT g, repeat(md5(g::text), 20) FROM generate_series(2001, 200000) g;");
  let signalled = false;
  const r = await run(['backup', '--type', 'full'], (stderr, child) => {
    if (!signalled && /copying: \d+%/.test(stderr)) {
      signalled = true;
      child.kill('SIGTERM');
    }
  });
  assert.ok(signalled, r.stderr);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /SIGTERM: stopping pgbackrest backup/);
  assert.match(r.stderr, /pgbackrest backup was stopped: what it copied stays in the repository as a partial backup/);
  // The server's own archive-push may run at any moment; only what pgbr started counts.
  const left = processesWith(config).filter((p) => !p.includes('archive-push'));
  assert.deepEqual(left, []);
  const info = await json<InfoDoc>(['info']);
  assert.equal(info.status.code, 0);
  assert.equal(info.backups.length, 1);
});

test('verify passes on the repository, and exits 1 with the damaged backup when one of its files is gone', async () => {
  const ok = await run(['verify']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^Stanza it: verify found no problem\n {2}WAL \S+: (\d+) of \1 segments valid/);
  const info = await json<InfoDoc>(['info']);
  // The one full left after expire.
  const fullDir = path.join(repo, 'backup', STANZA, info.backups[0]?.label ?? '', 'pg_data');
  const pgVersion = (await fs.readdir(fullDir)).find((f) => f.startsWith('PG_VERSION'));
  assert.ok(pgVersion);
  await fs.rm(path.join(fullDir, pgVersion));
  const bad = await json<{ status: string; problems: string[] }>(['verify'], 1);
  assert.equal(bad.status, 'error');
  assert.equal(bad.problems.length, 1);
  assert.match(bad.problems[0] ?? '', /^backup \S+F is invalid: 1 of \d+ files are damaged \(1 missing\)\.$/);
  const text = await run(['verify']);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /verify found 1 problem\n/);
});
