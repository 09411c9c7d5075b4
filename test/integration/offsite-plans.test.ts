// A plan with an offsite target on a real cluster: each run copies its dump to a local-folder remote,
// verifies it there and applies the target's keep rules; the journal says what was copied, verified and
// removed; pgbr status passes the offsite item only while the newest copy is verified; an unreachable
// remote fails the run's offsite step but leaves the backup standing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readManifest } from '../../src/core/logical/manifest';
import type { JournalRecord } from '../../src/core/plans/journal';
import type { CheckItem } from '../../src/core/health/snapshot';
import { runPlan } from '../../src/core/plans/run';
import { findServerBinDir } from '../../src/core/pitr';
import { discoverTools } from '../../src/core/platform/tools';
import { findPlanToRun } from '../../src/cli/plans';
import type { Io } from '../../src/cli/io';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let workspace: string;
let remote: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pgbr, ...args, '--workspace', workspace], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function run(plan: string): Promise<{ code: number | null; record: JournalRecord; stderr: string }> {
  const r = await cli(['run', plan, '--json']);
  const doc = JSON.parse(r.stdout || '{}') as { record?: JournalRecord };
  assert.ok(doc.record, r.stdout + r.stderr);
  return { code: r.code, record: doc.record, stderr: r.stderr };
}

async function offsiteItem(): Promise<CheckItem | undefined> {
  const r = await cli(['status', '--conn', 'super', '--json', '--archive', cluster.archiveDir]);
  return (JSON.parse(r.stdout) as { checklist: CheckItem[] }).checklist.find((i) => i.id === 'offsite');
}

before(async () => {
  cluster = await startCluster();
  await cluster.sql('CREATE DATABASE appdb');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 300) g;', 'appdb');
  workspace = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-offsite-plans-'));
  remote = path.join(workspace, 'offsite-copies');
  const connection = (name: string) => `  - name: ${name}\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: postgres\n    database: postgres\n`;
  await fs.writeFile(
    path.join(workspace, 'pgbackup.yaml'),
    `connections:
${connection('super')}${connection('other')}plans:
  - name: copied
    connection: super
    backup: dump
    database: appdb
    folder: dumps
    schedule: daily
    timezone: UTC
    keep: { last: 5 }
    verify: never
    offsite:
      - to: ${remote}
        keep: { last: 2 }
  - name: unreachable
    connection: other
    backup: dump
    database: appdb
    folder: dumps-unreachable
    schedule: daily
    timezone: UTC
    verify: never
    offsite: [{ to: "nosuchremote:pg" }]
  - name: configured
    connection: other
    backup: dump
    database: appdb
    folder: dumps-configured
    schedule: daily
    timezone: UTC
    verify: never
    offsite: [{ to: "vault:pg", rcloneConfig: vault.conf }]
`,
  );
  await fs.writeFile(path.join(workspace, 'rclone.conf'), '');
  // A remote that only the plan's own rclone config knows (RCLONE_CONFIG points at an empty one).
  await fs.writeFile(path.join(workspace, 'vault.conf'), `[vault]\ntype = alias\nremote = ${path.join(workspace, 'vault-copies')}\n`);
  env = { PATH: process.env.PATH, HOME: workspace, RCLONE_CONFIG: path.join(workspace, 'rclone.conf') };
});

after(async () => {
  await cluster?.stop();
  if (workspace) await fs.rm(workspace, { recursive: true, force: true });
});

