// The `pg_restore -L` list for chosen tables on captured tables of contents, and spotting a restore into the source database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { PgbrError } from '../../src/core/platform/errors';
import { parseQualifiedName } from '../../src/core/postgres/names';
import { buildRestoreList, schemasNeeded } from '../../src/core/logical/restoreList';
import { dbnameConninfo } from '../../src/core/logical/restoreRun';
import { isSameDatabase } from '../../src/core/logical/restoreTarget';
import { parseTocList, readToc, type TocEntry } from '../../src/core/logical/toc';

const fixtures = path.resolve(__dirname, '../fixtures');
const archive = () => readToc(path.join(fixtures, 'toc-hostile.dump')).then((t) => t.entries);
const verboseList = async () => parseTocList(await fs.readFile(path.join(fixtures, 'toc-hostile.verbose.list'), 'utf8')).entries;
const plainList = async () => parseTocList(await fs.readFile(path.join(fixtures, 'toc-hostile.list'), 'utf8')).entries;

/** `DESC name` for each planned entry, in list order. */
function plan(entries: TocEntry[], tables: string[], dataOnly = false): string[] {
  return buildRestoreList(
    entries,
    tables.map((t) => parseQualifiedName(t)),
    { dataOnly },
  ).entries.map((e) => `${e.desc} ${e.table !== undefined && e.table !== e.name ? `${e.table}.` : ''}${e.name}`);
}

test('a serial table comes with its sequence, default, data, key, comments and grants', async () => {
  assert.deepEqual(plan(await archive(), ['public."Order""s"']), [
    'TABLE Order"s',
    'COMMENT TABLE "Order""s"',
    'COMMENT COLUMN "Order""s".v',
    'ACL TABLE "Order""s"',
    'SEQUENCE Order"s.Order"s_id_seq',
    'SEQUENCE OWNED BY Order"s.Order"s_id_seq',
    'DEFAULT Order"s.id',
    'TABLE DATA Order"s',
    'SEQUENCE SET Order"s.Order"s_id_seq',
    'CONSTRAINT Order"s.Order"s_pkey',
  ]);
});

test("a table's triggers, policies, row security and constraint comments come along; other tables' foreign keys and views do not", async () => {
  const orders = plan(await archive(), ['public.orders']);
  for (const wanted of ['TABLE orders', 'TABLE DATA orders', 'CONSTRAINT orders.orders_pkey', 'COMMENT CONSTRAINT orders_pkey ON orders', 'TRIGGER orders.trg', 'ROW SECURITY orders', 'POLICY orders.p1', 'SEQUENCE SET orders.orders_id_seq']) {
    assert.ok(orders.includes(wanted), `${wanted} missing from ${orders.join(', ')}`);
  }
  assert.ok(!orders.some((e) => e.includes('child')), 'the foreign key of child is restored with child');
  assert.ok(!orders.some((e) => e.startsWith('VIEW')), 'views on the table are not the table');
  assert.ok(plan(await archive(), ['public.child']).includes('FK CONSTRAINT child.child_o_fkey'));
});

