// Logical backups against a real cluster: exact table picks with hostile names, every format, counts in
// pg_dump's snapshot, cancel and failure leaving nothing, globals, and the pgbr dump/globals commands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startCluster, createSampleDatabase, type Cluster } from './cluster';
import { runDump, type DumpOptions, type DumpResult } from '../../src/core/logical/dump';
import { tocIndexFile } from '../../src/core/logical/toc';
import { runGlobalsDump } from '../../src/core/logical/globals';
import { manifestPathFor, readManifest, type DumpFormat, type DumpManifest } from '../../src/core/logical/manifest';
import type { DumpProgress } from '../../src/core/logical/progress';
import { PgbrError } from '../../src/core/platform/errors';
import { memoryLogger } from '../../src/core/platform/log';
import { quoteIdentAlways as q, type QualifiedName } from '../../src/core/postgres/names';
import { withClient } from '../../src/core/postgres/server';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';

const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let tools: ToolInventory;
let root: string;
const logLines: string[] = [];

const logger = memoryLogger(logLines);

// Names pg_dump patterns and file names both find hard.
const LONG = 'Ä'.repeat(30) + 'abc';
const HOSTILE: QualifiedName[] = [
  { schema: 'public', name: 'Order"s' },
  { schema: 'public', name: 'a.b' },
  { schema: 'public', name: 'x*y' },
  { schema: 'public', name: 'xay' },
  { schema: 'public', name: 'ÜberTable' },
  { schema: 'public', name: LONG },
  { schema: 'public', name: 'MixedCase' },
  { schema: 'public', name: 'dup' },
  { schema: 'public2', name: 'dup' },
];
/** Each hostile table gets its own row count, so a dump of the wrong table shows. */
const hostileRows = (i: number) => i + 1;

async function folder(name: string): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

function appDump(database: string, extra: Partial<DumpOptions> & { output: DumpOptions['output'] }): Promise<DumpResult> {
  return runDump({
    connection: { params: cluster.params(cluster.appUser, database), password: cluster.appPassword },
    profile: 'app',
    database,
    tools,
    logger,
    ...extra,
  });
}

