// Restores against a real cluster: hostile table names, fresh and existing targets, every format, failures, refusals, the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PgbrError } from '../../src/core/platform/errors';
import { parseQualifiedName } from '../../src/core/postgres/names';
import { runRestore, type RestoreOptions, type RestoreResult } from '../../src/core/logical/restore';
import { describeTruncateBlockers, truncateBlockers } from '../../src/core/logical/restoreTarget';
import { databaseNames, dropDatabase, withClient } from '../../src/core/postgres/server';
import { readToc } from '../../src/core/logical/toc';
import { discoverTools, type ToolInventory } from '../../src/core/platform/tools';
import { createSampleDatabase, startCluster, type Cluster } from './cluster';

const fixtures = path.resolve(__dirname, '../fixtures');
const pgbr = path.resolve(__dirname, '../../dist/pgbr.js');
let cluster: Cluster;
let dir: string;
let inventory: ToolInventory;
let dbCounter = 0;

const LONG_NAME = 'abcdefghij_'.repeat(5) + 'abcdefgh';

/** Rows hostile.sql puts in each table. */
const HOSTILE_ROWS: Record<string, number> = {
  'public."Order""s"': 7,
  'public."a.b"': 3,
  'public."x*y"': 4,
  'public.xay': 5,
  'public."ÜberTable"': 6,
  'public."with"': 2,
  'public."with space"': 8,
  'public."MixedCase"': 9,
  [`public.${LONG_NAME}`]: 10,
  '"My Schema"."with space"': 11,
  'public2.xay': 12,
  'public.orders': 13,
};

function pgEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  return env;
}

const made = new Map<string, string>();

/** A dump made with the cluster's own pg_dump, as a user would have made it; made once per database and options. */
function pgDump(database: string, file: string, args: string[]): string {
  const key = `${database}\0${args.join(' ')}`;
  const existing = made.get(key);
  if (existing && path.extname(existing) === path.extname(file)) return existing;
  const out = path.join(dir, file);
  made.set(key, out);
  execFileSync(path.join(cluster.binDir, 'pg_dump'), ['-h', cluster.socketDir, '-p', String(cluster.port), '-U', 'postgres', '-f', out, ...args, database], { env: pgEnv() });
  return out;
}

function pgRestoreList(dump: string): string {
  return execFileSync(path.join(cluster.binDir, 'pg_restore'), ['--list', dump], { env: pgEnv(), encoding: 'utf8' });
}

const newDb = () => `r_${++dbCounter}`;

async function q(sql: string, db = 'postgres'): Promise<string> {
  return cluster.sql(sql, db);
}

/** Every relation outside the system schemas, as `schema.name kind`. */
async function relations(db: string): Promise<string[]> {
  const out = await q(
    `SELECT rel FROM (
       SELECT n.nspname || '.' || c.relname || ' ' || c.relkind::text AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r','p','v','m','f','S') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema') r
      ORDER BY rel COLLATE "C"`,
    db,
  );
  return out === '' ? [] : out.split('\n');
}

function restore(opts: Partial<RestoreOptions> & { dumpPath: string; database: string }): Promise<RestoreResult> {
  return runRestore({ connection: cluster.params(), inventory, ...opts });
}

before(async () => {
  cluster = await startCluster({ archive: false });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-restore-'));
  inventory = await discoverTools({ env: {}, platform: process.platform, homedir: os.homedir(), candidateDirs: [{ dir: cluster.binDir, via: 'test' }] });
  await q(`CREATE ROLE "odd owner"; CREATE DATABASE hostile;`);
  await q(await fs.readFile(path.join(fixtures, 'hostile.sql'), 'utf8'), 'hostile');
  await createSampleDatabase(cluster, 'shop');
  // A table big enough that a restore is still running when it is cancelled.
  await q(`CREATE TABLE public.big AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 300000) g;`, 'shop');
});

