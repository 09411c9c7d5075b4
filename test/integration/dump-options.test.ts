// pg_dump and pg_restore options against a real cluster: they reach the tools, the manifest and verification tell
// the truth about a dump without (some) rows, hostile names survive, and one large table's progress moves in bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { startCluster, createSampleDatabase, type Cluster } from './cluster';
import { runDump, type DumpOptions, type DumpResult } from '../../src/core/logical/dump';
import type { DumpManifest } from '../../src/core/logical/manifest';
import type { DumpProgress } from '../../src/core/logical/progress';
import { PgbrError } from '../../src/core/platform/errors';
import { quoteIdentAlways as q, type QualifiedName } from '../../src/core/postgres/names';
import { runRestore } from '../../src/core/logical/restore';
import { verifyDump } from '../../src/core/logical/verify';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let tools: ToolInventory;
let root: string;

const HOSTILE: QualifiedName = { schema: 'we ird "ü"', name: 'Ta"ble ünï log' };

function appDump(database: string, extra: Partial<DumpOptions>): Promise<DumpResult> {
  return runDump({
    connection: { params: cluster.params(cluster.appUser, database), password: cluster.appPassword },
    profile: 'app',
    database,
    tools,
    output: { folder: root },
    ...extra,
  });
}

function pgRestoreList(dumpPath: string): string[] {
  const r = spawnSync(path.join(cluster.binDir, 'pg_restore'), ['--list', dumpPath], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(';'));
}

async function rows(database: string, table: string): Promise<number> {
  return Number((await cluster.sql(`SELECT count(*) FROM ${table}`, database)).trim());
}

before(async () => {
  cluster = await startCluster({ archive: false });
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-dump-options-'));
  tools = await discoverTools({ env: process.env, platform: process.platform, homedir: os.homedir() });
  await createSampleDatabase(cluster, 'shop');
  await cluster.sql(
    `SET ROLE ${cluster.appUser};
     CREATE SCHEMA ${q(HOSTILE.schema)};
     CREATE TABLE ${q(HOSTILE.schema)}.${q(HOSTILE.name)} (id int PRIMARY KEY, line text);
     INSERT INTO ${q(HOSTILE.schema)}.${q(HOSTILE.name)} SELECT g, 'log ' || g FROM generate_series(1, 77) g;`,
    'shop',
  );
  // One table large enough that its rows take a while to write.
  await cluster.sql(`CREATE DATABASE big OWNER ${cluster.appUser};`);
  await cluster.sql(
    `SET ROLE ${cluster.appUser};
     CREATE TABLE small (id int);
     INSERT INTO small SELECT generate_series(1, 10);
     CREATE TABLE large (id int, payload text);
     INSERT INTO large SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 1200000) g;`,
    'big',
  );
});