/** A PostgreSQL program of the cluster's version, as the trusted superuser over TCP. */
function pgTool(tool: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, PGHOST: '127.0.0.1', PGPORT: String(cluster.port), PGUSER: 'postgres', LC_ALL: 'C' };
  const r = spawnSync(path.join(cluster.binDir, tool), args, { env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface TocEntry {
  desc: string;
  schema: string;
  rest: string;
}

/** `pg_restore --list` entries: `3371; 1259 16390 TABLE public Order"s pgbr_app`. */
function tocEntries(dumpPath: string): TocEntry[] {
  const r = pgTool('pg_restore', ['--list', dumpPath]);
  assert.equal(r.code, 0, r.stderr);
  const entries: TocEntry[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+; \d+ \d+ (TABLE DATA|TABLE|SEQUENCE SET|SEQUENCE|VIEW|SCHEMA|INDEX|CONSTRAINT|DEFAULT|FK CONSTRAINT|[A-Z ]+?) (\S+) (.*)$/.exec(line);
    if (m) entries.push({ desc: m[1] as string, schema: m[2] as string, rest: m[3] as string });
  }
  return entries;
}

const tableEntries = (entries: TocEntry[]) =>
  entries.filter((e) => e.desc === 'TABLE' || e.desc === 'TABLE DATA').map((e) => `${e.desc} ${e.schema} ${e.rest}`);

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Recomputes what the manifest claims: the same files, the same hashes, the same total size. */
async function assertHashes(result: DumpResult): Promise<void> {
  const m = result.manifest;
  const stat = await fs.stat(result.path);
  if (stat.isDirectory()) {
    const names = (await fs.readdir(result.path)).sort();
    assert.deepEqual(Object.keys(m.sha256).sort(), names);
    let size = 0;
    for (const name of names) {
      assert.equal(m.sha256[name], await sha256Of(path.join(result.path, name)), name);
      size += (await fs.stat(path.join(result.path, name))).size;
    }
    assert.equal(m.sizeBytes, size);
  } else {
    assert.deepEqual(m.sha256, { [path.basename(result.path)]: await sha256Of(result.path) }, 'a single file is named in the manifest');
    assert.equal(m.sizeBytes, stat.size);
  }
  assert.deepEqual(await readManifest(result.path), m, 'the manifest on disk is the one returned');
}

/** Rows per table in a plain SQL dump: the lines between `COPY s.t (...) FROM stdin;` and `\.`. */
function copyRowCounts(sql: string): Map<string, number> {
  const counts = new Map<string, number>();
  let current: string | undefined;
  for (const line of sql.split('\n')) {
    if (current === undefined) {
      const m = /^COPY (.+?) \(.*\) FROM stdin;$/.exec(line);
      if (m?.[1] !== undefined) {
        current = m[1];
        counts.set(m[1], 0);
      }
    } else if (line === '\\.') {
      current = undefined;
    } else {
      counts.set(current, (counts.get(current) ?? 0) + 1);
    }
  }
  return counts;
}

async function entriesIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

function assertNoSecret(text: string, where: string): void {
  assert.ok(!text.includes(cluster.appPassword), `password leaked in ${where}`);
}

before(async () => {
  cluster = await startCluster({ archive: false });
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-dump-test-'));
  tools = await discoverTools({ env: process.env, platform: process.platform, homedir: os.homedir() });
  await createSampleDatabase(cluster, 'shop');

  await cluster.sql(`CREATE DATABASE hostile OWNER ${cluster.appUser};`);
  const creates = HOSTILE.map(
    (t, i) =>
      `CREATE TABLE ${q(t.schema)}.${q(t.name)} (id int PRIMARY KEY, note text);
       INSERT INTO ${q(t.schema)}.${q(t.name)} SELECT g, 'row ' || g FROM generate_series(1, ${hostileRows(i)}) g;`,
  );
  await cluster.sql(`SET ROLE ${cluster.appUser}; CREATE SCHEMA public2; ${creates.join('\n')}`, 'hostile');

  // Large enough that a dump takes a second or more: room to cancel and to insert concurrently.
  await cluster.sql(`CREATE DATABASE big OWNER ${cluster.appUser};`);
  await cluster.sql(
    `SET ROLE ${cluster.appUser};
     CREATE TABLE a_filler (id int, payload text);
     INSERT INTO a_filler SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 600000) g;
     CREATE TABLE z_busy (id bigserial PRIMARY KEY, payload text);
     INSERT INTO z_busy (payload) SELECT md5(g::text) FROM generate_series(1, 200000) g;`,
    'big',
  );
});

after(async () => {
  await cluster?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

test('each hostile table picked alone dumps exactly itself, with its exact row count', async () => {
  const out = await folder('hostile');
  for (const [i, table] of HOSTILE.entries()) {
    const result = await appDump('hostile', { tables: [table], output: { folder: out } });
    assert.deepEqual(
      tableEntries(tocEntries(result.path)),
      [`TABLE ${table.schema} ${table.name} ${cluster.appUser}`, `TABLE DATA ${table.schema} ${table.name} ${cluster.appUser}`],
      `picking ${table.schema}.${table.name}`,
    );
    assert.deepEqual(result.manifest.rowCounts, [{ schema: table.schema, table: table.name, rows: hostileRows(i) }]);
    assert.equal(result.manifest.options.tables?.length, 1);
    await assertHashes(result);
  }
  // Nine dumps of one database in the same second: none replaced another.
  const dumps = (await entriesIn(out)).filter((n) => n.endsWith('.dump'));
  assert.equal(dumps.length, HOSTILE.length);
});

test('schema public does not pull in public2, and excluding x*y keeps xay', async () => {
  const out = await folder('schemas');
  const bySchema = await appDump('hostile', { schemas: ['public'], output: { folder: out } });
  const schemasInDump = new Set(tocEntries(bySchema.path).filter((e) => e.desc === 'TABLE').map((e) => e.schema));
  assert.deepEqual([...schemasInDump], ['public']);
  assert.ok(bySchema.manifest.rowCounts.every((r) => r.schema === 'public'));
  assert.equal(bySchema.manifest.rowCounts.length, HOSTILE.length - 1);

  const excluded = await appDump('hostile', { excludeTables: [{ schema: 'public', name: 'x*y' }], output: { folder: out } });
  const names = tocEntries(excluded.path)
    .filter((e) => e.desc === 'TABLE DATA')
    .map((e) => `${e.schema}.${e.rest.slice(0, e.rest.lastIndexOf(' '))}`);
  assert.ok(!names.includes('public.x*y'));
  assert.ok(names.includes('public.xay'));
  assert.ok(!excluded.manifest.rowCounts.some((r) => r.table === 'x*y'));
  assert.equal(excluded.manifest.rowCounts.length, HOSTILE.length - 1);
});

test('a picked table that does not exist is refused before anything is written', async () => {
  const out = await folder('missing');
  await assert.rejects(
    appDump('hostile', { tables: [{ schema: 'public', name: 'X*Y' }], output: { folder: out } }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /no table public\."X\*Y"/.test(e.message),
  );
  assert.deepEqual(await entriesIn(out), []);
});

for (const format of ['custom', 'directory', 'tar', 'plain'] as DumpFormat[]) {
  test(`${format} format dumps the whole shop database with exact counts and matching hashes`, async () => {
    const out = await folder(`shop-${format}`);
    const progress: DumpProgress[] = [];
    const result = await appDump('shop', { format, output: { folder: out }, onProgress: (p) => progress.push(p) });
    const m = result.manifest;

    const expected = [
      { schema: 'public', table: 'customers', rows: Number(await cluster.sql('SELECT count(*) FROM public.customers', 'shop')) },
      { schema: 'public', table: 'orders', rows: Number(await cluster.sql('SELECT count(*) FROM public.orders', 'shop')) },
      { schema: 'sales', table: 'invoices', rows: Number(await cluster.sql('SELECT count(*) FROM sales.invoices', 'shop')) },
    ];
    assert.deepEqual(m.rowCounts, expected);
    assert.equal(m.format, format);
    assert.equal(m.kind, 'database');
    assert.equal(m.database, 'shop');
    assert.equal(m.profile, 'app');
    assert.equal(m.tool, 'pg_dump');
    assert.match(m.toolVersion, /^15\./);
    assert.match(m.serverVersion, /^15\./);
    assert.equal(m.port, cluster.port);
    assert.equal(m.user, cluster.appUser);
    assert.match(m.snapshot ?? '', /^[0-9A-F]+-[0-9A-F]+-\d+$/);
    assert.ok(Date.parse(m.finishedAt) >= Date.parse(m.startedAt));
    await assertHashes(result);

    const base = path.basename(result.path);
    assert.match(base, format === 'custom' ? /^shop_\d{8}-\d{6}\.dump$/ : format === 'tar' ? /\.tar$/ : format === 'plain' ? /\.sql$/ : /^shop_\d{8}-\d{6}$/);
    assert.deepEqual(await entriesIn(out), [base, path.basename(manifestPathFor(result.path))].sort(), 'nothing else, no .partial');

    if (format === 'plain') {
      const counts = copyRowCounts(await fs.readFile(result.path, 'utf8'));
      assert.deepEqual(Object.fromEntries(counts), { 'public.customers': 50, 'public.orders': 200, 'sales.invoices': 120 });
    } else {
      const data = tocEntries(result.path).filter((e) => e.desc === 'TABLE DATA').map((e) => `${e.schema}.${e.rest.split(' ')[0]}`);
      assert.deepEqual(data.sort(), ['public.customers', 'public.orders', 'sales.invoices']);
    }
    if (format === 'directory') {
      // One worker per CPU, but never more than there are tables.
      const jobs = Math.min(os.availableParallelism(), 3);
      assert.equal(m.options.jobs, jobs > 1 ? jobs : undefined);
    }

    assert.equal(progress.at(-1)?.phase, 'done');
    assert.equal(progress.at(-1)?.tablesDone, 3);
    const seen = new Set(progress.map((p) => p.current).filter(Boolean));
    assert.deepEqual([...seen].sort(), ['public.customers', 'public.orders', 'sales.invoices']);
    assertNoSecret(await fs.readFile(manifestPathFor(result.path), 'utf8'), 'the manifest');
  });
}

test('a gzip-compressed plain dump is a complete .sql.gz', async () => {
  const out = await folder('plain-gz');
  const result = await appDump('shop', { format: 'plain', compression: '6', output: { folder: out } });
  assert.match(result.path, /\.sql\.gz$/);
  assert.equal(result.manifest.options.compression, 'gzip:6');
  const sql = gunzipSync(await fs.readFile(result.path)).toString('utf8');
  assert.match(sql, /-- PostgreSQL database dump complete/);
  await assertHashes(result);
});

test('counts are taken in the dump snapshot while rows keep arriving', async () => {
  const out = await folder('snapshot');
  let inserting = true;
  let inserted = 0;
  // Inserts in their own committed transactions, before, during and after the dump.
  const writer = withClient(cluster.params('postgres', 'big'), { database: 'big' }, async (c) => {
    while (inserting) {
      await c.query(`INSERT INTO z_busy (payload) SELECT md5(random()::text) FROM generate_series(1, 50)`);
      inserted += 50;
    }
  });
  try {
    while (inserted < 500) await new Promise((r) => setTimeout(r, 10));
    const atStart = inserted;
    let whenPgDumpEnded = 0;
    const result = await appDump('big', {
      format: 'custom',
      output: { folder: out },
      onProgress: (p) => {
        if (p.phase === 'verifying') whenPgDumpEnded = inserted;
      },
    });
    inserting = false;
    await writer;
    assert.ok(whenPgDumpEnded > atStart, `rows were inserted while pg_dump ran (${whenPgDumpEnded - atStart})`);
    const busy = result.manifest.rowCounts.find((r) => r.table === 'z_busy');
    assert.ok(busy);
    const rowsNow = Number(await cluster.sql('SELECT count(*) FROM z_busy', 'big'));
    assert.ok(rowsNow > busy.rows, `rows kept arriving after the snapshot (${rowsNow} now, ${busy.rows} in the dump)`);

    await cluster.sql('CREATE DATABASE big_restored;');
    const restored = pgTool('pg_restore', ['--no-owner', '-d', 'big_restored', result.path]);
    assert.equal(restored.code, 0, restored.stderr);
    for (const counted of result.manifest.rowCounts) {
      const rows = Number(await cluster.sql(`SELECT count(*) FROM ${q(counted.schema)}.${q(counted.table)}`, 'big_restored'));
      assert.equal(rows, counted.rows, `${counted.table}: the manifest count is what the dump holds`);
    }
  } finally {
    inserting = false;
    await writer.catch(() => {});
  }
});

test("a role's idle-in-transaction timeout does not end the snapshot transaction while pg_dump works", async () => {
  const out = await folder('timeouts');
  await cluster.sql(`ALTER ROLE ${cluster.appUser} SET idle_in_transaction_session_timeout = '100ms';`);
  try {
    const logged = logLines.length;
    const result = await appDump('big', { tables: [{ schema: 'public', name: 'a_filler' }], output: { folder: out } });
    assert.ok(result.manifest.durationMs > 300, 'pg_dump ran long enough for the timeout to matter');
    assert.deepEqual(logLines.slice(logged).filter((l) => /ending the snapshot transaction/.test(l)), [], 'the transaction was still open at the end');
    assert.deepEqual(result.manifest.rowCounts, [{ schema: 'public', table: 'a_filler', rows: 600000 }]);
  } finally {
    await cluster.sql(`ALTER ROLE ${cluster.appUser} RESET idle_in_transaction_session_timeout;`);
  }
});

async function pgDumpSessions(): Promise<number> {
  return Number(await cluster.sql(`SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('pg_dump', 'pgbr dump') AND datname = 'big'`));
}

async function waitForNoDumpSessions(): Promise<number> {
  const deadline = Date.now() + 10_000;
  let n = await pgDumpSessions();
  while (n > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    n = await pgDumpSessions();
  }
  return n;
}

for (const format of ['custom', 'directory'] as DumpFormat[]) {
  test(`cancelling a ${format} dump mid-table leaves no dump, no .partial and no session`, async () => {
    const out = await folder(`cancel-${format}`);
    const controller = new AbortController();
    let cancelledAt: DumpProgress | undefined;
    const started = performance.now();
    await assert.rejects(
      appDump('big', {
        format,
        output: { folder: out },
        signal: controller.signal,
        onProgress: (p) => {
          if (p.current && !cancelledAt) {
            cancelledAt = p;
            controller.abort();
          }
        },
      }),
      (e: unknown) => e instanceof PgbrError && e.kind === 'cancelled' && /cancelled; nothing was kept/.test(e.message),
    );
    assert.ok(cancelledAt, 'a table had started when the dump was cancelled');
    assert.ok(performance.now() - started < 15_000);
    assert.deepEqual(await entriesIn(out), []);
    assert.equal(await waitForNoDumpSessions(), 0);
  });
}

test('a table the role cannot read fails the dump up front, naming it, and writes nothing', async () => {
  const out = await folder('unreadable');
  await cluster.sql(`CREATE TABLE public.secret (x int); INSERT INTO public.secret VALUES (1); REVOKE ALL ON public.secret FROM PUBLIC;`, 'shop');
  try {
    await assert.rejects(
      appDump('shop', { output: { folder: out } }),
      (e: unknown) => e instanceof PgbrError && e.kind === 'tool-failed' && /may not read public\.secret in database "shop"/.test(e.message),
    );
    assert.deepEqual(await entriesIn(out), []);
    // Left out, the rest dumps fine.
    const rest = await appDump('shop', { excludeTables: [{ schema: 'public', name: 'secret' }], output: { folder: out } });
    assert.equal(rest.manifest.rowCounts.length, 3);
  } finally {
    await cluster.sql('DROP TABLE public.secret;', 'shop');
  }
});

test('pg_dump losing its server mid-dump fails with its own error and leaves nothing under the final name', async () => {
  const out = await folder('killed');
  let killed = false;
  await assert.rejects(
    appDump('big', {
      output: { folder: out },
      onProgress: (p) => {
        if (p.current && !killed) {
          killed = true;
          void cluster.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_dump'`).catch(() => {});
        }
      },
    }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'tool-failed' && /^pg_dump failed: /.test(e.message),
  );
  assert.ok(killed);
  assert.deepEqual(await entriesIn(out), []);
  assert.equal(await waitForNoDumpSessions(), 0);
});

test('globals: roles with their SCRAM secrets as superuser; without them as the app role', async () => {
  const out = await folder('globals');
  const full = await runGlobalsDump({ connection: { params: cluster.params() }, profile: 'admin', output: { folder: out }, tools, logger });
  const fullSql = await fs.readFile(full.path, 'utf8');
  assert.match(fullSql, /CREATE ROLE pgbr_app;/);
  assert.match(fullSql, /SCRAM-SHA-256\$/);
  assert.match(path.basename(full.path), /^admin_globals_\d{8}-\d{6}\.sql$/);
  const m: DumpManifest = full.manifest;
  assert.equal(m.kind, 'globals');
  assert.equal(m.tool, 'pg_dumpall');
  assert.equal(m.format, 'plain');
  assert.equal(m.database, undefined);
  assert.deepEqual(m.rowCounts, []);
  assert.deepEqual(await readManifest(full.path), m);
  assert.deepEqual(m.sha256, { [path.basename(full.path)]: await sha256Of(full.path) });

  const app = { params: cluster.params(cluster.appUser, 'postgres'), password: cluster.appPassword };
  const safe = await runGlobalsDump({ connection: app, profile: 'app', noRolePasswords: true, output: { folder: out }, tools, logger });
  const safeSql = await fs.readFile(safe.path, 'utf8');
  assert.match(safeSql, /CREATE ROLE pgbr_app;/);
  assert.doesNotMatch(safeSql, /SCRAM-SHA-256|PASSWORD/);
  assert.deepEqual(safe.manifest.options, { noRolePasswords: true });

  const before = await entriesIn(out);
  await assert.rejects(
    runGlobalsDump({ connection: app, profile: 'app', output: { folder: out }, tools, logger }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'tool-failed' && /pg_authid/.test(e.message) && /--no-role-passwords/.test(e.message),
  );
  assert.deepEqual(await entriesIn(out), before, 'the failed globals dump left nothing');
});

test('no password in any log line the dumps produced', () => {
  assert.ok(logLines.length > 0);
  for (const line of logLines) assertNoSecret(line, 'the log');
});

// The built command line, as cron would run it.
interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function cliWorkspace(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await folder('cli');
  const passfile = path.join(dir, 'pgpass');
  await fs.writeFile(passfile, `127.0.0.1:${cluster.port}:*:${cluster.appUser}:${cluster.appPassword}\n`, { mode: 0o600 });
  await fs.writeFile(
    path.join(dir, 'pgbackup.yaml'),
    `connections:\n  - name: app\n    host: 127.0.0.1\n    port: ${cluster.port}\n    user: ${cluster.appUser}\n    database: shop\n`,
  );
  return { dir, env: { PATH: process.env.PATH, HOME: dir, PGPASSFILE: passfile } };
}

function cli(ws: { dir: string; env: NodeJS.ProcessEnv }, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pgbr, ...args], { cwd: ws.dir, env: ws.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      assertNoSecret(stdout + stderr, 'the CLI output');
      resolve({ code, stdout, stderr });
    });
  });
}

test('pgbr dump --json: exit 0, one JSON document with the path and the manifest, nothing else on stdout', async () => {
  const ws = await cliWorkspace();
  const r = await cli(ws, ['dump', '--conn', 'app', '--db', 'shop', '--table', 'orders', '--table', 'sales.invoices', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as DumpManifest & { path: string; manifestPath: string };
  assert.equal(path.dirname(doc.path), path.join(ws.dir, '.pg-backups'));
  assert.equal(doc.manifestPath, manifestPathFor(doc.path));
  assert.deepEqual(doc.rowCounts, [
    { schema: 'public', table: 'orders', rows: 200 },
    { schema: 'sales', table: 'invoices', rows: 120 },
  ]);
  assert.deepEqual(doc.options.tables, ['public.orders', 'sales.invoices']);
  assert.equal(doc.sha256[path.basename(doc.path)], await sha256Of(doc.path));
  assert.equal(r.stderr, '', 'no progress lines in JSON mode');
});

test('pgbr dump keeps the TOC index read from its stream: the first pgbr toc prints from it, the same listing as read afresh', async () => {
  const ws = await cliWorkspace();
  const r = await cli(ws, ['dump', '--conn', 'app', '--db', 'shop', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const dump = (JSON.parse(r.stdout) as { path: string }).path;
  const indexFile = tocIndexFile(path.join(ws.dir, '.cache', 'pgbr'), await fs.realpath(dump));
  assert.equal((await fs.stat(indexFile)).mode & 0o777, 0o600, 'the dump wrote its index, readable by its owner only');
  const fresh = await cli({ ...ws, env: { ...ws.env, PGBR_NO_TOC_INDEX: '1' } }, ['toc', dump, '--json']);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.equal((await cli(ws, ['toc', dump, '--json'])).stdout, fresh.stdout);
  // The listing leaves out the manifest's block sums (the manifest file keeps them).
  assert.equal((JSON.parse(fresh.stdout) as { manifest: { blocks?: unknown } }).manifest.blocks, undefined);
  assert.ok((await readManifest(dump))?.blocks, 'the manifest itself has its block sums');
  // What printed came from the index the dump wrote: a schema renamed in it shows.
  const text = await fs.readFile(indexFile, 'utf8');
  await fs.writeFile(indexFile, text.replace('"schemas":[{"name":"', '"schemas":[{"name":"from-the-index '));
  assert.match((await cli(ws, ['toc', dump, '--json'])).stdout, /from-the-index /);
});

test('pgbr dump without --out writes to the first dumpFolders entry of pgbackup.yaml, where pgbr status looks', async () => {
  const ws = await cliWorkspace();
  await fs.appendFile(path.join(ws.dir, 'pgbackup.yaml'), 'dumpFolders:\n  - ~/nightly\n  - elsewhere\n');
  const r = await cli(ws, ['dump', '--conn', 'app', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { path: string };
  // HOME is the workspace here, so ~/nightly is <workspace>/nightly.
  assert.equal(path.dirname(doc.path), path.join(ws.dir, 'nightly'));
  // The dump RPO counts verified dumps: once verified, pgbr status finds it in that folder.
  const verified = await cli(ws, ['verify', doc.path, '--conn', 'app']);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const status = await cli(ws, ['status', '--conn', 'app', '--json']);
  const health = JSON.parse(status.stdout) as { rpo: { dump: { newest?: string } } };
  assert.match(health.rpo.dump.newest ?? '', new RegExp(path.basename(doc.path).replace(/[.]/g, '\\.')), status.stdout.slice(0, 400));
});

test('pgbr dump in text mode: a progress line per table on stderr, the result on stdout; --out with a file name', async () => {
  const ws = await cliWorkspace();
  const target = path.join(ws.dir, 'nightly', 'shop.tar');
  const r = await cli(ws, ['dump', '--conn', 'app', '--format', 'tar', '--out', target]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n'), ['[1/3] public.customers', '[2/3] public.orders', '[3/3] sales.invoices']);
  assert.match(r.stdout, new RegExp(`^Dumped "shop" to ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(tar, .*3 tables, 370 rows`));
  await fs.access(target);
  // The same target again is never overwritten.
  const again = await cli(ws, ['dump', '--conn', 'app', '--format', 'tar', '--out', target, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const doc = JSON.parse(again.stdout) as { path: string; requestedPath?: string };
  assert.equal(doc.path, path.join(ws.dir, 'nightly', 'shop-2.tar'));
  assert.equal(doc.requestedPath, target);
  // ... and the text output says so.
  const third = await cli(ws, ['dump', '--conn', 'app', '--format', 'tar', '--out', target]);
  assert.equal(third.code, 0, third.stderr);
  assert.ok(third.stdout.includes(`\nnote: ${target} already exists and was left alone, so this dump is shop-3.tar.\n`), third.stdout);
  assert.doesNotMatch(r.stdout, /note:/);
});

test('pgbr dump: bad table syntax and bad options exit 2; a dump that fails exits 1', async () => {
  const ws = await cliWorkspace();
  const bad = await cli(ws, ['dump', '--conn', 'app', '--table', 'a.b.c']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"a\.b\.c" is not a table name/);
  const unclosed = await cli(ws, ['dump', '--conn', 'app', '--table', '"Order', '--json']);
  assert.equal(unclosed.code, 2);
  assert.equal((JSON.parse(unclosed.stdout) as { error: { kind: string } }).error.kind, 'usage');
  assert.equal((await cli(ws, ['dump', '--conn', 'app', '--format', 'zip'])).code, 2);
  assert.equal((await cli(ws, ['dump', '--conn', 'app', '--jobs', 'many'])).code, 2);
  assert.equal((await cli(ws, ['dump', '--conn', 'app', '--jobs', '2'])).code, 2, 'jobs need the directory format');
  assert.equal((await cli(ws, ['dump', '--conn', 'app', '--compress', 'zstd'])).code, 2, 'zstd needs a newer pg_dump: a usage error');
  assert.equal((await cli(ws, ['dump', '--conn', 'app', '--table', 'nosuch'])).code, 2);

  await cluster.sql(`CREATE TABLE public.secret (x int); REVOKE ALL ON public.secret FROM PUBLIC;`, 'shop');
  try {
    const failed = await cli(ws, ['dump', '--conn', 'app', '--json']);
    assert.equal(failed.code, 1);
    assert.match((JSON.parse(failed.stdout) as { error: { message: string } }).error.message, /may not read public\.secret/);
  } finally {
    await cluster.sql('DROP TABLE public.secret;', 'shop');
  }
  const leftovers = (await entriesIn(path.join(ws.dir, '.pg-backups')).catch(() => [])).filter((n) => n.endsWith('.partial'));
  assert.deepEqual(leftovers, []);
});

test('Ctrl-C during pgbr dump removes the unfinished dump and says so', async () => {
  const ws = await cliWorkspace();
  const out = path.join(ws.dir, 'interrupted');
  const child = spawn(process.execPath, [pgbr, 'dump', '--conn', 'app', '--db', 'big', '--out', out], { cwd: ws.dir, env: ws.env });
  let stderr = '';
  let interrupted = false;
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (!interrupted && /\[1\/2\] public\.a_filler/.test(stderr)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 2, stderr);
  assert.match(stderr, /the dump of "big" was cancelled; nothing was kept/);
  assert.deepEqual(await entriesIn(out), []);
  assert.equal(await waitForNoDumpSessions(), 0);
});

test('pgbr globals --no-role-passwords --json works for the app role', async () => {
  const ws = await cliWorkspace();
  const r = await cli(ws, ['globals', '--conn', 'app', '--no-role-passwords', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as DumpManifest & { path: string };
  assert.equal(doc.kind, 'globals');
  assert.deepEqual(doc.options, { noRolePasswords: true });
  assert.match(await fs.readFile(doc.path, 'utf8'), /CREATE ROLE pgbr_app;/);
  const withPasswords = await cli(ws, ['globals', '--conn', 'app']);
  assert.equal(withPasswords.code, 1);
  assert.match(withPasswords.stderr, /--no-role-passwords/);
});
