// pgbr backrest setup against a real server and pgBackRest: shown first and nothing written, then --write
// --apply-server merges into an existing config and sets archiving; after the restart it asks for,
// stanza-create and pgbr backrest check succeed with the file it wrote.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, type Cluster } from './cluster';
import { runBackrest } from '../../src/core/backrest/run';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const STANZA = 's';
let cluster: Cluster;
let work: string;
let config: string;
let repo: string;
let uri: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Ran> {
  const child = spawn(process.execPath, [pgbr, 'backrest', ...args, '--workspace', work], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

// Locks and logs in the test's folder: the merge must keep them, and pgBackRest then needs no system folder.
const existing = () => `[global]\nlock-path=${path.join(work, 'lock')}\nlog-path=${path.join(work, 'log')}\narchive-timeout=60\n\n# another cluster\n[other]\npg1-path=/srv/other\n`;

before(async () => {
  cluster = await startCluster({ archive: false });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-setup-'));
  // The server's archive-push (as postgres, when we are root) reads the config here and writes the repository.
  await fs.chmod(work, 0o711);
  config = path.join(work, 'pgbackrest.conf');
  repo = path.join(work, 'repo');
  uri = `postgresql://postgres@127.0.0.1:${cluster.port}/postgres?sslmode=disable`;
  for (const dir of ['lock', 'log']) await fs.mkdir(path.join(work, dir));
  await fs.writeFile(config, existing());
  if (process.getuid?.() === 0) {
    const { uid, gid } = await fs.stat(cluster.dataDir);
    for (const p of [path.join(work, 'lock'), path.join(work, 'log'), config]) await fs.chown(p, uid, gid);
  }
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

const setupArgs = () => ['setup', '--conn', uri, '--stanza', STANZA, '--repo-path', repo, '--config', config];

test('without --write the file, settings and SQL are shown, and nothing is written or applied', async () => {
  const r = await run(setupArgs());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Would write ${config} \\(merged into the file as it is\\):\n`));
  assert.match(r.stdout, new RegExp(`\\n\\[s\\]\\npg1-path=${cluster.dataDir}\\npg1-port=${cluster.port}\\npg1-socket-path=${cluster.socketDir}\\n`));
  assert.match(r.stdout, /ALTER SYSTEM SET archive_command = 'pgbackrest --config=.* --stanza=s archive-push %p';/);
  assert.match(r.stdout, /archive_mode takes effect only at a restart/);
  assert.match(r.stdout, /Nothing was written or applied/);
  assert.equal(await fs.readFile(config, 'utf8'), existing());
  assert.equal(await cluster.sql("SELECT count(*) FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf'"), '0');
  await assert.rejects(fs.stat(repo));
});

test('--write --apply-server: the merged file (0640), the repository folder, the settings; archive_mode waits for a restart', async () => {
  const r = await run([...setupArgs(), '--write', '--apply-server', '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const doc = JSON.parse(r.stdout) as { configText: string; existed: boolean; written: { repoCreated: boolean } | null; applied: { applied: string[]; restartNeeded: string[] } | null };
  assert.equal(doc.existed, true);
  assert.equal(doc.written?.repoCreated, true);
  assert.deepEqual(doc.applied, { applied: ['archive_mode', 'archive_command', 'restore_command'], restartNeeded: ['archive_mode'] });
  const text = await fs.readFile(config, 'utf8');
  assert.equal(text, doc.configText);
  assert.ok(text.startsWith(`[global]\nlock-path=${path.join(work, 'lock')}\nlog-path=${path.join(work, 'log')}\narchive-timeout=60\n`));
  assert.match(text, /\n# another cluster\n\[other\]\npg1-path=\/srv\/other\n/);
  assert.match(text, new RegExp(`\\nrepo1-path=${repo}\\n[^[]*compress-type=zst\\n`));
  assert.equal((await fs.stat(config)).mode & 0o777, 0o640);
  if (process.getuid?.() === 0) {
    const server = await fs.stat(cluster.dataDir);
    assert.equal((await fs.stat(repo)).uid, server.uid);
    assert.equal((await fs.stat(config)).uid, server.uid);
  }
  // SHOW says "(disabled)" for archive_command while archive_mode is off: what ALTER SYSTEM wrote is read from the file.
  const auto = await cluster.sql("SELECT name || '=' || setting FROM pg_file_settings WHERE sourcefile LIKE '%postgresql.auto.conf' ORDER BY seqno");
  assert.equal(auto, [`archive_mode=on`, `archive_command=pgbackrest --config=${config} --stanza=s archive-push %p`, `restore_command=pgbackrest --config=${config} --stanza=s archive-get %f "%p"`].join('\n'));
  assert.equal(await cluster.sql('SHOW archive_mode'), 'off');
  assert.equal(await cluster.sql('SHOW restore_command'), `pgbackrest --config=${config} --stanza=s archive-get %f "%p"`);
});

test('after the restart, stanza-create and pgbr backrest check succeed with the written file', async () => {
  await cluster.restart();
  assert.equal(await cluster.sql('SHOW archive_mode'), 'on');
  const created = await runBackrest({ stanza: STANZA, config }, 'stanza-create', []);
  assert.equal(created.status, 'succeeded', created.status === 'failed' ? `${created.message}\n${created.stderrTail.join('\n')}` : '');
  const r = await run(['check', '--stanza', STANZA, '--config', config]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^Stanza s: check passed in [\d.]+ s\n {2}WAL segment [0-9A-F]{24} was archived to repo1\n$/);
  // The segment went in with the compression setup chose.
  const archived = (await fs.readdir(path.join(repo, 'archive', STANZA), { recursive: true })).filter((f) => /[0-9A-F]{24}-[0-9a-f]{40}\.zst$/.test(f));
  assert.ok(archived.length >= 1, 'no zst-compressed WAL segment in the repository');
  // Set up again: the file already holds it, and the server already archives this way.
  const again = await run(setupArgs());
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already holds what setup would write/);
  assert.doesNotMatch(again.stdout, /restart/);
});
