// A dump whose bytes changed after it was written: one byte flipped inside a row, or the file cut in half.
// verify and restore refuse it before they restore anything, toc says it is truncated, the Dumps list marks it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { listDumps, verificationState } from '../../src/core/logical/catalog';
import { chunkedFile, readArchiveSource } from '../../src/core/logical/toc/archive';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
const MARKER = 'the-value-that-gets-flipped';
let cluster: Cluster;
let work: string;
let env: NodeJS.ProcessEnv;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [pgbr, ...args, '--bin-path', cluster.binDir], { cwd: work, env, encoding: 'utf8', timeout: 120_000 });
  assert.ok(!r.stdout.includes(cluster.appPassword) && !r.stderr.includes(cluster.appPassword), 'password leaked');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  cluster = await startCluster({ archive: false });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-integrity-'));
  await cluster.sql(`CREATE DATABASE src OWNER ${cluster.appUser}`);
  await cluster.sql(`SET ROLE ${cluster.appUser}; CREATE TABLE public.notes (id int PRIMARY KEY, body text); INSERT INTO public.notes SELECT g, 'note ' || g FROM generate_series(1, 2000) g; INSERT INTO public.notes VALUES (0, '${MARKER}');`, 'src');
  const passfile = path.join(work, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  await fs.writeFile(path.join(work, 'pgbackup.yaml'), `connections:\n  - name: t\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${cluster.appUser}\n    database: postgres\n    sslmode: disable\n`);
  env = { PATH: process.env.PATH, HOME: work, PGPASSFILE: passfile };
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

async function freshDump(name: string): Promise<string> {
  const r = cli(['dump', '--conn', 't', '--db', 'src', '--compress', '0', '--out', path.join(work, 'dumps', `${name}.dump`), '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { path: string }).path;
}

test('one byte changed inside a row: verify and restore refuse it naming the file and both sums; the list marks it damaged', async () => {
  const dump = await freshDump('flipped');
  const bytes = await fs.readFile(dump);
  const at = bytes.indexOf(MARKER);
  assert.ok(at > 0, 'uncompressed, the row is in the file as written');
  bytes[at] = 'T'.charCodeAt(0);
  await fs.writeFile(dump, bytes);

  const verified = cli(['verify', dump, '--conn', 't']);
  assert.equal(verified.code, 1, verified.stderr);
  assert.match(verified.stdout, /verification failed: .*flipped\.dump has sha256 [0-9a-f]{64} but its manifest recorded [0-9a-f]{64}: the dump was changed or damaged/);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname LIKE 'pgbr\\_verify\\_%'`), '0', 'no restore was tried');
  const manifest = JSON.parse(await fs.readFile(`${dump}.manifest.json`, 'utf8')) as { verification: { status: string }; damage?: { message: string } };
  assert.equal(manifest.verification.status, 'failed');
  assert.match(manifest.damage?.message ?? '', /but its manifest recorded/);
  const listed = (await listDumps(path.dirname(dump))).dumps.find((d) => d.path === dump);
  assert.equal(listed && verificationState(listed), 'damaged');

  const restored = cli(['restore', dump, '--conn', 't', '--db', 'copy1', '--create']);
  assert.equal(restored.code, 1);
  assert.match(restored.stderr, /has sha256 [0-9a-f]{64} but its manifest recorded [0-9a-f]{64}.*Nothing was restored.*pass --no-checksum/);
  assert.equal(await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname = 'copy1'`), '0');

  const forced = cli(['restore', dump, '--conn', 't', '--db', 'copy2', '--create', '--no-checksum']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /checksums: NOT checked \(--no-checksum\): the restored data may be damaged\./);
  assert.equal(await cluster.sql(`SELECT body FROM public.notes WHERE id = 0`, 'copy2'), 'The-value-that-gets-flipped');
});

test('a dump cut in half: toc says it is truncated (from the manifest, and from its own offsets without one), verify and restore refuse it', async () => {
  const dump = await freshDump('halved');
  const size = (await fs.stat(dump)).size;
  await fs.truncate(dump, Math.floor(size / 2));

  const toc = cli(['toc', dump]);
  assert.equal(toc.code, 1, toc.stdout);
  assert.match(toc.stderr, /the dump is truncated/);
  const doc = JSON.parse(cli(['toc', dump, '--json']).stdout) as { damage: string | null };
  assert.match(doc.damage ?? '', /truncated/);

  const verified = cli(['verify', dump, '--conn', 't', '--no-record']);
  assert.equal(verified.code, 1);
  assert.match(verified.stdout, /the dump is truncated \(\d+ of \d+ bytes\)/);
  const restored = cli(['restore', dump, '--conn', 't', '--db', 'copy3', '--create']);
  assert.equal(restored.code, 1);
  assert.match(restored.stderr, /the dump is truncated/);

  await fs.rm(`${dump}.manifest.json`);
  const bare = cli(['toc', dump]);
  assert.equal(bare.code, 1);
  assert.match(bare.stderr, /the dump is truncated: its last data block( \(from byte \d+\))? does not end where the file ends \(byte \d+\)/);
});

test('a custom dump is hashed as pg_dump writes it: the manifest holds sha256sum\'s sum, and restores need none of the data offsets a pipe leaves out', async () => {
  const dump = await freshDump('streamed');
  const manifest = JSON.parse(await fs.readFile(`${dump}.manifest.json`, 'utf8')) as { sha256: Record<string, string>; sizeBytes: number };
  const sum = spawnSync('sha256sum', [dump], { encoding: 'utf8' }).stdout.split(' ')[0];
  assert.deepEqual(Object.values(manifest.sha256), [sum]);
  assert.equal(manifest.sizeBytes, (await fs.stat(dump)).size);
  const read = await readArchiveSource(await chunkedFile(dump), 'custom');
  assert.equal(read.lastDataOffset, -1, 'written to a pipe, the TOC records no data offsets');
  assert.ok(read.unplacedData);

  const one = cli(['restore', dump, '--conn', 't', '--db', 'copy5', '--create', '--table', 'public.notes']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(await cluster.sql('SELECT count(*) FROM public.notes', 'copy5'), '2001');
  const parallel = cli(['restore', dump, '--conn', 't', '--db', 'copy6', '--create', '--jobs', '2']);
  assert.equal(parallel.code, 0, parallel.stderr);
  assert.equal(await cluster.sql('SELECT count(*) FROM public.notes', 'copy6'), '2001');

  // Cut where the table of contents ends, without a manifest: nothing of the data it lists is there.
  await fs.rm(`${dump}.manifest.json`);
  await fs.truncate(dump, read.tocEnd);
  const toc = cli(['toc', dump]);
  assert.equal(toc.code, 1, toc.stdout);
  assert.match(toc.stderr, new RegExp(`the dump is truncated: it ends at byte ${read.tocEnd}, with its table of contents, before the data it lists`));
});

test('an intact dump passes the check and says so', async () => {
  const dump = await freshDump('intact');
  const restored = cli(['restore', dump, '--conn', 't', '--db', 'copy4', '--create']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /checksums: every file matches its manifest\./);
  const toc = cli(['toc', dump]);
  assert.equal(toc.code, 0, toc.stderr);
});
