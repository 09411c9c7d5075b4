// Reading a dump's table of contents from the archive, list text and plain SQL, on captures of hostile names.
// The fixtures test/fixtures/toc-hostile.* were made by pg_dump 15 from test/fixtures/hostile.sql.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PgbrError } from '../../src/core/platform/errors';
import { syntheticList } from '../../bench/toc-list';
import {
  detectDumpFormat,
  dumpedByMajor,
  groupToc,
  listLine,
  parseTocList,
  readIdentifierChain,
  readToc,
  readTocHeader,
  scanPlainSql,
  type TocEntry,
} from '../../src/core/logical/toc';

const fixtures = path.resolve(__dirname, '../fixtures');
const dumpFile = path.join(fixtures, 'toc-hostile.dump');
const listText = () => fs.readFile(path.join(fixtures, 'toc-hostile.list'), 'utf8');
const verboseText = () => fs.readFile(path.join(fixtures, 'toc-hostile.verbose.list'), 'utf8');
const entryLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith(';'));

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-toc-'));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function find(entries: TocEntry[], desc: string, schema: string | null, name: string): TocEntry {
  const e = entries.find((x) => x.desc === desc && x.schema === schema && x.name === name);
  assert.ok(e, `${desc} ${schema}.${name} not found`);
  return e;
}

test('the archive reader prints exactly the lines pg_restore --list prints, in the same order', async () => {
  const toc = await readToc(dumpFile);
  assert.equal(toc.source, 'archive');
  assert.equal(toc.format, 'custom');
  assert.deepEqual(
    toc.entries.map((e) => e.rawLine),
    entryLines(await listText()),
  );
});

