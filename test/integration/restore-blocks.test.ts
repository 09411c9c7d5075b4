// A restore of one table checks only what it reads: the dump's head and that table's data block, by the
// sums recorded as pg_dump streamed. A byte changed in another table's block leaves it working (the full
// check still finds it); one changed in its own block or in the table of contents stops it before pg_restore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDump } from '../../src/core/logical/dump';
import { checkIntegrity } from '../../src/core/logical/integrity';
import { readManifest, type DumpManifest } from '../../src/core/logical/manifest';
import { runRestore, type RestoreOptions } from '../../src/core/logical/restore';
import { readToc } from '../../src/core/logical/toc';
import { PgbrError } from '../../src/core/platform/errors';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';
import { startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let tools: ToolInventory;
let work: string;
let original: string;
let copies = 0;

before(async () => {
  cluster = await startCluster({ archive: false });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-restore-blocks-'));
  tools = await discoverTools({ env: {}, platform: process.platform, homedir: os.homedir(), candidateDirs: [{ dir: cluster.binDir, via: 'test' }] });
  await cluster.sql(`CREATE DATABASE src OWNER ${cluster.appUser}`);
  await cluster.sql(
    `SET ROLE ${cluster.appUser};
     CREATE TABLE public.kept (id int PRIMARY KEY, body text);
     INSERT INTO public.kept SELECT g, 'kept ' || g FROM generate_series(1, 3000) g;
     CREATE TABLE public.other (id int PRIMARY KEY, body text);
     INSERT INTO public.other SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
     CREATE TABLE public.nothing (id int);
     SELECT lo_from_bytea(0, 'a large object'::bytea);`,
    'src',
  );
  const dumped = await runDump({
    connection: { params: cluster.params(cluster.appUser, 'src'), password: cluster.appPassword },
    profile: 'app',
    database: 'src',
    tools,
    output: { folder: path.join(work, 'dumps'), fileName: 'src.dump' },
  });
  original = dumped.path;
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

/** A copy of the dump with its manifest, to damage. */
async function copyOfDump(): Promise<string> {
  const copy = path.join(work, `copy${++copies}.dump`);
  await fs.copyFile(original, copy);
  await fs.copyFile(`${original}.manifest.json`, `${copy}.manifest.json`);
  return copy;
}

async function blockOf(dump: string, table: string): Promise<{ offset: number; length: number; sha256: string }> {
  const toc = await readToc(dump);
  const entry = toc.entries.find((e) => e.desc === 'TABLE DATA' && e.schema === 'public' && e.tag === table);
  const manifest = (await readManifest(dump))!;
  const block = manifest.blocks?.data.find((b) => b.dumpId === entry?.dumpId);
  assert.ok(block, `${table} has a recorded block`);
  return block;
}

/** Flips one byte inside the first chunk's payload of a block (not a length pg_restore skips by). */
async function flipInBlock(dump: string, block: { offset: number }): Promise<void> {
  const bytes = await fs.readFile(dump);
  const intSize = bytes[8]!; // PGDMP, major, minor, revision, then the int size
  const firstChunk = block.offset + 1 + (1 + intSize);
  let length = 0;
  for (let i = intSize; i >= 1; i--) length = length * 256 + bytes[firstChunk + i]!;
  assert.ok(length > 2, 'the block has data');
  const at = firstChunk + 1 + intSize + Math.floor(length / 2);
  bytes[at] = bytes[at]! ^ 0xff;
  await fs.writeFile(dump, bytes);
}

const restoreKept = (dump: string, database: string, extra: Partial<RestoreOptions> = {}) =>
  runRestore({ dumpPath: dump, connection: cluster.params(), inventory: tools, database, create: true, tables: [{ schema: 'public', name: 'kept' }], ...extra });

const exists = async (db: string) => (await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname = '${db}'`)) === '1';

test('the dump through the core records the head and every data block (rows, an empty table, large objects); they tile the file', async () => {
  const manifest = (await readManifest(original)) as DumpManifest;
  const blocks = manifest.blocks;
  assert.ok(blocks, 'an unencrypted custom dump has block sums');
  const bytes = await fs.readFile(original);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.equal(blocks.head.sha256, sha(bytes.subarray(0, blocks.head.length)));
  let end = blocks.head.length;
  for (const b of blocks.data) {
    assert.equal(b.offset, end);
    assert.equal(b.sha256, sha(bytes.subarray(b.offset, b.offset + b.length)));
    end += b.length;
  }
  assert.equal(end, bytes.length);
  assert.equal(Object.values(manifest.sha256)[0], sha(bytes), 'the whole-file sum is as before');
  const toc = await readToc(original);
  const withData = toc.entries.filter((e) => e.desc === 'TABLE DATA' || e.desc === 'BLOBS').map((e) => e.dumpId);
  assert.deepEqual(blocks.data.map((b) => b.dumpId).sort(), withData.sort());
  assert.ok(toc.entries.some((e) => e.desc === 'BLOBS'), 'the large object has its block');
  assert.ok(toc.entries.some((e) => e.desc === 'TABLE DATA' && e.tag === 'nothing'), 'the empty table has its block');
});

test('one table from an intact dump: restored, its parts proven', async () => {
  const r = await restoreKept(original, 'one_intact');
  assert.equal(r.status, 'succeeded', r.message);
  assert.equal(r.checksum, 'parts-intact');
  assert.equal(await cluster.sql('SELECT count(*) FROM public.kept', 'one_intact'), '3000');
  const whole = await runRestore({ dumpPath: original, connection: cluster.params(), inventory: tools, database: 'whole_intact', create: true });
  assert.equal(whole.status, 'succeeded', whole.message);
  assert.equal(whole.checksum, 'intact', 'a whole restore checks the whole file');
});

test("a byte changed in another table's block: the one-table restore works and finds nothing wrong; the full check and a whole restore find the damage", async () => {
  const dump = await copyOfDump();
  await flipInBlock(dump, await blockOf(dump, 'other'));
  const r = await restoreKept(dump, 'one_other_damaged');
  assert.equal(r.status, 'succeeded', r.message);
  assert.equal(r.checksum, 'parts-intact');
  assert.equal(await cluster.sql("SELECT count(*) FROM public.kept WHERE body LIKE 'kept %'", 'one_other_damaged'), '3000');
  assert.equal((await readManifest(dump))?.damage, undefined);

  const full = await checkIntegrity(dump);
  assert.equal(full.status, 'damaged');
  assert.match(full.status === 'damaged' ? full.message : '', /copy\d+\.dump\S* has sha256 [0-9a-f]{64} but its manifest recorded [0-9a-f]{64}: the dump was changed or damaged after it was written/);
  await assert.rejects(
    runRestore({ dumpPath: dump, connection: cluster.params(), inventory: tools, database: 'whole_damaged', create: true }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'damaged',
  );
  assert.equal(await exists('whole_damaged'), false);
});

test("a byte changed in the block before the restored one: pg_restore skips over it by its lengths, and the restore works", async () => {
  const dump = await copyOfDump();
  const [kept, other] = [await blockOf(dump, 'kept'), await blockOf(dump, 'other')];
  assert.ok(kept.offset < other.offset, 'kept is dumped before other');
  await flipInBlock(dump, kept);
  const r = await runRestore({ dumpPath: dump, connection: cluster.params(), inventory: tools, database: 'one_after_damaged', create: true, tables: [{ schema: 'public', name: 'other' }] });
  assert.equal(r.status, 'succeeded', r.message);
  assert.equal(r.checksum, 'parts-intact');
  assert.equal(await cluster.sql('SELECT count(*) FROM public.other', 'one_after_damaged'), '20000');
});

test("a byte changed in the restored table's block: refused before pg_restore runs, naming the table's data", async () => {
  const dump = await copyOfDump();
  const block = await blockOf(dump, 'kept');
  await flipInBlock(dump, block);
  await assert.rejects(restoreKept(dump, 'one_own_damaged'), (e: unknown) => {
    assert.ok(e instanceof PgbrError && e.kind === 'damaged', String(e));
    assert.match(e.message, new RegExp(`copy\\d+\\.dump: the data of TABLE DATA "public"\\."kept" \\(bytes ${block.offset}–${block.offset + block.length}\\) has sha256 [0-9a-f]{64} but its manifest recorded ${block.sha256}: the dump was changed or damaged after it was written\\. Nothing was restored: use another copy of the dump\\.$`));
    return true;
  });
  assert.equal(await exists('one_own_damaged'), false, 'the database was never created');
  assert.match((await readManifest(dump))?.damage?.message ?? '', /the data of TABLE DATA "public"\."kept"/, 'marked damaged for the Dumps view');
  const forced = await restoreKept(dump, 'one_own_forced', { skipChecksum: true });
  assert.equal(forced.checksum, 'skipped');
  assert.equal(forced.status, 'failed', 'pg_restore itself cannot read the damaged block');
});

test('a byte changed in the table of contents: refused before the table of contents is trusted', async () => {
  const dump = await copyOfDump();
  const bytes = await fs.readFile(dump);
  // Inside the TOC: a letter of a name in it, so the archive still parses as one.
  const at = bytes.indexOf(Buffer.from('kept'), 20);
  const head = (await readManifest(dump))!.blocks!.head;
  assert.ok(at > 0 && at < head.length);
  bytes[at] = 'K'.charCodeAt(0);
  await fs.writeFile(dump, bytes);
  await assert.rejects(restoreKept(dump, 'one_toc_damaged'), /copy\d+\.dump: its head \(the header and the table of contents\) \(bytes 0–\d+\) has sha256 [0-9a-f]{64} but its manifest recorded [0-9a-f]{64}: the dump was changed or damaged after it was written\. Nothing was restored/);
  assert.equal(await exists('one_toc_damaged'), false);
});

test('pgbr restore --table says which parts it proved', async () => {
  const passfile = path.join(work, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  await fs.writeFile(path.join(work, 'pgbackup.yaml'), `connections:\n  - name: t\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${cluster.appUser}\n    database: postgres\n    sslmode: disable\n`);
  await cluster.sql(`ALTER ROLE ${cluster.appUser} CREATEDB`);
  const r = spawnSync(process.execPath, [pgbr, 'restore', original, '--conn', 't', '--db', 'cli_one', '--create', '--table', 'public.kept', '--bin-path', cluster.binDir], {
    cwd: work,
    env: { PATH: process.env.PATH, HOME: work, PGPASSFILE: passfile },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /checksums: the table of contents and the data restored match the manifest \(the rest of the dump was not read; pgbr verify checks it all\)\./);
});