test('three runs copy and verify each dump offsite, the third removes the oldest copy there, and status passes the offsite item', async () => {
  const taken: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { code, record, stderr } = await run('copied');
    assert.equal(code, 0, stderr + JSON.stringify(record));
    const dump = record.backup?.path as string;
    taken.push(path.basename(dump));
    assert.equal(record.offsite?.length, 1);
    const o = record.offsite?.[0];
    assert.equal(o?.target, remote);
    assert.equal(o?.copied, path.join(remote, path.basename(dump)));
    assert.equal(o?.verified, true);
    assert.deepEqual(o?.errors, []);
    assert.deepEqual(o?.removed, i < 2 ? [] : [taken[0]], `run ${i + 1}`);
    const entry = (await readManifest(dump))?.offsite?.[0];
    assert.ok(entry?.verifiedAt, 'the local manifest records the verified copy');
    // The copy's manifest there says it verified, which the remote's retention judges by.
    const there = JSON.parse(await fs.readFile(path.join(remote, `${path.basename(dump)}.manifest.json`), 'utf8')) as { offsite?: { verifiedAt?: string }[] };
    assert.ok(there.offsite?.[0]?.verifiedAt);
  }
  const left = (await fs.readdir(remote)).sort();
  assert.deepEqual(left, [taken[1], `${taken[1]}.manifest.json`, taken[2], `${taken[2]}.manifest.json`].sort());
  const item = await offsiteItem();
  assert.equal(item?.status, 'pass', item?.detail);
  assert.match(item?.detail ?? '', /plan copied at /);

  // The newest copy changed there: verify says so, and the checklist no longer passes.
  const newest = path.join(remote, taken[2] as string);
  await fs.appendFile(newest, 'x');
  const verify = await cli(['offsite', 'verify', path.join(workspace, 'dumps', taken[2] as string), '--to', remote]);
  assert.equal(verify.code, 1);
  const failed = await offsiteItem();
  assert.equal(failed?.status, 'fail');
  assert.match(failed?.detail ?? '', new RegExp(`^plan copied: its newest backup, ${(taken[2] as string).replace(/\./g, '\\.')}, has no verified copy at .*; the last verified copy there is .* old\\.$`));
});

test("a target's rcloneConfig is the config rclone reads for it, whatever RCLONE_CONFIG says", async () => {
  const { code, record, stderr } = await run('configured');
  assert.equal(code, 0, stderr + JSON.stringify(record.offsite));
  assert.equal(record.offsite?.[0]?.target, 'vault:pg');
  assert.equal(record.offsite?.[0]?.verified, true);
  const name = path.basename(record.backup?.path as string);
  assert.deepEqual((await fs.readdir(path.join(workspace, 'vault-copies', 'pg'))).sort(), [name, `${name}.manifest.json`]);
});

test('run from an untrusted folder, the plan still backs up but makes no offsite copy, and says why', async () => {
  const io: Io = { out: () => undefined, err: () => undefined, env };
  const plan = await findPlanToRun('configured', workspace, io);
  const before = await fs.readdir(path.join(workspace, 'vault-copies', 'pg')).catch(() => []);
  const result = await runPlan(plan, {
    connect: async () => ({ profile: 'super', params: { host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' } }),
    tools: () => discoverTools({ env: process.env, platform: process.platform, homedir: os.homedir() }),
    serverBinDir: findServerBinDir,
    trusted: false,
  });
  assert.equal(result.exitCode, 1);
  assert.equal(result.record?.outcome, 'succeeded');
  assert.ok(await fs.stat(result.record?.backup?.path as string));
  assert.match(result.record?.offsite?.[0]?.errors[0] ?? '', /not made, because this folder is not trusted/);
  assert.deepEqual(await fs.readdir(path.join(workspace, 'vault-copies', 'pg')).catch(() => []), before, 'rclone was not run');
});

test('a run whose remote cannot be reached keeps its backup, journals the offsite error and exits 1', async () => {
  const { code, record } = await run('unreachable');
  assert.equal(code, 1);
  assert.equal(record.outcome, 'succeeded');
  const dump = record.backup?.path as string;
  assert.ok(await fs.stat(dump));
  const o = record.offsite?.[0];
  assert.equal(o?.target, 'nosuchremote:pg');
  assert.equal(o?.verified, false);
  assert.equal(o?.copied, undefined);
  assert.match(o?.errors[0] ?? '', /copying .* to nosuchremote:pg\/.* failed: rclone/);
});
