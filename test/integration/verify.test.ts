// Verifying dumps against a real cluster: exact counts pass, cut dumps and wrong manifests fail, no scratch database survives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readManifest, writeManifest, type DumpManifest } from '../../src/core/logical/manifest';
import { checksumDump } from '../../src/core/logical/checksum';
import { PgbrError } from '../../src/core/platform/errors';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';
import { scratchDatabaseName, verifyDump, type VerifyOptions } from '../../src/core/logical/verify';
import { createSampleDatabase, startCluster, type Cluster } from './cluster';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let dir: string;
let inventory: ToolInventory;

function pgEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return env;
}

function pgDump(database: string, file: string, args: string[]): string {
  const out = path.join(dir, file);
  execFileSync(path.join(cluster.binDir, 'pg_dump'), ['-h', cluster.socketDir, '-p', String(cluster.port), '-U', 'postgres', '-f', out, ...args, database], { env: pgEnv() });
  return out;
}

/** A manifest with the exact counts of every table of `database`, as a dump would record them. */
async function manifestFor(dump: string, database: string, format: DumpManifest['format']): Promise<DumpManifest> {
  const out = await cluster.sql(
    `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1, 2`,
    database,
  );
  const rowCounts: DumpManifest['rowCounts'] = [];
  for (const line of out.split('\n')) {
    const [schema, table] = line.split('|') as [string, string];
    const rows = Number(await cluster.sql(`SELECT count(*) FROM "${schema}"."${table}"`, database));
    rowCounts.push({ schema, table, rows });
  }
  const now = new Date().toISOString();
  const manifest: DumpManifest = {
    manifestVersion: 1,
    kind: 'database',
    profile: 'test',
    host: '127.0.0.1',
    port: cluster.port,
    user: 'postgres',
    database,
    serverVersion: '15',
    tool: 'pg_dump',
    toolVersion: '15',
    format,
    options: {},
    startedAt: now,
    finishedAt: now,
    durationMs: 1,
    ...(await checksumDump(dump)),
    rowCounts,
  };
  await writeManifest(dump, manifest);
  return manifest;
}

async function scratchDatabases(): Promise<string[]> {
  const out = await cluster.sql(`SELECT datname FROM pg_database WHERE datname LIKE 'pgbr\\_verify\\_%'`);
  return out === '' ? [] : out.split('\n');
}

function verify(opts: Partial<VerifyOptions> & { dumpPath: string }) {
  return verifyDump({ connection: cluster.params(), inventory, profileName: 'test', ...opts });
}

