// The table as it was just before a bad DELETE, from a base backup and a real cluster's archived WAL:
// drillPastSource recovers a scratch copy to just before the DELETE's xid (or its commit time), the read
// sees the deleted rows and none of the later commits, on a paused (read-only) server where COPY, pg_dump
// and catalog reads work; the scratch server and folder are gone after a read, a read that throws, a
// target beyond the archive, a cancel, and a SIGKILL of the process running it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { withClient } from '../../src/core/postgres/server';
import { drillPastSource, type DrillPastSourceOptions, fileOwners, locateTable, type PastServer, tableTransactions } from '../../src/core/undo';
import { startCluster, type Cluster, switchAndWaitArchived, transactionXid } from './cluster';
import { processesWith } from './processes';

let cluster: Cluster;
let work: string;
let baseDir: string;
const xids: Record<string, string> = {};
let deletedAt: Date;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (p: string) => fs.stat(p).then(() => true, () => false);


/** One committed transaction in shop; its xid, from inside it. */
async function tx(name: string, sql: string): Promise<void> {
  xids[name] = await transactionXid(cluster, sql);
}

/** A scratch parent of its own per test, so each sees exactly what it left. */
async function scratchFor(name: string): Promise<string> {
  const dir = path.join(work, name);
  await fs.mkdir(dir, { mode: 0o711 });
  return dir;
}

function options(scratchParent: string, more: Partial<DrillPastSourceOptions> = {}): DrillPastSourceOptions {
  return {
    baseBackupDir: baseDir,
    restore: { kind: 'copy', archiveDir: cluster.archiveDir },
    target: { beforeXid: xids.delete as string },
    database: 'shop',
    binDir: cluster.binDir,
    scratchParent,
    timeZone: 'UTC',
    timeoutMs: 120_000,
    ...more,
  };
}

const connect = (s: PastServer) => ({ host: s.socketDir, port: s.port, user: s.user, database: s.database, sslmode: 'disable' as const });

async function assertLeftNothing(scratch: string, dir?: string): Promise<void> {
  if (dir) {
    assert.deepEqual(processesWith(dir), []);
    assert.equal(await exists(dir), false);
  }
  assert.deepEqual(processesWith(scratch), []);
  assert.deepEqual(await fs.readdir(scratch), []);
}

before(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-pastdrill-'));
  // The scratch servers run as postgres when we are root: it must be able to pass through.
  await fs.chmod(work, 0o711);
  cluster = await startCluster();
  await cluster.sql('CREATE DATABASE shop');
  await cluster.sql('CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL); CREATE TABLE audit (id serial PRIMARY KEY, what text);', 'shop');
  await tx('fill1', "INSERT INTO orders SELECT g, 'batch 1' FROM generate_series(1, 100) g");
  await tx('fill2', "INSERT INTO orders SELECT g, 'batch 2' FROM generate_series(101, 200) g; INSERT INTO audit (what) VALUES ('before the backup')");
  baseDir = path.join(work, 'base');
  execFileSync(path.join(cluster.binDir, 'pg_basebackup'), ['-D', baseDir, '-Fp', '-X', 'stream', '-c', 'fast', '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres'], {
    env: { PATH: process.env.PATH ?? '' },
  });
  await tx('fill3', "INSERT INTO orders SELECT g, 'batch 3' FROM generate_series(201, 300) g");
  await tx('update', "UPDATE orders SET note = 'shipped' WHERE id <= 50");
  await switchAndWaitArchived(cluster);
  await tx('fill4', "INSERT INTO orders SELECT g, 'batch 4' FROM generate_series(301, 340) g");
  await tx('delete', 'DELETE FROM orders');
  // Later work elsewhere, which the past copy must not have.
  await tx('later1', "INSERT INTO audit (what) SELECT 'after ' || g FROM generate_series(1, 7) g");
  await tx('later2', 'CREATE TABLE later (id int); INSERT INTO later VALUES (1)');
  await tx('later3', "INSERT INTO orders VALUES (1000, 'new after the delete')");
  await switchAndWaitArchived(cluster);

  const params = cluster.params('postgres', 'shop');
  const { relation, oid } = await withClient(params, {}, (c) => locateTable(c, { schema: 'public', name: 'orders' }));
  const read = await tableTransactions({ pgWaldump: path.join(cluster.binDir, 'pg_waldump'), archiveDir: cluster.archiveDir, relation, tableOid: oid, owners: (files) => withClient(params, {}, (c) => fileOwners(c, oid, files)) });
  const del = read.transactions.find((t) => String(t.xid) === xids.delete);
  assert.ok(del?.at, `the DELETE is listed with its commit time: ${JSON.stringify(read.transactions)}`);
  assert.equal(del.deleted, 340);
  deletedAt = del.at;
});

