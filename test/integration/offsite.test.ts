// `pgbr offsite` end to end through Debian's rclone: push, verify and pull to a local folder and to an
// S3 server the test starts (s3rver, credentials in the environment only), a changed byte caught by
// verify, and a damaged copy that a pull never gives a final name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import S3rver from 's3rver';
import { readManifest, type DumpManifest } from '../../src/core/logical/manifest';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let root: string;
let workspace: string;
let s3: S3rver;
let s3Port: number;
/** Never on a command line: rclone reads them from its environment, as a user's would. */
const S3_KEY = 'S3RVER';
const S3_SECRET = 'S3RVER';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    // A CA bundle meant for other tools makes rclone's S3 client refuse plain http.
    delete base.AWS_CA_BUNDLE;
    const child = spawn(process.execPath, [pgbr, ...args, '--workspace', workspace], { cwd: workspace, env: { ...base, RCLONE_CONFIG: path.join(root, 'rclone.conf'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A dump as pgbr writes one: the bytes (random, so any change shows) and a manifest with their sha256. */
async function makeDump(name: string, bytes = 1_500_000): Promise<{ path: string; data: Buffer }> {
  const dir = path.join(workspace, 'dumps');
  await fs.mkdir(dir, { recursive: true });
  const data = randomBytes(bytes);
  const file = path.join(dir, name);
  await fs.writeFile(file, data);
  const now = '2026-11-22T10:15:00.000Z';
  const manifest: DumpManifest = {
    manifestVersion: 1, kind: 'database', profile: 'prod', plan: 'nightly', host: 'db', port: 5432, user: 'app', database: 'shop',
    serverVersion: '16.4', tool: 'pg_dump', toolVersion: '16.4', format: 'custom', options: {}, startedAt: now, finishedAt: now,
    durationMs: 1000, sizeBytes: data.length, sha256: { [name]: sha(data) }, rowCounts: [{ schema: 'public', table: 'orders', rows: 3 }],
  };
  await fs.writeFile(`${file}.manifest.json`, JSON.stringify(manifest, null, 2));
  return { path: file, data };
}

async function makeDirectoryDump(name: string): Promise<string> {
  const dir = path.join(workspace, 'dumps', name);
  await fs.mkdir(dir, { recursive: true });
  const sha256: Record<string, string> = {};
  let size = 0;
  for (const file of ['toc.dat', '3001.dat.gz', '3002.dat.gz']) {
    const data = randomBytes(200_000);
    await fs.writeFile(path.join(dir, file), data);
    sha256[file] = sha(data);
    size += data.length;
  }
  const now = '2026-11-22T10:15:00.000Z';
  await fs.writeFile(`${dir}.manifest.json`, JSON.stringify({ manifestVersion: 1, kind: 'database', profile: 'prod', host: 'db', port: 5432, user: 'app', database: 'shop', serverVersion: '16.4', tool: 'pg_dump', toolVersion: '16.4', format: 'directory', options: {}, startedAt: now, finishedAt: now, durationMs: 1, sizeBytes: size, sha256, rowCounts: [] }));
  return dir;
}

async function names(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, { recursive: true })).map(String).sort();
}

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-offsite-'));
  workspace = path.join(root, 'ws');
  await fs.mkdir(workspace);
  await fs.writeFile(path.join(root, 'rclone.conf'), '');
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(root, 's3'), configureBuckets: [{ name: 'pgbr-copies' }] });
  s3Port = (await s3.run()).port;
});

after(async () => {
  await s3?.close();
  await fs.rm(root, { recursive: true, force: true });
});