test('names that are prefixes or patterns of others pick exactly their own objects', async () => {
  const entries = await archive();
  // "a b c" is constraint "b c" on table a, not constraint "c" on table "a b".
  assert.ok(plan(entries, ['public.a']).includes('FK CONSTRAINT a.b c'));
  assert.deepEqual(plan(entries, ['public."a b"']), ['TABLE a b', 'TABLE DATA a b', 'CONSTRAINT a b.a b_pkey']);
  assert.deepEqual(plan(entries, ['public."with"']), ['TABLE with', 'TABLE DATA with']);
  assert.deepEqual(plan(entries, ['public."with space"']), ['TABLE with space', 'TABLE DATA with space', 'CONSTRAINT with space.my pk', 'INDEX with space.idx with space']);
  assert.deepEqual(plan(entries, ['public."x*y"']), ['TABLE x*y', 'TABLE DATA x*y']);
  assert.deepEqual(plan(entries, ['public.xay']), ['TABLE xay', 'TABLE DATA xay', 'RULE xay.r1']);
  assert.deepEqual(plan(entries, ['public2.xay']), ['TABLE xay', 'TABLE DATA xay']);
  assert.deepEqual(plan(entries, ['"My Schema"."with space"']), ['TABLE with space', 'SEQUENCE with space.with space_id_seq', 'TABLE DATA with space', 'SEQUENCE SET with space.with space_id_seq']);
  assert.deepEqual(plan(entries, ['"ÜberTable"']), ['TABLE ÜberTable', 'TABLE DATA ÜberTable']);
  assert.deepEqual(plan(entries, ['"MixedCase"']), ['TABLE MixedCase', 'TABLE DATA MixedCase']);
  const long = 'abcdefghij_'.repeat(5) + 'abcdefgh';
  assert.equal(Buffer.byteLength(long), 63);
  assert.deepEqual(plan(entries, [long]), [`TABLE ${long}`, `TABLE DATA ${long}`]);
  const owned = buildRestoreList(entries, [parseQualifiedName('owned')]).entries;
  assert.deepEqual(
    owned.map((e) => e.owner),
    ['odd owner', 'odd owner'],
  );
});

test('a partition brings its statistics; the attach needs the parent chosen too', async () => {
  const entries = await archive();
  assert.deepEqual(plan(entries, ['public.part_1']), ['TABLE part_1', 'TABLE DATA part_1', 'STATISTICS part_1.st1']);
  assert.ok(plan(entries, ['public.part', 'public.part_1']).includes('TABLE ATTACH part_1'));
});

test('data-only plans rows and sequence values, nothing else', async () => {
  assert.deepEqual(plan(await archive(), ['public.orders', '"My Schema"."with space"'], true), [
    'TABLE DATA with space',
    'TABLE DATA orders',
    'SEQUENCE SET with space.with space_id_seq',
    'SEQUENCE SET orders.orders_id_seq',
  ]);
});

test('the list text is the entries as pg_restore lines, in archive order', async () => {
  const entries = await archive();
  const list = buildRestoreList(entries, [parseQualifiedName('orders'), parseQualifiedName('"a.b"')]);
  const ids = list.text
    .trim()
    .split('\n')
    .map((l) => Number(l.slice(0, l.indexOf(';'))));
  const order = entries.map((e) => e.dumpId);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
  );
  assert.ok(list.text.endsWith('\n'));
  assert.ok(list.text.includes('TABLE public a.b postgres'));
});

test('a --list --verbose capture plans the same lists as the archive', async () => {
  const fromArchive = await archive();
  const fromList = await verboseList();
  const tables = fromArchive.filter((e) => e.desc === 'TABLE').map((e) => ({ schema: e.schema!, name: e.tag }));
  for (const t of tables) {
    const ids = (entries: TocEntry[]) => buildRestoreList(entries, [t]).entries.map((e) => e.dumpId);
    // What list text cannot say: whether "a b c" is on table a or "a b", and that "owned odd owner" has a two-word owner.
    if (t.name === 'a' || t.name === 'a b' || t.name === 'owned') continue;
    assert.deepEqual(ids(fromList), ids(fromArchive), `${t.schema}.${t.name}`);
  }
});

test('a plain --list capture (no dependencies) still plans tables by name', async () => {
  const fromArchive = await archive();
  const fromList = await plainList();
  for (const name of ['Order"s', 'orders', 'xay', 'x*y', 'child', '"MixedCase"']) {
    const t = parseQualifiedName(name.startsWith('"') ? name : `"${name.replace(/"/g, '""')}"`);
    const ids = (entries: TocEntry[]) => buildRestoreList(entries, [t]).entries.map((e) => e.dumpId);
    assert.deepEqual(ids(fromList), ids(fromArchive), name);
  }
});