before(async () => {
  cluster = await startCluster({ archive: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-verify-'));
  inventory = await discoverTools({ env: {}, platform: process.platform, homedir: os.homedir(), candidateDirs: [{ dir: cluster.binDir, via: 'test' }] });
  await createSampleDatabase(cluster, 'shop');
  await cluster.sql(`CREATE TABLE public.big AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 200000) g;`, 'shop');
});

after(async () => {
  await cluster?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test('scratch database names are recognisable, unique and short enough', () => {
  const a = scratchDatabaseName('Shop Prod');
  const b = scratchDatabaseName('Shop Prod');
  assert.match(a, /^pgbr_verify_shop_prod_[0-9a-f]{8}$/);
  assert.notEqual(a, b);
  assert.ok(Buffer.byteLength(scratchDatabaseName('x'.repeat(200))) <= 63);
  assert.match(scratchDatabaseName(undefined), /^pgbr_verify_dump_/);
});

test('a good dump passes with every table counted, is recorded in the manifest, and leaves no scratch database', async () => {
  const dump = pgDump('shop', 'good.dump', ['-Fc']);
  const manifest = await manifestFor(dump, 'shop', 'custom');
  const r = await verify({ dumpPath: dump });
  assert.equal(r.status, 'passed', r.message);
  assert.equal(r.manifestFound, true);
  assert.deepEqual(
    r.tables.map((t) => [t.schema, t.table, t.expected, t.actual, t.ok]),
    manifest.rowCounts.map((c) => [c.schema, c.table, c.rows, c.rows, true]),
  );
  assert.match(r.message, /restores cleanly and all 4 tables hold the exact row counts/);
  assert.equal(r.scratchDropped, true);
  assert.match(r.scratchDatabase, /^pgbr_verify_shop_/);
  assert.deepEqual(await scratchDatabases(), []);
  assert.equal(r.recorded, true);
  const written = await readManifest(dump);
  assert.equal(written?.verification?.status, 'passed');
  assert.equal(written?.verification?.target, `test/${r.scratchDatabase}`);
  assert.equal(written?.verification?.tables.find((t) => t.table === 'orders')?.actual, 200);
  assert.deepEqual(written?.rowCounts, manifest.rowCounts, 'the rest of the manifest is kept');
});

test('a dump cut in half fails with the reason, and is recorded as failed', async () => {
  const full = pgDump('shop', 'full.dump', ['-Fc', '-Z0']);
  const bytes = await fs.readFile(full);
  const cut = path.join(dir, 'cut.dump');
  await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await manifestFor(cut, 'shop', 'custom');
  const r = await verify({ dumpPath: cut });
  assert.equal(r.status, 'failed');
  assert.match(r.message, /^the dump is truncated or corrupt: pg_restore could not read it \(.+\)/);
  assert.deepEqual(await scratchDatabases(), []);
  const written = await readManifest(cut);
  assert.equal(written?.verification?.status, 'failed');
  assert.match(written?.verification?.message ?? '', /truncated or corrupt/);
});

test('a dump cut inside its table of contents fails too', async () => {
  const full = pgDump('shop', 'small.dump', ['-Fc']);
  const cut = path.join(dir, 'cut-toc.dump');
  await fs.writeFile(cut, (await fs.readFile(full)).subarray(0, 1500));
  const r = await verify({ dumpPath: cut });
  assert.equal(r.status, 'failed');
  assert.match(r.message, /^the dump is truncated or corrupt: /);
  assert.deepEqual(await scratchDatabases(), []);
});

test('a manifest count that differs fails, naming the table, expected and actual', async () => {
  const dump = pgDump('shop', 'differs.dump', ['-Fc']);
  const manifest = await manifestFor(dump, 'shop', 'custom');
  const orders = manifest.rowCounts.find((c) => c.table === 'orders')!;
  orders.rows = 201;
  manifest.rowCounts.push({ schema: 'public', table: 'vanished', rows: 3 });
  await writeManifest(dump, manifest);
  const r = await verify({ dumpPath: dump });
  assert.equal(r.status, 'failed');
  assert.deepEqual(
    r.tables.filter((t) => !t.ok).map((t) => [t.table, t.expected, t.actual]),
    [
      ['orders', 201, 200],
      ['vanished', 3, null],
    ],
  );
  assert.match(r.message, /2 of 5 tables differ from the manifest's row counts: "public"\."orders" expected 201, found 200; "public"\."vanished" expected 3, missing/);
  const written = await readManifest(dump);
  assert.equal(written?.verification?.status, 'failed');
  assert.deepEqual(written?.verification?.tables.find((t) => t.table === 'vanished'), { schema: 'public', table: 'vanished', expected: 3, actual: null });
  assert.deepEqual(await scratchDatabases(), []);
});

test('without a manifest the counts are reported as found, and a clean restore passes', async () => {
  const dump = pgDump('shop', 'bare.tar', ['-Ft']);
  const r = await verify({ dumpPath: dump });
  assert.equal(r.status, 'passed', r.message);
  assert.equal(r.manifestFound, false);
  assert.equal(r.recorded, false);
  assert.match(r.message, /no manifest, so there were no expected row counts to compare/);
  assert.deepEqual(
    r.tables.map((t) => [t.schema, t.table, t.expected, t.actual]),
    [
      ['public', 'big', null, 200000],
      ['public', 'customers', null, 50],
      ['public', 'orders', null, 200],
      ['sales', 'invoices', null, 120],
    ],
  );
  assert.equal(await readManifest(dump), undefined, 'no manifest is invented');
});

test('a dump of one table whose foreign key points at a table left out passes, and names the key it could not check', async () => {
  const dump = pgDump('shop', 'orphan.dump', ['-Fc', '-t', 'public.orders']);
  await manifestFor(dump, 'shop', 'custom').then((m) => writeManifest(dump, { ...m, rowCounts: m.rowCounts.filter((c) => c.table === 'orders') }));
  const r = await verify({ dumpPath: dump });
  assert.equal(r.status, 'passed', r.message);
  assert.equal(r.restore?.status, 'succeeded');
  assert.equal(r.restore?.errorsIgnored, 0);
  const customerKey = { schema: 'public', table: 'orders', name: 'orders_customer_id_fkey', references: { schema: 'public', name: 'customers' } };
  assert.deepEqual(r.foreignKeysLeftOut, [customerKey]);
  assert.match(
    r.message,
    /^the dump restores cleanly and its one table holds the exact row count the manifest recorded \(200 rows\)\. 1 foreign key \("orders_customer_id_fkey" on "public"\."orders" to "public"\."customers"\) was left out of the test restore and not checked: the table it references is not in the dump\.$/,
  );
  assert.deepEqual(r.tables.map((t) => [t.table, t.actual, t.ok]), [['orders', 200, true]]);
  const written = await readManifest(dump);
  assert.equal(written?.verification?.status, 'passed');
  assert.deepEqual(written?.verification?.foreignKeysLeftOut, [customerKey]);
  assert.deepEqual(await scratchDatabases(), []);
});

test('restore errors fail the verification even when pg_restore went on', async () => {
  // Rows that break a foreign key to a table the dump does hold: that key fails to restore, and the
  // key to the table left out is still only left out.
  await createSampleDatabase(cluster, 'broken');
  await cluster.sql(`SET session_replication_role = replica; INSERT INTO sales.invoices (order_id, amount) VALUES (9999, 1);`, 'broken');
  const dump = pgDump('broken', 'broken.dump', ['-Fc', '-t', 'public.orders', '-t', 'sales.invoices']);
  await manifestFor(dump, 'broken', 'custom').then((m) => writeManifest(dump, { ...m, rowCounts: m.rowCounts.filter((c) => c.table !== 'customers') }));
  const r = await verify({ dumpPath: dump });
  assert.equal(r.status, 'failed');
  assert.equal(r.restore?.status, 'failed');
  assert.ok((r.restore?.errorsIgnored ?? 0) >= 1);
  assert.match(r.message, /^the dump does not restore cleanly: .*violates foreign key constraint "invoices_order_id_fkey"/);
  assert.deepEqual(r.foreignKeysLeftOut.map((k) => k.name), ['orders_customer_id_fkey']);
  assert.deepEqual(r.tables.map((t) => [t.table, t.actual]), [['orders', 200], ['invoices', 121]], 'counts are still taken');
  assert.equal((await readManifest(dump))?.verification?.status, 'failed');
  assert.deepEqual(await scratchDatabases(), []);
});

test('a plain SQL dump is verified through psql', async () => {
  const dump = pgDump('shop', 'plain.sql', ['-Fp']);
  await manifestFor(dump, 'shop', 'plain');
  const r = await verify({ dumpPath: dump });
  assert.equal(r.status, 'passed', r.message);
  assert.deepEqual(await scratchDatabases(), []);
});

test('a cancelled verification drops the scratch database and records nothing', async () => {
  const dump = pgDump('shop', 'cancel.dump', ['-Fc']);
  await manifestFor(dump, 'shop', 'custom');
  const controller = new AbortController();
  const r = await verify({
    dumpPath: dump,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.item.includes('"public.big"')) controller.abort();
    },
  });
  assert.equal(r.status, 'cancelled');
  assert.equal(r.recorded, false);
  assert.deepEqual(await scratchDatabases(), []);
  assert.equal((await readManifest(dump))?.verification, undefined);
});

test('a server that cannot be reached is an error, not a verdict', async () => {
  const dump = pgDump('shop', 'unreachable.dump', ['-Fc']);
  await assert.rejects(
    verifyDump({ dumpPath: dump, connection: { host: '127.0.0.1', port: 1, user: 'postgres', database: 'postgres', sslmode: 'disable' }, inventory }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'connection',
  );
});

// ---------------------------------------------------------------------------------------------
// The built CLI

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [pgbr, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...env }, encoding: 'utf8', timeout: 120_000 });
  assert.ok(!r.stdout.includes(cluster.appPassword) && !r.stderr.includes(cluster.appPassword), 'password leaked');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('pgbr verify --json: 0 when it passes, 1 when counts differ, 2 when it cannot connect', async () => {
  const passfile = path.join(dir, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  const conn = `postgresql://${cluster.appUser}@127.0.0.1:${cluster.port}/postgres`;
  const dump = pgDump('shop', 'cli.dump', ['-Fc']);
  const manifest = await manifestFor(dump, 'shop', 'custom');

  const ok = cli(['verify', dump, '--conn', conn, '--json', '--bin-path', cluster.binDir], { PGPASSFILE: passfile });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const doc = JSON.parse(ok.stdout) as {
    dump: string;
    status: string;
    manifest: DumpManifest;
    tables: { schema: string; table: string; expected: number; actual: number }[];
    scratchDropped: boolean;
  };
  assert.equal(doc.dump, dump);
  assert.equal(doc.status, 'passed');
  assert.equal(doc.manifest.database, 'shop');
  assert.equal(doc.manifest.verification?.status, 'passed');
  assert.deepEqual(doc.tables.find((t) => t.table === 'invoices'), { schema: 'sales', table: 'invoices', expected: 120, actual: 120, ok: true });
  assert.equal(doc.scratchDropped, true);

  await writeManifest(dump, { ...manifest, rowCounts: manifest.rowCounts.map((c) => (c.table === 'customers' ? { ...c, rows: 49 } : c)) });
  const differs = cli(['verify', dump, '--conn', conn, '--bin-path', cluster.binDir], { PGPASSFILE: passfile });
  assert.equal(differs.code, 1, differs.stderr);
  assert.match(differs.stdout, /verification failed: 1 of 4 tables differ/);
  assert.match(differs.stdout, /"public"\."customers"|customers\s+49\s+50\s+DIFFERS/);

  const oneTable = pgDump('shop', 'cli-orphan.dump', ['-Fc', '-t', 'public.orders']);
  const leftOut = cli(['verify', oneTable, '--conn', conn, '--bin-path', cluster.binDir], { PGPASSFILE: passfile });
  assert.equal(leftOut.code, 0, leftOut.stdout + leftOut.stderr);
  assert.match(leftOut.stdout, /^verification passed: the dump restores cleanly \(1 table, 200 rows\); it has no manifest, .* 1 foreign key \("orders_customer_id_fkey" on "public"\."orders" to "public"\."customers"\) was left out/);
  assert.match(leftOut.stdout, /^left out: foreign key "orders_customer_id_fkey" on "public"\."orders" not checked: it references "public"\."customers", which is not in the dump$/m);

  const down = cli(['verify', dump, '--conn', 'postgresql://postgres@127.0.0.1:1/postgres', '--json']);
  assert.equal(down.code, 2);
  assert.equal((JSON.parse(down.stdout) as { error: { kind: string } }).error.kind, 'connection');
  assert.deepEqual(await scratchDatabases(), []);
});