test('the archive header matches what pg_restore reports', async () => {
  const { header } = await readToc(dumpFile);
  const fromList = parseTocList(await listText()).header;
  assert.equal(header.dbname, 'hostile');
  assert.equal(header.dbname, fromList.dbname);
  assert.equal(header.tocEntries, fromList.tocEntries);
  assert.equal(header.archiveVersion, fromList.archiveVersion);
  assert.equal(header.format, 'CUSTOM');
  assert.equal(header.intSize, 4);
  assert.equal(header.offSize, 8);
  assert.equal(header.compression, 'gzip');
  assert.equal(header.dumpedFrom, fromList.dumpedFrom);
  assert.equal(header.dumpedBy, fromList.dumpedBy);
  assert.match(header.createdAt ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  assert.ok(fromList.createdAt?.startsWith(header.createdAt!.slice(0, 10)));
  assert.equal(dumpedByMajor(header), 15);
  // The header alone stops before the entries, so it cannot count them.
  const alone = await readTocHeader(dumpFile);
  assert.equal(alone?.tocEntries, undefined);
  assert.deepEqual({ ...alone, tocEntries: header.tocEntries }, header);
});

test('names with spaces, quotes, dots, stars, capitals and non-ASCII come out exactly from the archive', async () => {
  const { entries } = await readToc(dumpFile);
  for (const name of ['Order"s', 'a.b', 'x*y', 'xay', 'ÜberTable', 'with', 'with space', 'MixedCase', 'a b', 'a', 'x'.repeat(0) + 'abcdefghij_'.repeat(5) + 'abcdefgh']) {
    const table = find(entries, 'TABLE', 'public', name);
    assert.equal(table.owner, 'postgres');
    assert.equal(table.ambiguous, undefined);
  }
  assert.equal(find(entries, 'TABLE', 'My Schema', 'with space').schema, 'My Schema');
  assert.equal(find(entries, 'TABLE', 'public2', 'xay').schema, 'public2');
  assert.equal(find(entries, 'TABLE', 'public', 'owned').owner, 'odd owner');
  assert.equal(find(entries, 'SCHEMA', null, 'My Schema').owner, 'postgres');
  assert.equal(find(entries, 'FUNCTION', 'public', 'f un(integer, text)').owner, 'postgres');
});

test('what belongs to which table is resolved from drop statements and dependencies', async () => {
  const { entries } = await readToc(dumpFile);
  // Tagged "a b c": only the archive's drop statement says it is constraint "b c" on table "a".
  const fk = find(entries, 'FK CONSTRAINT', 'public', 'b c');
  assert.equal(fk.table, 'a');
  assert.equal(fk.tag, 'a b c');
  assert.equal(find(entries, 'CONSTRAINT', 'public', 'a b_pkey').table, 'a b');
  assert.equal(find(entries, 'CONSTRAINT', 'public', 'my pk').table, 'with space');
  assert.equal(find(entries, 'INDEX', 'public', 'idx with space').table, 'with space');
  assert.equal(find(entries, 'FK CONSTRAINT', 'public', 'child_o_fkey').table, 'child');
  assert.equal(find(entries, 'DEFAULT', 'public', 'id').table, 'Order"s');
  assert.equal(find(entries, 'TRIGGER', 'public', 'trg').table, 'orders');
  assert.equal(find(entries, 'POLICY', 'public', 'p1').table, 'orders');
  assert.equal(find(entries, 'RULE', 'public', 'r1').table, 'xay');
  assert.equal(find(entries, 'STATISTICS', 'public', 'st1').table, 'part_1');
  assert.equal(find(entries, 'SEQUENCE', 'My Schema', 'with space_id_seq').table, 'with space');
  assert.equal(find(entries, 'SEQUENCE SET', 'public', 'Order"s_id_seq').table, 'Order"s');
  assert.equal(find(entries, 'TABLE DATA', 'public', 'x*y').table, 'x*y');
});

test('a --list without --verbose parses, and marks the entries whose split was a guess', async () => {
  const archive = await readToc(dumpFile);
  const { entries } = parseTocList(await listText());
  assert.deepEqual(
    entries.map((e) => [e.dumpId, e.desc]),
    archive.entries.map((e) => [e.dumpId, e.desc]),
  );
  for (const e of entries) {
    const a = archive.entries.find((x) => x.dumpId === e.dumpId)!;
    assert.equal(e.rawLine, a.rawLine);
    const hasSpace = /\s/.test(`${a.schema ?? ''}${a.tag}${a.owner ?? ''}`);
    if (!hasSpace) {
      assert.equal(e.schema, a.schema, a.rawLine);
      assert.equal(e.tag, a.tag, a.rawLine);
      assert.equal(e.owner, a.owner, a.rawLine);
    }
  }
  // Known schemas come from the SCHEMA entries, so a schema with a space still splits right.
  assert.equal(find(entries, 'TABLE', 'My Schema', 'with space').ambiguous, true);
  // A two-word owner cannot be told from a two-word name: the guess is marked, not hidden.
  const owned = entries.find((e) => e.desc === 'TABLE' && e.rawLine.includes(' owned '))!;
  assert.equal(owned.ambiguous, true);
  assert.equal(owned.owner, 'owner');
});

test('a --list --verbose gives every entry its dependencies, as the archive has them', async () => {
  const archive = await readToc(dumpFile);
  const { entries } = parseTocList(await verboseText());
  for (const a of archive.entries) {
    const e = entries.find((x) => x.dumpId === a.dumpId)!;
    assert.deepEqual([...(e.dependencies ?? [])], [...(a.dependencies ?? [])], a.rawLine);
  }
  // With dependencies, an index finds its table even from list text.
  assert.equal(find(entries, 'INDEX', 'public', 'idx with space').table, 'with space');
  // Two tables fit "a b c": the list can only guess, and says so.
  const fk = entries.find((e) => e.desc === 'FK CONSTRAINT' && e.tag === 'a b c')!;
  assert.equal(fk.ambiguous, true);
});

test('list lines flatten line breaks in names, as pg_restore does', () => {
  const line = listLine({ dumpId: 7, catalogOid: 1259, objectOid: 42, desc: 'TABLE', schema: null, tag: 'two\nlines\r', owner: null });
  assert.equal(line, '7; 1259 42 TABLE - two lines  ');
});

test('identifiers are read as SQL reads them', () => {
  assert.deepEqual(readIdentifierChain('public."Order""s" x', 0), { parts: ['public', 'Order"s'], end: 17 });
  assert.deepEqual(readIdentifierChain('"a.b"."x*y"', 0)?.parts, ['a.b', 'x*y']);
  assert.deepEqual(readIdentifierChain('Sales.Orders(', 0)?.parts, ['sales', 'orders']);
  assert.deepEqual(readIdentifierChain('"ÜberTable";', 0)?.parts, ['ÜberTable']);
  assert.equal(readIdentifierChain('"open', 0), undefined);
  assert.equal(readIdentifierChain('(x)', 0), undefined);
});

test('formats are told apart by content', async () => {
  await withTemp(async (dir) => {
    assert.deepEqual(await detectDumpFormat(dumpFile), { format: 'custom', gzip: false });
    assert.deepEqual(await detectDumpFormat(path.join(fixtures, 'toc-hostile.sql')), { format: 'plain', gzip: false });
    const gz = path.join(dir, 'd.sql.gz');
    await fs.writeFile(gz, gzipSync(await fs.readFile(path.join(fixtures, 'toc-hostile.sql'))));
    assert.deepEqual(await detectDumpFormat(gz), { format: 'plain', gzip: true });
    const folder = path.join(dir, 'dirdump');
    await fs.mkdir(folder);
    await assert.rejects(detectDumpFormat(folder), /without toc\.dat/);
    await fs.writeFile(path.join(folder, 'toc.dat'), '');
    assert.deepEqual(await detectDumpFormat(folder), { format: 'directory', gzip: false });
    const junk = path.join(dir, 'photo.jpg');
    await fs.writeFile(junk, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]));
    await assert.rejects(detectDumpFormat(junk), (e: unknown) => e instanceof PgbrError && e.kind === 'usage' && /not a PostgreSQL dump/.test(e.message));
    await assert.rejects(detectDumpFormat(path.join(dir, 'missing.dump')), /does not exist/);
  });
});

