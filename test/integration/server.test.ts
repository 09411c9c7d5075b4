// The server queries and connection errors against a real throwaway cluster, and the cluster helper's own clean-up.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type pg from 'pg';
import { PgbrError } from '../../src/core/platform/errors';
import type { ConnectionParams } from '../../src/core/profiles/types';
import { describeConnectionError, getArchiverStatus, getServerInfo, listDatabases, listSchemas, listTables, withClient, type ConnectOptions } from '../../src/core/postgres/server';
import { formatBytes } from '../../src/core/platform/bytes';
import { createSampleDatabase, startCluster, type Cluster } from './cluster';

const APP_PASSWORD = "app 'secret' \\ pw";
let cluster: Cluster;

before(async () => {
  // Autovacuum off: the "never analysed" estimate must not change under the test's feet.
  cluster = await startCluster({ password: APP_PASSWORD, extraConf: { autovacuum: 'off' } });
  await createSampleDatabase(cluster);
});

after(async () => {
  await cluster?.stop();
});

const superuser = <T>(fn: (c: pg.Client) => Promise<T>, database = 'shop'): Promise<T> =>
  withClient(cluster.params('postgres', database), {}, fn);

/** Resolves with the PgbrError the call rejects with; fails the test if it resolves or throws something else. */
async function connectError(params: ConnectionParams, opts: ConnectOptions = {}): Promise<PgbrError> {
  try {
    await withClient(params, opts, (c) => c.query('SELECT 1'));
  } catch (e) {
    assert.ok(e instanceof PgbrError, `expected a PgbrError, got ${String(e)}`);
    return e;
  }
  assert.fail('the connection unexpectedly succeeded');
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // An exited postmaster can linger as a zombie until init reaps it: that is not a running server.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

void test('server info reports version and archiving settings to a superuser', async () => {
  const info = await superuser(getServerInfo);
  assert.equal(info.major, 15);
  assert.match(info.version, /^15\.\d+$/);
  assert.equal(Math.floor(info.versionNum / 10000), 15);
  assert.equal(info.walLevel, 'replica');
  assert.equal(info.archiveMode, 'on');
  assert.ok(info.archiveCommand.includes(cluster.archiveDir), info.archiveCommand);
  assert.equal(info.archiveLibrary, '');
  assert.equal(info.archiveTimeout, '0');
  assert.equal(info.maxWalSenders, 4);
  assert.equal(info.segmentSize, 16 * 1024 * 1024);
  assert.equal(info.isSuperuser, true);
  assert.equal(info.hasReplication, true);
  assert.equal(info.dataDirectory, cluster.dataDir);
  assert.ok(info.serverTimeZone.length > 0);
});

void test('server info for an ordinary role hides the data directory and says it cannot replicate', async () => {
  const info = await withClient(cluster.params(cluster.appUser, 'shop'), { password: APP_PASSWORD }, getServerInfo);
  assert.equal(info.isSuperuser, false);
  assert.equal(info.hasReplication, false);
  assert.equal(info.dataDirectory, undefined);
  assert.equal(info.walLevel, 'replica');
});

void test('databases: shop is listed with its size, templates are not, names are sorted', async () => {
  const databases = await superuser(listDatabases, 'postgres');
  const names = databases.map((d) => d.name);
  assert.deepEqual(names, [...names].sort());
  assert.ok(!names.includes('template0') && !names.includes('template1'));
  const shop = databases.find((d) => d.name === 'shop');
  assert.ok(shop);
  assert.ok(shop.sizeBytes !== null && shop.sizeBytes > 1_000_000, `size ${shop.sizeBytes}`);
  assert.equal(shop.allowConnections, true);
  assert.equal(shop.isTemplate, false);
});

void test('databases the user may not connect to have no size', async () => {
  await cluster.sql(`CREATE DATABASE private_db; REVOKE CONNECT ON DATABASE private_db FROM PUBLIC;`);
  const databases = await withClient(cluster.params(cluster.appUser, 'shop'), { password: APP_PASSWORD }, listDatabases);
  assert.equal(databases.find((d) => d.name === 'private_db')?.sizeBytes, null);
  assert.ok((databases.find((d) => d.name === 'shop')?.sizeBytes ?? 0) > 0);
});

void test('schemas: user schemas with their table counts, no system schemas', async () => {
  await cluster.sql(`CREATE SCHEMA empty_one;`, 'shop');
  const schemas = await superuser(listSchemas);
  const byName = new Map(schemas.map((s) => [s.name, s.tableCount]));
  assert.equal(byName.get('sales'), 1, 'the view does not count as a table');
  assert.ok((byName.get('public') ?? 0) >= 2);
  assert.equal(byName.get('empty_one'), 0);
  for (const system of ['pg_catalog', 'information_schema', 'pg_toast']) assert.ok(!byName.has(system), system);
  assert.ok(schemas.every((s) => !s.name.startsWith('pg_')));
});

void test('tables: sizes always, row estimates only once analysed', async () => {
  const before = await superuser((c) => listTables(c, 'public'));
  const orders = before.find((t) => t.name === 'orders');
  assert.ok(orders);
  assert.equal(orders.schema, 'public');
  assert.equal(orders.kind, 'table');
  assert.ok(orders.sizeBytes > 8192, `size ${orders.sizeBytes}`);
  assert.equal(orders.estimatedRows, null);

  await cluster.sql('ANALYZE', 'shop');
  const afterAnalyze = await superuser((c) => listTables(c, 'public'));
  assert.equal(afterAnalyze.find((t) => t.name === 'orders')?.estimatedRows, 200);
  assert.equal(afterAnalyze.find((t) => t.name === 'customers')?.estimatedRows, 50);
  const invoices = await superuser((c) => listTables(c, 'sales'));
  assert.deepEqual(
    invoices.map((t) => [t.schema, t.name, t.estimatedRows]),
    [['sales', 'invoices', 120]],
  );
});

void test('tables: partitioned tables add up their partitions; matviews and kinds are named', async () => {
  await cluster.sql(
    `CREATE SCHEMA kinds;
     CREATE TABLE kinds.events (id int, at date) PARTITION BY RANGE (at);
     CREATE TABLE kinds.events_2024 PARTITION OF kinds.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
     CREATE TABLE kinds.events_2025 PARTITION OF kinds.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
     INSERT INTO kinds.events SELECT g, date '2024-06-01' + g FROM generate_series(1, 300) g;
     CREATE MATERIALIZED VIEW kinds.event_count AS SELECT count(*) FROM kinds.events;
     ANALYZE kinds.events_2024, kinds.events_2025;`,
    'shop',
  );
  const tables = await superuser((c) => listTables(c, 'kinds'));
  const byName = new Map(tables.map((t) => [t.name, t]));
  const parent = byName.get('events');
  assert.equal(parent?.kind, 'partitioned');
  const partitionSizes = (byName.get('events_2024')?.sizeBytes ?? 0) + (byName.get('events_2025')?.sizeBytes ?? 0);
  assert.equal(parent?.sizeBytes, partitionSizes);
  assert.equal(parent?.estimatedRows, 300);
  assert.equal(byName.get('event_count')?.kind, 'matview');
});

void test('hostile table and schema names are listed literally and never reach the SQL text', async () => {
  await cluster.sql(
    `CREATE TABLE public."Order""s" (id int); CREATE TABLE public."x*y" (id int);
     CREATE SCHEMA "we'ird; DROP TABLE orders"; CREATE TABLE "we'ird; DROP TABLE orders"."t" (id int);`,
    'shop',
  );
  const names = (await superuser((c) => listTables(c, 'public'))).map((t) => t.name);
  assert.ok(names.includes('Order"s'), names.join(', '));
  assert.ok(names.includes('x*y'), names.join(', '));
  const weird = await superuser((c) => listTables(c, "we'ird; DROP TABLE orders"));
  assert.deepEqual(weird.map((t) => t.name), ['t']);
  assert.deepEqual(await superuser((c) => listTables(c, "public' OR '1'='1")), []);
  assert.equal(await cluster.sql('SELECT count(*) FROM orders', 'shop'), '200');
});

void test('the app role connects with its password over the socket and over TCP', async () => {
  for (const params of [cluster.socketParams(cluster.appUser, 'shop'), cluster.params(cluster.appUser, 'shop')]) {
    const who = await withClient(params, { password: APP_PASSWORD }, async (c) => (await c.query<{ u: string }>('SELECT current_user AS u')).rows[0]?.u);
    assert.equal(who, 'pgbr_app', `via ${params.host}`);
  }
});

void test('sslmode: prefer falls back to a plain connection; require says the server has no SSL', async () => {
  const preferParams = { ...cluster.params('postgres', 'shop'), sslmode: undefined };
  assert.equal(await withClient(preferParams, {}, async (c) => (await c.query('SELECT 1 AS one')).rows.length), 1);
  const e = await connectError({ ...preferParams, sslmode: 'require' });
  assert.equal(e.kind, 'connection');
  assert.match(e.message, /does not accept SSL connections: set sslmode to "prefer" or "disable"/);
});

void test('a wrong password is an auth error that says how to set it', async () => {
  for (const params of [cluster.params(cluster.appUser, 'shop'), cluster.socketParams(cluster.appUser, 'shop')]) {
    const e = await connectError(params, { password: 'wrong' });
    assert.equal(e.kind, 'auth');
    assert.equal(e.message, 'password authentication failed for user "pgbr_app": set the password with "Set password…" or in ~/.pgpass');
  }
});

void test('no password at all is an auth error asking for one', async () => {
  const e = await connectError(cluster.params(cluster.appUser, 'shop'));
  assert.equal(e.kind, 'auth');
  assert.match(e.message, /^user "pgbr_app" needs a password on 127\.0\.0\.1:\d+: set the password with "Set password…" or in ~\/\.pgpass$/);
});

void test('a closed port is a connection error, reported at once', async () => {
  const port = await closedPort();
  const started = Date.now();
  const e = await connectError({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' }, { connectTimeoutMs: 3000 });
  assert.ok(Date.now() - started < 3000);
  assert.equal(e.kind, 'connection');
  assert.equal(e.message, `no PostgreSQL server is listening at 127.0.0.1:${port}: start the server or fix host/port in the profile`);
});

void test('a socket folder without a server is a connection error naming the socket file', async () => {
  const e = await connectError({ host: cluster.root, port: 1, user: 'postgres' });
  assert.equal(e.kind, 'connection');
  assert.equal(e.message, `no PostgreSQL server is listening at ${cluster.root}/.s.PGSQL.1: start the server or fix host/port in the profile`);
});

void test('a server that never answers times out within the connect timeout', async () => {
  // Accepts the TCP connection and then says nothing, like a firewall that swallows packets.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  assert.ok(address && typeof address === 'object');
  try {
    const started = Date.now();
    const e = await connectError({ host: '127.0.0.1', port: address.port, user: 'postgres', sslmode: 'disable' }, { connectTimeoutMs: 500 });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 400 && elapsed < 3000, `took ${elapsed} ms`);
    assert.equal(e.kind, 'connection');
    assert.equal(e.message, `the server at 127.0.0.1:${address.port} did not answer within 0.5 s: check the host, port and firewall`);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

void test('an unknown host is a connection error naming the host', async () => {
  const e = await connectError({ host: 'nosuch.invalid', port: 5999, user: 'postgres' });
  assert.equal(e.kind, 'connection');
  assert.equal(e.message, 'unknown host "nosuch.invalid": check the host name in the profile');
});

void test('a missing database says so', async () => {
  const e = await connectError(cluster.params('postgres', 'nosuchdb'));
  assert.equal(e.kind, 'connection');
  assert.match(e.message, /^database "nosuchdb" does not exist on 127\.0\.0\.1:\d+: /);
  const viaOpts = await connectError(cluster.params('postgres', 'postgres'), { database: 'other_missing' });
  assert.match(viaOpts.message, /^database "other_missing" does not exist/);
});

void test('a pg_hba.conf refusal says to add a pg_hba.conf line', async () => {
  const hba = path.join(cluster.dataDir, 'pg_hba.conf');
  await fs.writeFile(hba, `host nohba all 127.0.0.1/32 reject\n${await fs.readFile(hba, 'utf8')}`);
  await cluster.sql('SELECT pg_reload_conf()');
  // The reload is asynchronous: wait until the postmaster applies the new rule.
  const e = await until('the pg_hba.conf reload', async () => {
    const err = await connectError(cluster.params('postgres', 'nohba'));
    return err.kind === 'auth' ? err : undefined;
  });
  assert.match(e.message, /^the pg_hba\.conf of the server at 127\.0\.0\.1:\d+ does not let user "postgres" connect to database "nohba" from here: add a pg_hba\.conf line/);
});

void test('query errors keep the server message and the client is always ended', async () => {
  const appName = 'pgbr-test-ends-client';
  await assert.rejects(
    withClient(cluster.params('postgres', 'shop'), { applicationName: appName }, (c) => c.query('SELECT * FROM no_such_table')),
    (e: unknown) => (e as { code?: string }).code === '42P01' && !(e instanceof PgbrError),
  );
  await withClient(cluster.params('postgres', 'shop'), { applicationName: appName }, (c) => c.query('SELECT 1'));
  await until('the sessions to end', async () =>
    (await cluster.sql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = '${appName}'`)) === '0' ? true : undefined,
  );
});

void test('a server that goes away mid-session is explained as a connection error', async () => {
  const e = await withClient(cluster.params('postgres', 'shop'), {}, (c) =>
    c.query('SELECT pg_terminate_backend(pg_backend_pid())'),
  ).catch((err: unknown) => err);
  assert.ok(e instanceof PgbrError, String(e));
  assert.equal(e.kind, 'connection');
  assert.match(e.message, /ended the session \(terminating connection due to administrator command\)/);
});

void test('describeConnectionError passes PgbrErrors through and keeps unknown errors readable', () => {
  const params = { host: 'db.example', port: 6432 };
  const own = new PgbrError('config', 'already explained');
  assert.equal(describeConnectionError(own, params), own);
  const other = describeConnectionError(new Error('something odd'), params);
  assert.equal(other.kind, 'connection');
  assert.equal(other.message, 'could not connect to db.example:6432: something odd');
  assert.equal(describeConnectionError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), params).message,
    'the server at db.example:6432 did not answer within 5 s: check the host, port and firewall');
});

void test('the archiver reports a switched WAL segment, and the file is in the archive', async () => {
  const switched = await superuser(async (c) => {
    await c.query('CREATE TABLE wal_filler AS SELECT g FROM generate_series(1, 1000) g');
    return (await c.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f')).rows[0]?.f;
  });
  assert.ok(switched);
  const status = await until('the archiver', async () => {
    const s = await superuser(getArchiverStatus);
    return s.archivedCount >= 1 && s.lastArchivedWal !== null && s.lastArchivedWal >= switched ? s : undefined;
  });
  assert.equal(status.failedCount, 0);
  assert.equal(status.lastFailedWal, null);
  assert.ok(status.lastArchivedTime instanceof Date);
  assert.ok(status.lastArchivedWal && existsSync(path.join(cluster.archiveDir, status.lastArchivedWal)));
  assert.match(status.currentWal ?? '', /^[0-9A-F]{24}$/);
  // Right after a switch the insert position sits on a segment boundary, which pg_walfile_name names as the
  // segment just finished: the current file is never older than the last archived one.
  assert.ok((status.currentWal ?? '') >= (status.lastArchivedWal ?? ''));
});

void test('stop removes the temp root and the postmaster, and is safe to call twice', async (t) => {
  let started = Date.now();
  const c = await startCluster({ archive: false });
  t.diagnostic(`cluster start ${(Date.now() - started) / 1000} s`);
  const info = await withClient(c.params(), {}, getServerInfo);
  assert.equal(info.archiveMode, 'off');
  const pid = Number((await fs.readFile(path.join(c.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  assert.ok(isRunning(pid));
  started = Date.now();
  await c.stop();
  t.diagnostic(`cluster stop ${(Date.now() - started) / 1000} s`);
  await c.stop();
  assert.equal(existsSync(c.root), false);
  assert.equal(isRunning(pid), false);
});

for (const ending of ['exit', 'SIGTERM'] as const) {
  void test(`a test process that ends by ${ending} without stopping leaves nothing behind`, async () => {
    const script = `
      const { startCluster } = require(${JSON.stringify(path.join(__dirname, 'cluster.ts'))});
      const fs = require('node:fs');
      startCluster({ archive: false }).then((c) => {
        const pid = Number(fs.readFileSync(c.dataDir + '/postmaster.pid', 'utf8').split('\\n')[0]);
        console.log(JSON.stringify({ root: c.root, pid }));
        ${ending === 'exit' ? 'process.exit(3);' : 'setInterval(() => {}, 1000);'}
      });`;
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const started = await new Promise<{ root: string; pid: number }>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out) as { root: string; pid: number });
      });
      child.on('exit', (code) => reject(new Error(`child exited with ${code} before starting a cluster: ${out}`)));
    });
    assert.ok(isRunning(started.pid));
    if (ending === 'SIGTERM') child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.on('exit', resolve)));
    assert.equal(existsSync(started.root), false);
    await until('the postmaster to go', async () => (isRunning(started.pid) ? undefined : true), 5000);
  });
}

void test('formatBytes uses 1024-based units with one decimal below ten', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 kB');
  assert.equal(formatBytes(1.2 * 1024 * 1024), '1.2 MB');
  assert.equal(formatBytes(15.4 * 1024 * 1024), '15 MB');
  assert.equal(formatBytes(1023.9 * 1024), '1.0 MB');
  assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GB');
});