test('a table that is not in the dump is named, with the spelling that is', async () => {
  const entries = await archive();
  assert.throws(
    () => buildRestoreList(entries, [parseQualifiedName('mixedcase')]),
    (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /"public"\."mixedcase" is not in this dump\. Did you mean "public"\."MixedCase"\?/.test(e.message),
  );
  assert.throws(() => buildRestoreList(entries, [parseQualifiedName('nope.nothing')]), /not in this dump\. List the tables in it with pgbr toc/);
});

test('plain SQL entries cannot be picked from', async () => {
  const plainEntry: TocEntry = { dumpId: null, catalogOid: 0, objectOid: 0, desc: 'TABLE', schema: 'public', name: 't', tag: 't', owner: null, rawLine: 'CREATE TABLE public.t (' };
  assert.throws(() => buildRestoreList([plainEntry], [parseQualifiedName('t')]), /custom, directory or tar dump/);
});

test('the same database is the same host, port and name; local spellings are one host', () => {
  const target = { host: '127.0.0.1', port: 5433, database: 'shop' };
  assert.equal(isSameDatabase({ host: 'localhost', port: 5433, database: 'shop' }, target), true);
  assert.equal(isSameDatabase({ host: '/var/run/postgresql', port: 5433, database: 'shop' }, target), true);
  assert.equal(isSameDatabase({ host: 'localhost', port: 5432, database: 'shop' }, target), false);
  assert.equal(isSameDatabase({ host: 'db.example.com', port: 5433, database: 'shop' }, target), false);
  assert.equal(isSameDatabase({ host: 'localhost', port: 5433, database: 'shop_copy' }, target), false);
  assert.equal(isSameDatabase({ host: 'db', database: 'shop' }, { host: 'DB', database: 'shop' }), true, 'ports default to 5432');
  // A TOC header knows only the database name: a match is worth a question.
  assert.equal(isSameDatabase({ dbname: 'shop' }, target), true);
  assert.equal(isSameDatabase({ dbname: 'other' }, target), false);
  assert.equal(isSameDatabase({}, target), false);
});

test('a database name goes to -d as a quoted conninfo, never read as a connection string', () => {
  assert.equal(dbnameConninfo('shop'), "dbname='shop'");
  assert.equal(dbnameConninfo("it's host=evil"), "dbname='it\\'s host=evil'");
  assert.equal(dbnameConninfo('a\\b'), "dbname='a\\\\b'");
});

test("a table in a schema of its own needs that schema: the dump's SCHEMA entry joins the list when asked for", async () => {
  for (const [label, read] of [
    ['archive', archive],
    ['verbose list', verboseList],
    ['plain list', plainList],
  ] as const) {
    const entries = await read();
    const table = [parseQualifiedName('"My Schema"."with space"')];
    const list = buildRestoreList(entries, table);
    assert.deepEqual(
      schemasNeeded(entries, list.entries).map((s) => [s.name, s.entry?.desc]),
      [['My Schema', 'SCHEMA']],
      label,
    );
    assert.ok(!list.entries.some((e) => e.desc === 'SCHEMA'), label);
    const withSchema = buildRestoreList(entries, table, { schemas: ['My Schema'] }).entries;
    assert.equal(withSchema[0]?.desc, 'SCHEMA', label);
    assert.equal(withSchema[0]?.tag, 'My Schema', label);
    assert.equal(withSchema.filter((e) => e.desc === 'SCHEMA').length, 1, label);
  }
  // A dump without the SCHEMA entry (made with --table): the schema is needed, and nothing in the dump creates it.
  const entries = (await archive()).filter((e) => e.desc !== 'SCHEMA');
  const list = buildRestoreList(entries, [parseQualifiedName('public2.xay')]);
  assert.deepEqual(schemasNeeded(entries, list.entries), [{ name: 'public2' }]);
  // public is made by initdb: never taken from the dump.
  assert.deepEqual(schemasNeeded(await archive(), buildRestoreList(await archive(), [parseQualifiedName('public.orders')]).entries), [{ name: 'public' }]);
});