test('an archive cut short inside its table of contents is reported as truncated', async () => {
  await withTemp(async (dir) => {
    const cut = path.join(dir, 'cut.dump');
    await fs.writeFile(cut, (await fs.readFile(dumpFile)).subarray(0, 3000));
    await assert.rejects(readToc(cut), (e: unknown) => e instanceof PgbrError && /^the dump is truncated or corrupt: .*cut\.dump ends inside its table of contents/.test(e.message));
  });
});

test('an archive version this reader does not know needs pg_restore, and says so', async () => {
  await withTemp(async (dir) => {
    const future = path.join(dir, 'future.dump');
    const bytes = Buffer.from(await fs.readFile(dumpFile));
    bytes[6] = 99; // minor archive version
    await fs.writeFile(future, bytes);
    await assert.rejects(readToc(future), (e: unknown) => e instanceof PgbrError && e.kind === 'tool-missing' && /newer than this reader knows/.test(e.message));
  });
});

test('a plain SQL dump is scanned for tables, data, sequences, functions, indexes and constraints', async () => {
  const { entries, header } = await scanPlainSql(path.join(fixtures, 'toc-hostile.sql'), false);
  assert.match(header.dumpedBy ?? '', /^15\./);
  for (const name of ['Order"s', 'a.b', 'x*y', 'xay', 'ÜberTable', 'with', 'with space', 'MixedCase', 'a b', 'a']) {
    find(entries, 'TABLE', 'public', name);
    assert.equal(find(entries, 'TABLE DATA', 'public', name).table, name);
  }
  find(entries, 'TABLE', 'My Schema', 'with space');
  find(entries, 'TABLE', 'public2', 'xay');
  assert.equal(find(entries, 'TABLE', 'public', 'owned').owner, 'odd owner');
  assert.equal(find(entries, 'SEQUENCE', 'public', 'Order"s_id_seq').table, 'Order"s');
  assert.equal(find(entries, 'SEQUENCE SET', 'public', 'orders_id_seq').table, 'orders');
  assert.equal(find(entries, 'INDEX', 'public', 'idx with space').table, 'with space');
  assert.equal(find(entries, 'CONSTRAINT', 'public', 'my pk').table, 'with space');
  assert.equal(find(entries, 'FK CONSTRAINT', 'public', 'b c').table, 'a');
  assert.equal(find(entries, 'FK CONSTRAINT', 'public', 'child_o_fkey').table, 'child');
  assert.equal(find(entries, 'TRIGGER', 'public', 'trg').table, 'orders');
  find(entries, 'FUNCTION', 'public', 'f un');
  find(entries, 'SCHEMA', null, 'My Schema');
  assert.ok(entries.every((e) => e.dumpId === null));
  // COPY data never looks like statements, even when a row starts with CREATE.
  assert.equal(entries.filter((e) => e.desc === 'TABLE' && e.schema === 'public' && e.name === 'orders').length, 1);
});

test('a gzip plain dump reads the same, and a cut one fails clearly', async () => {
  await withTemp(async (dir) => {
    const sql = await fs.readFile(path.join(fixtures, 'toc-hostile.sql'));
    const gz = path.join(dir, 'd.sql.gz');
    const zipped = gzipSync(sql);
    await fs.writeFile(gz, zipped);
    const plain = await readToc(path.join(fixtures, 'toc-hostile.sql'));
    const fromGz = await readToc(gz);
    assert.equal(fromGz.source, 'plain scan');
    assert.deepEqual(fromGz.entries, plain.entries);
    const cut = path.join(dir, 'cut.sql.gz');
    await fs.writeFile(cut, zipped.subarray(0, Math.floor(zipped.length / 2)));
    await assert.rejects(readToc(cut), (e: unknown) => e instanceof PgbrError && /truncated or corrupt/.test(e.message));
  });
});

