// The table as it was, from a dump: dumpPastSource restores only that table onto a throwaway cluster in a
// private folder, the read sees the rows deleted live since, and the cluster and folder are gone after a
// read, after a failed restore, and after a SIGKILL of the process running it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { listDumps, type CatalogEntry } from '../../src/core/logical';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';
import { withClient } from '../../src/core/postgres/server';
import { dumpPastSource, newestDumpWithTable } from '../../src/core/undo';
import { startCluster, type Cluster } from './cluster';
import { processesWith } from './processes';

let cluster: Cluster;
let work: string;
let scratch: string;
let dump: CatalogEntry;
let inventory: ToolInventory;
const orders = { schema: 'public', name: 'orders' };

const exists = (p: string) => fs.stat(p).then(() => true, () => false);

before(async () => {
  cluster = await startCluster({ archive: false });
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-pastdump-'));
  // The scratch folders are made here, so the test sees every one; others can enter it (the server may run as postgres).
  scratch = path.join(work, 'scratch');
  await fs.mkdir(scratch);
  await fs.chmod(work, 0o755);
  await fs.chmod(scratch, 0o755);
  await cluster.sql('CREATE DATABASE shop');
  await cluster.sql(
    `CREATE TABLE customers (id int PRIMARY KEY, name text);
     CREATE TABLE orders (id int PRIMARY KEY, customer int REFERENCES customers, note text);
     CREATE TABLE items (id serial PRIMARY KEY, order_id int REFERENCES orders, what text);
     INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 10) g;
     INSERT INTO orders SELECT g, 1 + g % 10, 'order ' || g FROM generate_series(1, 500) g;
     INSERT INTO items (order_id, what) SELECT 1 + g % 500, 'item' FROM generate_series(1, 50) g;`,
    'shop',
  );
  const uri = `postgresql://postgres@localhost/shop?host=${encodeURIComponent(cluster.socketDir)}&port=${cluster.port}`;
  const r = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/pgbr.js'), 'dump', '--conn', uri, '--db', 'shop', '--bin-path', cluster.binDir], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work }, cwd: work, timeout: 120_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const dumps = (await listDumps(path.join(work, '.pg-backups'))).dumps;
  const profile = dumps[0]?.manifest?.profile as string;
  const found = await newestDumpWithTable({ dumps, connection: profile, database: 'shop', table: orders, now: new Date() });
  assert.ok(found.found, JSON.stringify(found.skipped));
  dump = found.found.dump;
  // The bad query, after the dump.
  await cluster.sql('DELETE FROM items; DELETE FROM orders;', 'shop');
  inventory = await discoverTools({ binPath: cluster.binDir, env: process.env, platform: process.platform, homedir: os.homedir() });
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('the read sees the 500 rows deleted live since the dump, only that table is there, and nothing is left after', async () => {
  const source = dumpPastSource({ dump, table: orders, binDir: cluster.binDir, inventory, scratchParent: scratch, timeZone: 'UTC' });
  const seen = await source(async (server) => {
    const mode = (await fs.stat(server.socketDir)).mode & 0o777;
    const counted = await withClient({ host: server.socketDir, port: server.port, user: server.user, database: server.database, sslmode: 'disable' }, {}, async (c) => {
      const r = await c.query<{ n: string; items: string | null; customers: string | null }>("SELECT count(*)::text AS n, to_regclass('public.items')::text AS items, to_regclass('public.customers')::text AS customers FROM public.orders");
      return r.rows[0];
    });
    return { dir: server.socketDir, mode, counted, source: server.source, live: processesWith(server.socketDir).length };
  });
  assert.equal(seen.counted?.n, '500');
  assert.deepEqual([seen.counted?.items, seen.counted?.customers], [null, null]);
  assert.equal(seen.mode, 0o700);
  assert.ok(seen.live > 0, 'the scratch server ran during the read');
  assert.match(seen.source, new RegExp(`^dump ${dump.name.replace(/[.]/g, '\\.')} of \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`));
  assert.equal(await exists(seen.dir), false);
  assert.deepEqual(processesWith(seen.dir), []);
  assert.deepEqual(await fs.readdir(scratch), []);
});

test('a table the dump does not hold fails, and a read that throws still leaves nothing', async () => {
  await assert.rejects(dumpPastSource({ dump, table: { schema: 'public', name: 'nosuch' }, binDir: cluster.binDir, inventory, scratchParent: scratch })(async () => 1), /nosuch/);
  assert.deepEqual(await fs.readdir(scratch), []);
  let dir = '';
  await assert.rejects(
    dumpPastSource({ dump, table: orders, binDir: cluster.binDir, inventory, scratchParent: scratch })(async (server) => {
      dir = server.socketDir;
      throw new Error('the comparison failed');
    }),
    /the comparison failed/,
  );
  assert.ok(dir);
  assert.deepEqual(processesWith(dir), []);
  assert.deepEqual(await fs.readdir(scratch), []);
});

test('SIGKILL of the process running it: the scratch server stops and its folder goes', { timeout: 120_000 }, async () => {
  const options = { dump, table: orders, binDir: cluster.binDir, inventory, scratchParent: scratch };
  const script = `
    const { dumpPastSource } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/undo/index.ts'))});
    const options = ${JSON.stringify(options)};
    options.dump.time = new Date(options.dump.time);
    void dumpPastSource(options)(async (server) => {
      process.stdout.write('UP ' + server.socketDir + '\\n');
      await new Promise(() => setInterval(() => undefined, 1000));
    });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^UP (\S+)$/m.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('close', (code) => reject(new Error(`the child ended (${code}) before the server was up: ${out}`)));
  });
  assert.ok(processesWith(dir).length > 0, 'the scratch server runs');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  for (let i = 0; i < 150 && (processesWith(dir).length > 0 || (await exists(dir))); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(processesWith(dir), []);
  assert.equal(await exists(dir), false);
  assert.deepEqual(await fs.readdir(scratch), []);
});