test('push, verify, list and pull through a local folder: data then manifest, no .partial left, both recorded in the manifest', async () => {
  const dump = await makeDump('shop_20261122-101500.dump');
  const remote = path.join(root, 'remote-local');
  const push = await cli(['offsite', 'push', dump.path, '--to', remote, '--json']);
  assert.equal(push.code, 0, push.stderr);
  assert.deepEqual(await names(remote), ['shop_20261122-101500.dump', 'shop_20261122-101500.dump.manifest.json']);
  assert.deepEqual(await fs.readFile(path.join(remote, 'shop_20261122-101500.dump')), dump.data);
  let manifest = await readManifest(dump.path);
  assert.equal(manifest?.offsite?.length, 1);
  assert.equal(manifest?.offsite?.[0]?.target, remote);
  assert.ok(manifest?.offsite?.[0]?.copiedAt);
  assert.equal(manifest?.offsite?.[0]?.verifiedAt, undefined, 'a push alone is not a verified copy');

  const verify = await cli(['offsite', 'verify', dump.path, '--to', remote, '--json']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  const doc = JSON.parse(verify.stdout) as { verified: { ok: boolean; files: { method: string }[] } };
  assert.equal(doc.verified.ok, true);
  assert.equal(doc.verified.files[0]?.method, 'remote', "a local folder has rclone's sha256 without a download");
  manifest = await readManifest(dump.path);
  assert.ok(manifest?.offsite?.[0]?.verifiedAt);
  assert.deepEqual(manifest?.offsite?.[0]?.sha256, manifest?.sha256);

  const list = await cli(['offsite', 'list', '--to', remote, '--json']);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual((JSON.parse(list.stdout) as { dumps: unknown[] }).dumps, [{ name: 'shop_20261122-101500.dump', sizeBytes: dump.data.length, files: 1, modified: (JSON.parse(list.stdout) as { dumps: { modified: string }[] }).dumps[0]?.modified, manifest: true }]);

  const out = path.join(root, 'pulled');
  const pull = await cli(['offsite', 'pull', 'shop_20261122-101500.dump', '--from', remote, '--out', out]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.match(pull.stdout, /every file matches its manifest's sha256/);
  assert.deepEqual(await fs.readFile(path.join(out, 'shop_20261122-101500.dump')), dump.data);
  assert.equal((await readManifest(path.join(out, 'shop_20261122-101500.dump')))?.sha256['shop_20261122-101500.dump'], sha(dump.data));
  // Pulled again into the same folder: the first copy is never replaced.
  const again = await cli(['offsite', 'pull', 'shop_20261122-101500.dump', '--from', remote, '--out', out, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(path.basename((JSON.parse(again.stdout) as { pulled: { path: string } }).pulled.path), 'shop_20261122-101500-2.dump');
});

test('a byte changed in the remote copy is caught by verify, which exits 1 naming the file and records the failure', async () => {
  const dump = await makeDump('shop_20261123-101500.dump');
  const remote = path.join(root, 'remote-tamper');
  assert.equal((await cli(['offsite', 'push', dump.path, '--to', remote])).code, 0);
  assert.equal((await cli(['offsite', 'verify', dump.path, '--to', remote])).code, 0);
  const copy = path.join(remote, 'shop_20261123-101500.dump');
  const handle = await fs.open(copy, 'r+');
  await handle.write(Buffer.from([dump.data[700_000]! ^ 0xff]), 0, 1, 700_000);
  await handle.close();
  const verify = await cli(['offsite', 'verify', dump.path, '--to', remote]);
  assert.equal(verify.code, 1);
  assert.match(verify.stdout, new RegExp(`DIFFERS: ${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has sha256 [0-9a-f]{64} but the manifest recorded ${sha(dump.data)}`));
  const entry = (await readManifest(dump.path))?.offsite?.[0];
  assert.ok(entry?.failedAt && entry.verifiedAt && entry.failedAt >= entry.verifiedAt);
  assert.match(entry?.failure ?? '', /has sha256/);
});

test('a pull of a damaged copy exits 1 naming the file and leaves neither the final name nor a .partial', async () => {
  const dump = await makeDump('shop_20261124-101500.dump');
  const remote = path.join(root, 'remote-damaged');
  assert.equal((await cli(['offsite', 'push', dump.path, '--to', remote])).code, 0);
  await fs.truncate(path.join(remote, 'shop_20261124-101500.dump'), 1000);
  const out = path.join(root, 'pulled-damaged');
  const pull = await cli(['offsite', 'pull', 'shop_20261124-101500.dump', '--from', remote, '--out', out]);
  assert.equal(pull.code, 1, pull.stdout + pull.stderr);
  assert.match(pull.stderr, /shop_20261124-101500\.dump has sha256 [0-9a-f]{64} but its manifest recorded/);
  assert.deepEqual(await names(out), []);
});

test('a directory dump goes up as a folder and comes back whole', async () => {
  const dir = await makeDirectoryDump('shop_dir');
  const remote = path.join(root, 'remote-dir');
  assert.equal((await cli(['offsite', 'push', dir, '--to', remote])).code, 0);
  assert.deepEqual(await names(remote), ['shop_dir', 'shop_dir.manifest.json', 'shop_dir/3001.dat.gz', 'shop_dir/3002.dat.gz', 'shop_dir/toc.dat']);
  assert.equal((await cli(['offsite', 'verify', dir, '--to', remote])).code, 0);
  await fs.writeFile(path.join(remote, 'shop_dir', 'extra.dat'), 'x');
  const extra = await cli(['offsite', 'verify', dir, '--to', remote]);
  assert.equal(extra.code, 1);
  assert.match(extra.stdout, /shop_dir\/extra\.dat is not in the manifest/);
  // Pushed again, the folder there is replaced, not merged into: the extra file goes.
  const again = await cli(['offsite', 'push', dir, '--to', remote]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await names(remote), ['shop_dir', 'shop_dir.manifest.json', 'shop_dir/3001.dat.gz', 'shop_dir/3002.dat.gz', 'shop_dir/toc.dat']);
  assert.equal((await cli(['offsite', 'verify', dir, '--to', remote])).code, 0);
  const out = path.join(root, 'pulled-dir');
  const pull = await cli(['offsite', 'pull', 'shop_dir', '--from', remote, '--out', out]);
  assert.equal(pull.code, 0, pull.stderr);
  assert.deepEqual(await names(out), ['shop_dir', 'shop_dir.manifest.json', 'shop_dir/3001.dat.gz', 'shop_dir/3002.dat.gz', 'shop_dir/toc.dat']);
});

test('an S3 server through an on-the-fly remote: keys only in the environment, the copy read back to verify, a changed object caught', async () => {
  const dump = await makeDump('shop_20261125-101500.dump');
  const env = { RCLONE_S3_ACCESS_KEY_ID: S3_KEY, RCLONE_S3_SECRET_ACCESS_KEY: S3_SECRET, RCLONE_RETRIES: '1', RCLONE_LOW_LEVEL_RETRIES: '1' };
  const to = `:s3,provider=Other,endpoint='http://127.0.0.1:${s3Port}',force_path_style=true:pgbr-copies/pg`;
  const push = await cli(['offsite', 'push', dump.path, '--to', to, '--verbose'], env);
  assert.equal(push.code, 0, push.stderr);
  assert.doesNotMatch(push.stderr, /S3RVER/, 'the keys are never logged');
  assert.match(push.stderr, /Running rclone copyto -q --checksum -- .* :s3:pgbr-copies\/pg\/shop_20261125-101500\.dump\.partial/);
  const verify = await cli(['offsite', 'verify', dump.path, '--to', to, '--json'], env);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.equal((JSON.parse(verify.stdout) as { verified: { files: { method: string }[] } }).verified.files[0]?.method, 'download', 'S3 keeps MD5, so the copy is read back');
  const recorded = (await readManifest(dump.path))?.offsite?.[0];
  assert.equal(recorded?.target, `:s3,endpoint='http://127.0.0.1:${s3Port}',provider=Other:pgbr-copies/pg`, 'the backend, the place parameters and the path are recorded, no key and no switch');
  const list = await cli(['offsite', 'list', '--to', to], env);
  assert.match(list.stdout, /shop_20261125-101500\.dump\s+1\.\d+ MB\s+1\s+yes/);

  // Replace the object with other bytes of the same size, as a bad disk or a careless hand would.
  const other = path.join(root, 'other.dump');
  await fs.writeFile(other, randomBytes(dump.data.length));
  const rclone = await new Promise<number | null>((resolve) => {
    const base: NodeJS.ProcessEnv = { ...process.env, ...env, RCLONE_S3_PROVIDER: 'Other', RCLONE_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`, RCLONE_S3_FORCE_PATH_STYLE: 'true' };
    delete base.AWS_CA_BUNDLE;
    spawn('rclone', ['-q', 'copyto', '--', other, ':s3:pgbr-copies/pg/shop_20261125-101500.dump'], { env: base, stdio: 'ignore' }).on('close', resolve);
  });
  assert.equal(rclone, 0);
  const bad = await cli(['offsite', 'verify', dump.path, '--to', to], env);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /:s3:pgbr-copies\/pg\/shop_20261125-101500\.dump has sha256/);
  const out = path.join(root, 'pulled-s3');
  const pull = await cli(['offsite', 'pull', 'shop_20261125-101500.dump', '--from', to, '--out', out], env);
  assert.equal(pull.code, 1);
  assert.deepEqual(await names(out), []);
});

test('a remote rclone could read as an option is refused before rclone runs', async () => {
  const dump = await makeDump('shop_20261126-101500.dump', 1000);
  const r = await cli(['offsite', 'push', dump.path, '--to', '--delete-before']);
  assert.equal(r.code, 2);
  const s = await cli(['offsite', 'push', dump.path, '--to=-x:pg']);
  assert.equal(s.code, 2);
  assert.match(s.stderr, /starts with "-", which rclone would read as an option/);
  assert.equal((await readManifest(dump.path))?.offsite, undefined);
});