test('dollar-quoted bodies and COPY rows are not read as statements; INSERT rows count as data', async () => {
  await withTemp(async (dir) => {
    const file = path.join(dir, 'tricky.sql');
    await fs.writeFile(
      file,
      [
        'CREATE FUNCTION public.f() RETURNS void LANGUAGE plpgsql AS $fn$',
        'BEGIN',
        'CREATE TABLE not_real (id int);',
        'END $fn$;',
        'CREATE TABLE public.t (line text);',
        'COPY public.t (line) FROM stdin;',
        'CREATE TABLE also_not_real (id int);',
        '\\.',
        'CREATE UNIQUE INDEX "i x" ON ONLY public.t USING btree (line);',
        'ALTER TABLE ONLY public.t ADD CONSTRAINT t_line_key UNIQUE (line);',
        'INSERT INTO public."U v" VALUES (1);',
        'INSERT INTO public."U v" VALUES (2);',
        '',
      ].join('\n'),
    );
    const { entries } = await scanPlainSql(file, false);
    assert.deepEqual(
      entries.map((e) => [e.desc, e.schema, e.name, e.table ?? null]),
      [
        ['FUNCTION', 'public', 'f', null],
        ['TABLE', 'public', 't', null],
        ['TABLE DATA', 'public', 't', 't'],
        ['INDEX', 'public', 'i x', 't'],
        ['CONSTRAINT', 'public', 't_line_key', 't'],
        ['TABLE DATA', 'public', 'U v', 'U v'],
      ],
    );
  });
});

test('the tree groups schemas, tables with their data, and the other objects', async () => {
  const { entries } = await readToc(dumpFile);
  const tree = groupToc(entries);
  assert.deepEqual(
    tree.schemas.map((s) => s.name),
    ['My Schema', 'public', 'public2'],
  );
  const pub = tree.schemas.find((s) => s.name === 'public')!;
  const byName = new Map(pub.tables.map((t) => [t.name, t]));
  assert.equal(byName.get('orders')?.hasData, true);
  assert.equal(byName.get('orders')?.dataEntry?.desc, 'TABLE DATA');
  assert.equal(byName.get('part')?.hasData, false, 'a partitioned parent holds no rows itself');
  assert.equal(byName.get('v1')?.kind, 'view');
  assert.equal(byName.get('v1')?.hasData, false);
  assert.equal(byName.get('mv')?.kind, 'materialized view');
  assert.equal(byName.get('mv')?.hasData, true);
  assert.deepEqual(
    pub.functions.map((e) => e.name),
    ['f un(integer, text)'],
  );
  assert.deepEqual(
    pub.sequences.map((e) => e.name),
    ['Order"s_id_seq', 'orders_id_seq'],
  );
  assert.deepEqual(
    pub.indexes.map((e) => e.name),
    ['idx with space'],
  );
  assert.ok(pub.constraints.some((e) => e.desc === 'FK CONSTRAINT' && e.name === 'b c' && e.table === 'a'));
  assert.ok(pub.others.some((e) => e.desc === 'TYPE' && e.name === 'mood'));
  assert.ok(!pub.others.some((e) => e.desc === 'TABLE DATA' || e.desc === 'SEQUENCE SET'), 'data entries fold into their tables');
  const mine = tree.schemas.find((s) => s.name === 'My Schema')!;
  assert.equal(mine.entry?.desc, 'SCHEMA');
  assert.equal(tree.schemas.find((s) => s.name === 'public')!.entry, undefined, 'public is not created by the dump');
});

test('a large list parses every table and ties each constraint to its table (its speed is measured in bench/toc-list.ts)', () => {
  const { entries } = parseTocList(syntheticList(16000));
  assert.equal(entries.length, 80000);
  assert.equal(entries.find((e) => e.desc === 'CONSTRAINT' && e.tag === 't15999 t15999_pkey')?.table, 't15999');
});

test('a custom dump cut anywhere in its data is truncated, from the archive alone; the whole one is not', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pgbr-toc-cut-'));
  try {
    const whole = await fs.readFile(path.join(fixtures, 'toc-hostile.dump'));
    assert.equal((await readToc(path.join(fixtures, 'toc-hostile.dump'))).damage, undefined);
    const tocEnd = 6000; // the fixture's table of contents fits in its first few KB; cuts after it leave it readable
    for (const size of [whole.length - 1, whole.length - 5, Math.floor((whole.length + tocEnd) / 2), tocEnd]) {
      const file = path.join(dir, `cut-${size}.dump`);
      await fs.writeFile(file, whole.subarray(0, size));
      const toc = await readToc(file).catch((e: unknown) => e);
      const text = toc instanceof Error ? toc.message : (toc as { damage?: string }).damage ?? '';
      assert.match(text, /truncated/, `cut at ${size} of ${whole.length}`);
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