after(async () => {
  await cluster?.stop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

test('just before the DELETE xid: all 340 rows as they were, none of the later commits; COPY, pg_dump and catalogs work on the paused server; nothing is left', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('xid');
  const phases: string[] = [];
  const seen = await drillPastSource(options(scratch, { onProgress: (p) => phases.push(p.phase) }))(async (server) => {
    const sql = await withClient(connect(server), {}, async (c) => {
      const one = async (q: string) => Object.values((await c.query(q)).rows[0] as Record<string, unknown>)[0];
      return {
        recovery: await one('SELECT pg_is_in_recovery()'),
        paused: await one('SELECT pg_get_wal_replay_pause_state()'),
        orders: await one('SELECT count(*)::int FROM orders'),
        shipped: await one("SELECT count(*)::int FROM orders WHERE note = 'shipped'"),
        newest: await one('SELECT max(id) FROM orders'),
        audit: await one('SELECT count(*)::int FROM audit'),
        later: await one("SELECT to_regclass('public.later')::text"),
        columns: (await c.query<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position")).rows.map((r) => r.column_name),
        key: await one("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'p'"),
      };
    });
    const libpq = ['-h', server.socketDir, '-p', String(server.port), '-U', server.user, '-d', server.database];
    const copied = execFileSync(path.join(cluster.binDir, 'psql'), ['-X', '-A', '-t', ...libpq, '-c', 'COPY (SELECT id, note FROM orders ORDER BY id) TO STDOUT'], { encoding: 'utf8' });
    const dumped = execFileSync(path.join(cluster.binDir, 'pg_dump'), [...libpq, '--data-only', '--table=public.orders'], { encoding: 'utf8' });
    return { server, sql, copied: copied.trim().split('\n'), dumped, live: processesWith(server.socketDir).length };
  });
  assert.deepEqual(seen.sql, { recovery: true, paused: 'paused', orders: 340, shipped: 50, newest: 340, audit: 1, later: null, columns: ['id', 'note'], key: 'PRIMARY KEY (id)' });
  assert.equal(seen.copied.length, 340);
  assert.equal(seen.copied[0], '1\tshipped');
  assert.equal(seen.copied.at(-1), '340\tbatch 4');
  // pg_dump writes the rows in their physical order: the 50 updated ones last.
  const dumpedRows = /COPY public\.orders \(id, note\) FROM stdin;\n([^]*?)\n\\\.\n/.exec(seen.dumped)?.[1]?.split('\n') ?? [];
  assert.equal(dumpedRows.length, 340);
  assert.equal(dumpedRows.filter((l) => l.endsWith('\tshipped')).length, 50);
  assert.ok(seen.live > 0, 'the scratch server ran during the read');
  assert.equal(seen.server.database, 'shop');
  assert.equal(seen.server.source, `base backup base with WAL to just before xid ${xids.delete}`);
  assert.deepEqual(phases, ['restore', 'start', 'recover', 'inspect', 'stop']);
  await assertLeftNothing(scratch, seen.server.socketDir);
});

test('just before the DELETE commit time (exclusive): the same 340 rows', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('time');
  const seen = await drillPastSource(options(scratch, { target: { beforeTime: deletedAt } }))(async (server) => ({
    server,
    n: await withClient(connect(server), {}, async (c) => (await c.query<{ n: number }>('SELECT count(*)::int AS n FROM orders')).rows[0]?.n),
  }));
  assert.equal(seen.n, 340);
  assert.match(seen.server.source, /^base backup base with WAL to just before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await assertLeftNothing(scratch, seen.server.socketDir);
});

test('a read that throws: its error comes back, after the scratch server is stopped and its folder removed', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('throws');
  let dir = '';
  await assert.rejects(
    drillPastSource(options(scratch))(async (server) => {
      dir = server.socketDir;
      throw new Error('the comparison failed');
    }),
    /^Error: the comparison failed$/,
  );
  assert.ok(dir);
  await assertLeftNothing(scratch, dir);
});

test('an xid beyond the archive: a PgbrError that says recovery ran out of WAL, the read never runs, nothing is left', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('beyond');
  const beyond = String(Number(xids.later3) + 1000);
  let ran = false;
  await assert.rejects(
    drillPastSource(options(scratch, { target: { beforeXid: beyond } }))(async () => {
      ran = true;
    }),
    (e: Error & { kind?: string }) => {
      assert.equal(e.kind, 'tool-failed');
      assert.match(e.message, new RegExp(`^base backup base could not be recovered to just before xid ${beyond}: recovery ended before reaching the target: the archived WAL ran out`));
      return true;
    },
  );
  assert.equal(ran, false);
  await assertLeftNothing(scratch);
});

test('a database the backup does not have: said before the read runs', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('nodb');
  await assert.rejects(drillPastSource(options(scratch, { database: 'nosuch' }))(async () => 1), /database nosuch is not in base backup base as recovered to just before xid/);
  await assertLeftNothing(scratch);
});

test('a cancel while the read waits: cancelled at once, the scratch server stopped and its folder removed', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('cancel');
  const controller = new AbortController();
  let dir = '';
  await assert.rejects(
    drillPastSource(options(scratch, { signal: controller.signal }))(async (server) => {
      dir = server.socketDir;
      controller.abort();
      await new Promise(() => undefined);
    }),
    (e: Error & { kind?: string }) => e.kind === 'cancelled',
  );
  await assertLeftNothing(scratch, dir);
});

test('SIGKILL of the process running it mid-read: the scratch server stops and its folder goes', { timeout: 180_000 }, async () => {
  const scratch = await scratchFor('kill');
  const script = `
    const { drillPastSource } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/undo/index.ts'))});
    void drillPastSource(${JSON.stringify(options(scratch))})(async (server) => {
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
  for (let i = 0; i < 150 && (processesWith(dir).length > 0 || (await exists(dir))); i++) await sleep(100);
  await assertLeftNothing(scratch, dir);
});