after(async () => {
  await cluster?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

test('excluded table data with a hostile name: the definition is in the dump, the rows are not, and the manifest and verification say so', async () => {
  const result = await appDump('shop', { excludeTableData: [HOSTILE] });
  const list = pgRestoreList(result.path);
  assert.ok(list.some((l) => / TABLE we ird "ü" Ta"ble ünï log /.test(l)), 'the table definition is in the dump');
  assert.ok(!list.some((l) => / TABLE DATA we ird "ü" Ta"ble ünï log /.test(l)), 'its rows are not');
  assert.ok(list.some((l) => / TABLE DATA public customers /.test(l)), 'other tables keep their rows');
  assert.deepEqual(result.manifest.options.excludeTableData, ['"we ird ""ü"""."Ta""ble ünï log"']);
  assert.ok(!result.manifest.rowCounts.some((r) => r.schema === HOSTILE.schema), 'no expected count for rows that are not there');

  const report = await verifyDump({ dumpPath: result.path, connection: cluster.params(cluster.appUser, 'shop'), password: cluster.appPassword, inventory: tools });
  assert.equal(report.status, 'passed', report.message);
  assert.match(report.message, /the rows of "we ird ""ü"""\."Ta""ble ünï log" were left out when dumping, so that table was not compared/);
});

test('a schema-only section dump verifies as restoring, never as "rows match"', async () => {
  const result = await appDump('shop', { sections: ['pre-data', 'post-data'] });
  assert.deepEqual(result.manifest.rowCounts, []);
  assert.deepEqual(result.manifest.options.sections, ['pre-data', 'post-data']);
  const report = await verifyDump({ dumpPath: result.path, connection: cluster.params(cluster.appUser, 'shop'), password: cluster.appPassword, inventory: tools, record: false });
  assert.match(report.message, /restores cleanly, but it holds only the pre-data and post-data sections, so no rows to compare/);
  assert.doesNotMatch(report.message, /exact row count/);
});

test('plain script options reach pg_dump: create, clean with if-exists, no tablespaces, encoding, role', async () => {
  const result = await appDump('shop', {
    format: 'plain',
    compression: 'gzip:1',
    create: true,
    clean: true,
    ifExists: true,
    noTablespaces: true,
    encoding: 'LATIN1',
    role: cluster.appUser,
    lockWaitTimeout: '10s',
  });
  let text = '';
  for await (const chunk of createReadStream(result.path).pipe(createGunzip())) text += (chunk as Buffer).toString('latin1');
  assert.match(text, /^CREATE DATABASE shop /m);
  // With create, clean drops the whole database instead of each object.
  assert.match(text, /^DROP DATABASE IF EXISTS shop;/m);
  assert.match(text, /^SET client_encoding = 'LATIN1';/m);
  assert.match(text, /^\\connect shop/m);
  assert.deepEqual(
    { create: result.manifest.options.create, clean: result.manifest.options.clean, ifExists: result.manifest.options.ifExists, role: result.manifest.options.role },
    { create: true, clean: true, ifExists: true, role: cluster.appUser },
  );
  // Replayed into "a new database", this script would drop and recreate shop itself: refused, nothing created.
  await assert.rejects(
    runRestore({ dumpPath: result.path, connection: cluster.params(cluster.appUser, 'shop'), password: cluster.appPassword, inventory: tools, database: 'shop_script', create: true }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /made with pg_dump --create: it creates and connects to its own database shop .* cannot go into "shop_script"/.test(e.message),
  );
  assert.equal((await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname = 'shop_script'`)).trim(), '0');
  assert.equal(await rows('shop', 'public.customers'), 50, 'shop is untouched');
});

test('contradicting options are refused before anything is written', async () => {
  const before = await fs.readdir(root);
  await assert.rejects(appDump('shop', { format: 'custom', clean: true }), (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /clean only changes a plain SQL dump/.test(e.message));
  await assert.rejects(appDump('shop', { format: 'plain', ifExists: true }), (e: unknown) => e instanceof PgbrError && /if-exists only changes the DROP commands/.test(e.message));
  await assert.rejects(appDump('shop', { role: 'no_such_role_here' }), (e: unknown) => e instanceof PgbrError && e.kind === 'tool-failed' && /no_such_role_here/.test(e.message));
  assert.deepEqual(await fs.readdir(root), before, 'nothing left behind');
});

test('restore into a new database with options: sections, no owner and a role reach pg_restore', async () => {
  const dump = await appDump('shop', {});
  const base = { dumpPath: dump.path, connection: cluster.params(cluster.appUser, 'shop'), password: cluster.appPassword, inventory: tools };
  const result = await runRestore({ ...base, database: 'shop new "copy" ü', create: true, sections: ['pre-data'], noOwner: true, role: cluster.appUser, jobs: 2 });
  assert.equal(result.status, 'succeeded', result.message);
  assert.equal(await rows('shop new "copy" ü', 'public.customers'), 0, 'pre-data only: the table, no rows');
  const owner = (await cluster.sql(`SELECT tableowner FROM pg_tables WHERE tablename = 'customers'`, 'shop new "copy" ü')).trim();
  assert.equal(owner, cluster.appUser);
  await assert.rejects(runRestore({ ...base, database: 'shop_never', create: true, disableTriggers: true }), (e: unknown) => e instanceof PgbrError && /disable triggers only acts/.test(e.message));
  await assert.rejects(runRestore({ ...base, database: 'shop_never', create: true, sections: ['data'] }), (e: unknown) => e instanceof PgbrError && /add pre-data/.test(e.message));
  const exists = (await cluster.sql(`SELECT count(*) FROM pg_database WHERE datname = 'shop_never'`)).trim();
  assert.equal(exists, '0', 'a refused restore creates nothing');
});

test('one large table: progress arrives with growing bytes written and the table size read before the dump', async (t) => {
  const events: DumpProgress[] = [];
  // Read often, so even a fast disk gives several readings while the one large table is written.
  const result = await appDump('big', { format: 'plain', progressIntervalMs: 20, onProgress: (p) => events.push(p) });
  const large = events.filter((e) => e.current === 'public.large');
  assert.ok(large.length > 0, 'the large table was reported');
  const size = Number((await cluster.sql(`SELECT pg_table_size('public.large')`, 'big')).trim());
  assert.equal(large[0]?.currentTableBytes, size, "the estimate is the table's own size");
  assert.equal(events.find((e) => e.tableBytesTotal !== undefined)?.tableBytesTotal, size + Number((await cluster.sql(`SELECT pg_table_size('public.small')`, 'big')).trim()));
  const written = large.map((e) => e.bytesWritten ?? 0);
  assert.ok(new Set(written.filter((b) => b > 0)).size >= 2, `bytes written moved while the table was dumped: ${written.join(', ')}`);
  for (let i = 1; i < written.length; i++) assert.ok((written[i] as number) >= (written[i - 1] as number), 'never goes backwards');
  assert.equal(events.filter((e) => e.bytesWritten !== undefined).at(-1)?.bytesWritten, result.manifest.sizeBytes, 'the last reading is the finished file');
  t.diagnostic(`large: ${size} bytes in the database, ${new Set(written).size} readings while it was dumped, ${result.manifest.sizeBytes} bytes written in ${result.manifest.durationMs} ms`);
});

test('pgbr dump and pgbr restore take the same options', async () => {
  const dir = await fs.mkdtemp(path.join(root, 'cli-'));
  const passfile = path.join(dir, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  await fs.writeFile(path.join(dir, 'pgbackup.yaml'), `connections:\n  - name: app\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${cluster.appUser}\n    database: shop\n`);
  const env = { PATH: process.env.PATH, HOME: dir, PGPASSFILE: passfile };
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [pgbr, ...args], { cwd: dir, env });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const dumped = await run(['dump', '--conn', 'app', '--exclude-table-data', `${q(HOSTILE.schema)}.${q(HOSTILE.name)}`, '--no-blobs', '--no-tablespaces', '--lock-wait-timeout', '5s', '--json']);
  assert.equal(dumped.code, 0, dumped.stderr);
  const doc = JSON.parse(dumped.stdout) as DumpManifest & { path: string };
  assert.deepEqual(doc.options.excludeTableData, ['"we ird ""ü"""."Ta""ble ünï log"']);
  assert.equal(doc.options.blobs, 'exclude');
  assert.equal(doc.options.noTablespaces, true);

  const bad = await run(['dump', '--conn', 'app', '--section', 'everything']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"everything" is not a section: use pre-data, data or post-data/);
  const refused = await run(['dump', '--conn', 'app', '--if-exists']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /if-exists only changes the DROP commands that clean writes: add clean/);

  const restored = await run(['restore', doc.path, '--conn', 'app', '--db', 'from_cli', '--create', '--section', 'pre-data', '--section', 'data', '--no-owner', '--role', cluster.appUser, '--json']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.equal(await rows('from_cli', 'public.orders'), 200);
  assert.equal(await rows('from_cli', `${q(HOSTILE.schema)}.${q(HOSTILE.name)}`), 0, 'its rows were left out of the dump');
  const indexes = (await cluster.sql(`SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'`, 'from_cli')).trim();
  assert.equal(indexes, '0', 'no post-data section: no indexes');
  assert.ok(!(dumped.stdout + dumped.stderr + restored.stdout + restored.stderr).includes(cluster.appPassword));
});