after(async () => {
  await cluster?.stop();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

test('the archive reader matches pg_restore --list for custom, directory and tar dumps', async () => {
  for (const [file, args] of [
    ['hostile.dump', ['-Fc']],
    ['hostile.dir', ['-Fd']],
    ['hostile.tar', ['-Ft']],
  ] as const) {
    const dump = pgDump('hostile', file, [...args]);
    const toc = await readToc(dump);
    assert.equal(toc.source, 'archive', file);
    const expected = pgRestoreList(dump)
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith(';'));
    assert.deepEqual(
      toc.entries.map((e) => e.rawLine),
      expected,
      file,
    );
    assert.equal(toc.entries.find((e) => e.desc === 'FK CONSTRAINT' && e.tag === 'a b c')?.table, 'a', file);
    // The fallback for archives the reader does not know: pg_restore --list --verbose, same entries and dependencies.
    const viaTool = await readToc(dump, { preferPgRestore: true, pgRestore: path.join(cluster.binDir, 'pg_restore') });
    assert.equal(viaTool.source, 'pg_restore --list');
    assert.deepEqual(
      viaTool.entries.map((e) => [e.rawLine, [...(e.dependencies ?? [])]]),
      toc.entries.map((e) => [e.rawLine, [...(e.dependencies ?? [])]]),
      file,
    );
  }
});

test('one table restores into a fresh database with its key, trigger, policy and sequence value', async () => {
  const dump = pgDump('hostile', 'one.dump', ['-Fc']);
  const db = newDb();
  const progress: string[] = [];
  const r = await restore({ dumpPath: dump, database: db, create: true, tables: [parseQualifiedName('public.orders')], onProgress: (p) => progress.push(p.item) });
  assert.equal(r.status, 'succeeded', r.message + r.errors.join('\n'));
  assert.equal(r.created, true);
  assert.deepEqual(r.errors, []);
  assert.ok(progress.some((p) => p.startsWith('processing data for table "public.orders"')));
  assert.equal(r.itemsDone, r.itemsTotal);
  assert.deepEqual(await relations(db), ['public.orders r', 'public.orders_id_seq S']);
  assert.equal(await q('SELECT count(*) FROM public.orders', db), '13');
  assert.equal(await q(`SELECT count(*) FROM pg_constraint WHERE conname = 'orders_pkey'`, db), '1');
  assert.equal(await q(`SELECT count(*) FROM pg_trigger WHERE tgname = 'trg'`, db), '1');
  assert.equal(await q(`SELECT count(*) FROM pg_policy WHERE polname = 'p1'`, db), '1');
  // The serial's sequence carries on after the restored ids.
  assert.equal(await q(`SELECT nextval('public.orders_id_seq') > (SELECT max(id) FROM public.orders)`, db), 't');
});

test('each hostile name picked alone restores exactly itself and nothing else', async () => {
  const dump = pgDump('hostile', 'each.dump', ['-Fc']);
  for (const [name, rows] of Object.entries(HOSTILE_ROWS)) {
    const table = parseQualifiedName(name);
    const db = newDb();
    const r = await restore({ dumpPath: dump, database: db, create: true, tables: [table] });
    assert.equal(r.status, 'succeeded', `${name}: ${r.message}`);
    const rels = await relations(db);
    const tablesThere = rels.filter((rel) => rel.endsWith(' r'));
    assert.deepEqual(tablesThere, [`${table.schema}.${table.name} r`], name);
    // Only its own sequence may come along (serial or identity).
    assert.ok(
      rels.every((rel) => rel.endsWith(' r') || (rel.endsWith(' S') && rel.startsWith(`${table.schema}.${table.name}_`))),
      `${name}: ${rels.join(', ')}`,
    );
    assert.equal(await q(`SELECT count(*) FROM ${name}`, db), String(rows), name);
  }
  // A serial column of a quoted name gets its sequence value back too.
  const db = newDb();
  await restore({ dumpPath: dump, database: db, create: true, tables: [parseQualifiedName('public."Order""s"')] });
  assert.equal(await q(`SELECT nextval('public."Order""s_id_seq"')`, db), '8');
  assert.equal(await q(`SELECT obj_description('public."Order""s"'::regclass)`, db), 'orders with a quote');
});

test('a table that exists is refused unless data-only or recreate is chosen; both then work', async () => {
  const dump = pgDump('hostile', 'exists.dump', ['-Fc']);
  const db = newDb();
  const orders = [parseQualifiedName('public.orders')];
  await restore({ dumpPath: dump, database: db, create: true, tables: orders });
  await q(`DELETE FROM public.orders WHERE id > 5; INSERT INTO public.orders (note) VALUES ('local'); ALTER TABLE public.orders ADD COLUMN extra int;`, db);

  await assert.rejects(
    restore({ dumpPath: dump, database: db, tables: orders }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /"public"\."orders" already exists .*data-only .*recreate/.test(e.message),
  );

  const dataOnly = await restore({ dumpPath: dump, database: db, tables: orders, dataOnly: true });
  assert.equal(dataOnly.status, 'succeeded', dataOnly.message);
  assert.equal(await q(`SELECT count(*) FROM public.orders`, db), '13');
  assert.equal(await q(`SELECT count(*) FROM public.orders WHERE note = 'local'`, db), '0', 'the old rows are gone');
  assert.equal(await q(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'extra'`, db), '1', 'data-only keeps the table');
  assert.equal(await q(`SELECT last_value FROM public.orders_id_seq`, db), '13');

  const recreate = await restore({ dumpPath: dump, database: db, tables: orders, recreate: true });
  assert.equal(recreate.status, 'succeeded', recreate.message + recreate.errors.join('\n'));
  assert.equal(await q(`SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'extra'`, db), '0', 'recreate restores the dumped definition');
  assert.equal(await q(`SELECT count(*) FROM public.orders`, db), '13');
  assert.equal(await q(`SELECT count(*) FROM pg_trigger WHERE tgname = 'trg'`, db), '1');

  await assert.rejects(
    restore({ dumpPath: dump, database: db, tables: [parseQualifiedName('public.xay')], dataOnly: true }),
    /does not exist in database .* restore it without data-only/,
  );
});

test('TRUNCATE is ruled out, and said why, when a table that is not emptied references a chosen one', async () => {
  const dump = pgDump('shop', 'shop-fk.dump', ['-Fc']);
  const db = newDb();
  await restore({ dumpPath: dump, database: db, create: true });
  const table = (name: string) => parseQualifiedName(name);
  const blockers = await withClient({ ...cluster.params(), database: db }, {}, (c) => truncateBlockers(c, [table('public.customers')]));
  assert.deepEqual(
    blockers.map((b) => `${b.referencing.schema}.${b.referencing.name} -> ${b.referenced.schema}.${b.referenced.name}`),
    ['public.orders -> public.customers'],
  );
  assert.match(describeTruncateBlockers(blockers), /^public\.orders references public\.customers \(orders_customer_id_fkey\)$/);
  // Emptied together, the keys among them do not count; the one from sales.invoices still does.
  const two = await withClient({ ...cluster.params(), database: db }, {}, (c) => truncateBlockers(c, [table('public.customers'), table('public.orders')]));
  assert.deepEqual(two.map((b) => `${b.referencing.schema}.${b.referencing.name}`), ['sales.invoices']);
  const all = await withClient({ ...cluster.params(), database: db }, {}, (c) =>
    truncateBlockers(c, [table('public.customers'), table('public.orders'), table('sales.invoices')]),
  );
  assert.deepEqual(all, []);

  // The restore itself refuses before it empties anything, with the same reason.
  await assert.rejects(
    restore({ dumpPath: dump, database: db, tables: [table('public.customers')], dataOnly: true }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /TRUNCATE is refused because public\.orders references public\.customers .*recreate/.test(e.message),
  );
  assert.equal(await q('SELECT count(*) FROM public.customers', db), '50', 'nothing was emptied');
});

test('databaseNames lists every database, templates included; dropDatabase drops one with a session open in it', async () => {
  const db = newDb();
  await q(`CREATE DATABASE ${db}`);
  const names = await withClient(cluster.params(), {}, databaseNames);
  for (const n of ['postgres', 'template0', 'template1', db]) assert.ok(names.has(n), `${n} missing from ${[...names].join(', ')}`);
  await withClient({ ...cluster.params(), database: db }, {}, async () => {
    await withClient(cluster.params(), {}, (c) => dropDatabase(c, db));
  }).catch(() => undefined); // the session in it is ended by the drop
  assert.equal(await q(`SELECT count(*) FROM pg_database WHERE datname = '${db}'`), '0');
});

test('a recreate that fails keeps the old table: it all runs in one transaction', async () => {
  const dump = pgDump('hostile', 'keep.dump', ['-Fc']);
  const db = newDb();
  await restore({ dumpPath: dump, database: db, create: true, tables: [parseQualifiedName('public.orders')] });
  // Another table's foreign key on orders' key makes dropping it fail.
  await q(`CREATE TABLE public.ref (o int REFERENCES public.orders (id)); INSERT INTO public.ref VALUES (1);`, db);
  const r = await restore({ dumpPath: dump, database: db, tables: [parseQualifiedName('public.orders')], recreate: true });
  assert.equal(r.status, 'failed');
  assert.match(r.errors[0] ?? '', /depend/);
  assert.match(r.message, /It ran in one transaction, so nothing was restored: the tables that were there are as they were\./);
  assert.equal(await q(`SELECT count(*) FROM public.orders`, db), '13', 'the old table is still there');
});

test('errors ignored on restore are a failure that names the first error', async () => {
  const dump = pgDump('hostile', 'conflict.dump', ['-Fc']);
  const db = newDb();
  await q(`CREATE DATABASE ${db}`);
  // Not a relation, so the database still counts as empty; the dump's CREATE TYPE then collides.
  await q(`CREATE TYPE public.mood AS ENUM ('other')`, db);
  const r = await restore({ dumpPath: dump, database: db });
  assert.equal(r.status, 'failed');
  assert.ok(r.errorsIgnored >= 1, `errors ignored: ${r.errorsIgnored}`);
  assert.match(r.errors[0] ?? '', /type "mood" already exists/);
  assert.match(r.errors[0] ?? '', /TOC entry \d+; 1247 \d+ TYPE mood postgres/);
  assert.match(r.message, /^the restore of .* failed.*type "mood" already exists/);
  assert.match(r.log, /errors ignored on restore: \d+/);
  // Without exit-on-error pg_restore went on: the tables are there.
  assert.equal(await q('SELECT count(*) FROM public.orders', db), '13');

  const db2 = newDb();
  await q(`CREATE DATABASE ${db2}`);
  await q(`CREATE TYPE public.mood AS ENUM ('other')`, db2);
  const stopped = await restore({ dumpPath: dump, database: db2, exitOnError: true });
  assert.equal(stopped.status, 'failed');
  assert.match(stopped.errors[0] ?? '', /already exists/);
  assert.ok(stopped.itemsDone < r.itemsDone, 'exit-on-error stops early');
});

test('a non-empty database is refused without clean; clean replaces the objects', async () => {
  const dump = pgDump('shop', 'shop.dump', ['-Fc']);
  const db = newDb();
  const first = await restore({ dumpPath: dump, database: db, create: true });
  assert.equal(first.status, 'succeeded', first.message);
  await assert.rejects(
    restore({ dumpPath: dump, database: db }),
    (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /is not empty \(\d+ relations, e\.g\. .*\): restore with clean/.test(e.message),
  );
  await q(`DELETE FROM sales.invoices; DELETE FROM public.orders WHERE id > 100;`, db);
  const cleaned = await restore({ dumpPath: dump, database: db, clean: true });
  assert.equal(cleaned.status, 'succeeded', cleaned.message + cleaned.errors.join('\n'));
  assert.equal(await q('SELECT count(*) FROM public.orders', db), '200');
  assert.equal(await q('SELECT count(*) FROM sales.invoices', db), '120');
});

test('create refuses an existing database, and a missing one needs create', async () => {
  const dump = pgDump('shop', 'shop-c.dump', ['-Fc']);
  await assert.rejects(restore({ dumpPath: dump, database: 'shop', create: true }), /database "shop" already exists/);
  await assert.rejects(restore({ dumpPath: dump, database: 'no_such_db' }), /database "no_such_db" does not exist: create it first/);
});

test('directory (in parallel), tar, plain and gzip plain dumps restore whole', async () => {
  const cases: [string, string[], Partial<RestoreOptions>][] = [
    ['shop.dir', ['-Fd'], { jobs: 2 }],
    ['shop.tar', ['-Ft'], {}],
    ['shop.sql', ['-Fp'], { singleTransaction: true }],
  ];
  for (const [file, args, extra] of cases) {
    const dump = pgDump('shop', file, args);
    const db = newDb();
    const r = await restore({ dumpPath: dump, database: db, create: true, ...extra });
    assert.equal(r.status, 'succeeded', `${file}: ${r.message}\n${r.errors.join('\n')}`);
    assert.equal(await q('SELECT count(*) FROM public.orders', db), '200', file);
    assert.equal(await q('SELECT count(*) FROM public.big', db), '300000', file);
    if (file === 'shop.sql') {
      assert.equal(r.tool.name, 'psql');
      assert.ok(r.itemsDone > 10, 'psql command tags count as progress');
      const gz = path.join(dir, 'shop.sql.gz');
      await fs.writeFile(gz, gzipSync(await fs.readFile(dump)));
      const db2 = newDb();
      const g = await restore({ dumpPath: gz, database: db2, create: true });
      assert.equal(g.status, 'succeeded', g.message);
      assert.equal(await q('SELECT count(*) FROM sales.invoices', db2), '120');
    }
  }
  const tar = path.join(dir, 'shop.tar');
  await assert.rejects(restore({ dumpPath: tar, database: newDb(), create: true, jobs: 2 }), /parallel restore needs a custom or directory dump/);
  await assert.rejects(restore({ dumpPath: path.join(dir, 'shop.sql'), database: newDb(), create: true, tables: [parseQualifiedName('orders')] }), /plain SQL dump has no table of contents/);
});

test('a plain dump that hits an error stops there and fails', async () => {
  const bad = path.join(dir, 'bad.sql');
  await fs.writeFile(bad, 'CREATE TABLE public.t (id int);\nINSERT INTO public.t VALUES (1);\nSELECT 1/0;\nCREATE TABLE public.after_error (id int);\n');
  const db = newDb();
  const r = await restore({ dumpPath: bad, database: db, create: true });
  assert.equal(r.status, 'failed');
  assert.match(r.errors[0] ?? '', /division by zero \(line 3\)/);
  assert.deepEqual(await relations(db), ['public.t r']);
});

test('a dump cut in half fails as truncated or corrupt', async () => {
  const dump = pgDump('shop', 'shop-full.dump', ['-Fc', '-Z0']);
  const bytes = await fs.readFile(dump);
  const cut = path.join(dir, 'shop-cut.dump');
  await fs.writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const r = await restore({ dumpPath: cut, database: newDb(), create: true });
  assert.equal(r.status, 'failed');
  assert.match(r.message, /^the dump is truncated or corrupt: pg_restore could not read it \(.*\)/);
});

test('a restore is cancelled through its signal', async () => {
  const dump = pgDump('shop', 'shop-cancel.dump', ['-Fc']);
  const controller = new AbortController();
  const r = await restore({
    dumpPath: dump,
    database: newDb(),
    create: true,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.item.includes('processing data for table "public.big"')) controller.abort();
    },
  });
  assert.equal(r.status, 'cancelled');
  assert.match(r.message, /was cancelled/);
});

// ---------------------------------------------------------------------------------------------
// The built CLI

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [pgbr, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const uri = () => `postgresql://postgres@127.0.0.1:${cluster.port}/postgres`;

test('pgbr toc --json lists the tree of a dump, --entries every entry as well; a cut one exits 1', async () => {
  const dump = pgDump('hostile', 'cli.dump', ['-Fc']);
  const compact = cli(['toc', dump, '--json', '--bin-path', cluster.binDir]);
  assert.equal(compact.code, 0, compact.stderr);
  assert.equal(compact.stdout.trimEnd().split('\n').length, 1, 'one line of JSON');
  const tree = JSON.parse(compact.stdout) as { entries?: unknown; tree: { schemas: { name: string }[] } };
  assert.equal(tree.entries, undefined);
  assert.ok(tree.tree.schemas.some((s) => s.name === 'My Schema'));
  const r = cli(['toc', dump, '--json', '--entries', '--bin-path', cluster.binDir]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    dump: string;
    format: string;
    header: { dbname: string };
    tree: { schemas: { name: string; tables: { name: string; hasData: boolean }[] }[] };
    entries: { dumpId: number; desc: string; rawLine: string }[];
  };
  assert.equal(doc.dump, dump);
  assert.equal(doc.format, 'custom');
  assert.equal(doc.header.dbname, 'hostile');
  const pub = doc.tree.schemas.find((s) => s.name === 'public')!;
  assert.ok(pub.tables.some((t) => t.name === 'Order"s' && t.hasData));
  assert.equal(doc.entries.length, pgRestoreList(dump).split('\n').filter((l) => l !== '' && !l.startsWith(';')).length);

  const text = cli(['toc', dump]);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^schema "My Schema"$/m);
  assert.match(text.stdout, /^ {4}"Order""s" +table +data$/m);
  assert.match(text.stdout, /"b c" on a/);

  const cut = path.join(dir, 'cli-cut.dump');
  await fs.writeFile(cut, (await fs.readFile(dump)).subarray(0, 2000));
  const bad = cli(['toc', cut, '--json']);
  assert.equal(bad.code, 1);
  assert.match((JSON.parse(bad.stdout) as { error: { message: string } }).error.message, /truncated or corrupt/);
  assert.equal(cli(['toc', path.join(dir, 'nope.dump')]).code, 2);
});

test('pgbr restore --json: a table into a new database exits 0; refusals exit 2; errors exit 1', async () => {
  const dump = pgDump('hostile', 'cli-restore.dump', ['-Fc']);
  const db = newDb();
  const ok = cli(['restore', dump, '--conn', uri(), '--db', db, '--create', '--table', 'public."Order""s"', '--json', '--bin-path', cluster.binDir]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const doc = JSON.parse(ok.stdout) as { dump: string; status: string; database: string; tables: { schema: string; table: string }[]; errors: string[] };
  assert.equal(doc.status, 'succeeded');
  assert.equal(doc.dump, dump);
  assert.equal(doc.database, db);
  assert.deepEqual(doc.tables, [{ schema: 'public', table: 'Order"s' }]);
  assert.equal(await q('SELECT count(*) FROM public."Order""s"', db), '7');

  const again = cli(['restore', dump, '--conn', uri(), '--db', db, '--table', 'public."Order""s"', '--json', '--bin-path', cluster.binDir]);
  assert.equal(again.code, 2);
  assert.match((JSON.parse(again.stdout) as { error: { message: string } }).error.message, /already exists/);

  const dataOnly = cli(['restore', dump, '--conn', uri(), '--db', db, '--table', 'public."Order""s"', '--data-only', '--bin-path', cluster.binDir]);
  assert.equal(dataOnly.code, 0, dataOnly.stderr);
  assert.match(dataOnly.stdout, /^restored "public"\."Order""s" from .* into database "r_\d+"/);
  assert.match(dataOnly.stderr, /\[\d+\/\d+\] processing data for table/);

  const db2 = newDb();
  await q(`CREATE DATABASE ${db2}`);
  await q(`CREATE TYPE public.mood AS ENUM ('x')`, db2);
  const failed = cli(['restore', dump, '--conn', uri(), '--db', db2, '--json', '--bin-path', cluster.binDir]);
  assert.equal(failed.code, 1, failed.stderr);
  const fdoc = JSON.parse(failed.stdout) as { status: string; errors: string[]; errorsIgnored: number; log: string };
  assert.equal(fdoc.status, 'failed');
  assert.match(fdoc.errors[0] ?? '', /already exists/);
  assert.ok(fdoc.log.includes('errors ignored on restore'));

  assert.equal(cli(['restore', dump, '--conn', uri(), '--db', db, '--table', 'a..b']).code, 2);
  assert.equal(cli(['restore', dump, '--conn', 'postgresql://postgres@127.0.0.1:1/postgres', '--db', db]).code, 2);
});

test('pgbr restore asks for --yes before restoring into the database the dump came from', async () => {
  const dump = pgDump('shop', 'same.dump', ['-Fc']);
  const r = cli(['restore', dump, '--conn', uri(), '--db', 'shop', '--clean', '--bin-path', cluster.binDir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is the one this dump was taken from: pass --yes/);
});

test('a chosen table whose foreign key points at a table not restored: the key is left out with a warning, the rest restores', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-fk-'));
  try {
    await cluster.sql('CREATE DATABASE fk_src');
    await cluster.sql(
      `CREATE TABLE parent (id int PRIMARY KEY); CREATE TABLE child (id serial PRIMARY KEY, parent_id int REFERENCES parent(id));
       COMMENT ON CONSTRAINT child_parent_id_fkey ON child IS 'to parent';
       INSERT INTO parent VALUES (1), (2); INSERT INTO child (parent_id) VALUES (1), (2), (2);`,
      'fk_src',
    );
    const dump = path.join(dir, 'fk.dump');
    execFileSync(path.join(cluster.binDir, 'pg_dump'), ['-Fc', '-f', dump, '-h', '127.0.0.1', '-p', String(cluster.port), '-U', 'postgres', 'fk_src']);
    const inventory = await discoverTools({ env: process.env, platform: process.platform, homedir: os.homedir() });

    const result = await runRestore({
      dumpPath: dump,
      connection: cluster.params('postgres', 'postgres'),
      database: 'fk_child_only',
      create: true,
      tables: [{ schema: 'public', name: 'child' }],
      inventory,
    });
    assert.equal(result.status, 'succeeded', result.message);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0] ?? '', /foreign key "child_parent_id_fkey" on "public"."child" was not restored: it references "public"."parent"/);
    assert.match(result.message, /1 foreign key was left out/);
    assert.equal(await cluster.sql('SELECT count(*) FROM child', 'fk_child_only'), '3');
    assert.equal(await cluster.sql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'", 'fk_child_only'), '0');

    // When the referenced table is already in the target, the key is restored with the table.
    await cluster.sql('CREATE DATABASE fk_with_parent');
    await cluster.sql('CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1), (2);', 'fk_with_parent');
    const withParent = await runRestore({
      dumpPath: dump,
      connection: cluster.params('postgres', 'postgres'),
      database: 'fk_with_parent',
      tables: [{ schema: 'public', name: 'child' }],
      inventory,
    });
    assert.equal(withParent.status, 'succeeded', withParent.message);
    assert.deepEqual(withParent.warnings, []);
    assert.equal(await cluster.sql("SELECT count(*) FROM pg_constraint WHERE contype = 'f'", 'fk_with_parent'), '1');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('schemas the restored tables need: from the dump with owner and grants, else created with a warning', async () => {
  await q(`CREATE ROLE sales_owner; CREATE ROLE sales_reader; CREATE DATABASE schemas_src;`);
  await q(
    `CREATE SCHEMA sales AUTHORIZATION sales_owner; GRANT USAGE ON SCHEMA sales TO sales_reader; COMMENT ON SCHEMA sales IS 'the sales team';
     CREATE TABLE sales.invoices (id serial PRIMARY KEY, total numeric); INSERT INTO sales.invoices (total) VALUES (1), (2), (3);`,
    'schemas_src',
  );
  const picked = pgDump('schemas_src', 'invoices-only.dump', ['-Fc', '--table', 'sales.invoices']);
  const whole = pgDump('schemas_src', 'schemas-whole.dump', ['-Fc']);
  const invoices = [parseQualifiedName('sales.invoices')];
  const schemaOf = (db: string) =>
    q(`SELECT nspowner::regrole || ' ' || coalesce(array_to_string(nspacl, ','), '') || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = 'sales'`, db);

  // A dump of the table alone has no SCHEMA entry: the schema is created, owned by the restoring user, with a warning.
  for (const [label, opts] of [
    ['whole, new database', {}],
    ['table, new database', { tables: invoices }],
  ] as const) {
    const db = newDb();
    const r = await restore({ dumpPath: picked, database: db, create: true, ...opts });
    assert.equal(r.status, 'succeeded', `${label}: ${r.message} ${r.errors.join('\n')}`);
    assert.equal(await q('SELECT count(*) FROM sales.invoices', db), '3', label);
    assert.equal(r.warnings.length, 1, label);
    assert.match(r.warnings[0] ?? '', /schema "sales" is not in the dump .* created owned by "postgres"/, label);
    assert.match(await schemaOf(db), /^postgres\b/, label);
  }
  const empty = newDb();
  await q(`CREATE DATABASE ${empty}`);
  const intoEmpty = await restore({ dumpPath: picked, database: empty, tables: invoices });
  assert.equal(intoEmpty.status, 'succeeded', intoEmpty.message);
  assert.match(intoEmpty.warnings.join(' '), /schema "sales" is not in the dump/);
  assert.equal(await q('SELECT count(*) FROM sales.invoices', empty), '3');

  // A whole dump has the SCHEMA entry: a table restore brings the schema with its owner, grants and comment.
  for (const [label, opts] of [
    ['table from a whole dump', { tables: invoices }],
    ['whole dump', {}],
  ] as const) {
    const db = newDb();
    const r = await restore({ dumpPath: whole, database: db, create: true, ...opts });
    assert.equal(r.status, 'succeeded', `${label}: ${r.message} ${r.errors.join('\n')}`);
    assert.deepEqual(r.warnings, [], label);
    assert.equal(await q('SELECT count(*) FROM sales.invoices', db), '3', label);
    const shown = await schemaOf(db);
    assert.match(shown, /^sales_owner /, label);
    assert.match(shown, /sales_reader=U\/sales_owner/, label);
    assert.match(shown, / the sales team$/, label);
  }
  // The schema already there is used as it is: nothing is created, nothing warned.
  const withSchema = newDb();
  await q(`CREATE DATABASE ${withSchema}`);
  await q('CREATE SCHEMA sales', withSchema);
  const existing = await restore({ dumpPath: whole, database: withSchema, tables: invoices });
  assert.equal(existing.status, 'succeeded', existing.message);
  assert.deepEqual(existing.warnings, []);
});

test('a single-transaction restore cut short says nothing was restored, not that the database holds a partial restore', async () => {
  await q(`CREATE ROLE gone_owner; CREATE DATABASE gone_src;`);
  await q(`CREATE TABLE public.a (id int); INSERT INTO public.a VALUES (1); CREATE TABLE public.b (id int); ALTER TABLE public.b OWNER TO gone_owner;`, 'gone_src');
  const dump = pgDump('gone_src', 'gone.dump', ['-Fc']);
  await q(`DROP DATABASE gone_src; DROP ROLE gone_owner;`);
  const db = newDb();
  const r = await restore({ dumpPath: dump, database: db, create: true, singleTransaction: true });
  assert.equal(r.status, 'failed');
  assert.match(r.errors[0] ?? '', /role "gone_owner" does not exist/);
  assert.match(r.message, /It ran in one transaction, so nothing was restored: the database "r_\d+" was created by this restore and holds nothing from the dump/);
  assert.doesNotMatch(r.message, /partial/);
  assert.deepEqual(await relations(db), []);
  // Without one transaction, what came before the error is there, and the message says so.
  const db2 = newDb();
  const partial = await restore({ dumpPath: dump, database: db2, create: true });
  assert.equal(partial.status, 'failed');
  assert.match(partial.message, /holds a partial restore/);
  assert.ok((await relations(db2)).includes('public.a r'));
});
