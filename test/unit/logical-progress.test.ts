// Progress from pg_dump --verbose, fed with lines captured from a real pg_dump 15.18 (custom, plain, tar, parallel directory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DumpProgressTracker, parseDumpLine, untranslatedMessagesEnv, type DumpProgress } from '../../src/core/logical/progress';
import { parseQualifiedName } from '../../src/core/postgres/names';
import { describeDumpProgress, dumpFraction, outputBytes, watchOutputSize } from '../../src/core/logical/outputSize';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

const shop = ['customers', 'orders', 'sales.invoices'].map((n) => parseQualifiedName(n));

const READING = `pg_dump: last built-in OID is 16383
pg_dump: reading extensions
pg_dump: identifying extension members
pg_dump: reading schemas
pg_dump: reading user-defined tables
pg_dump: reading table inheritance information
pg_dump: finding extension tables
pg_dump: flagging inherited columns in subtables
pg_dump: reading dependency data
pg_dump: saving encoding = UTF8
pg_dump: saving standard_conforming_strings = on
pg_dump: saving search_path = 
pg_dump: saving database definition`;

const CUSTOM = `${READING}
pg_dump: dumping contents of table "public.customers"
pg_dump: dumping contents of table "public.orders"
pg_dump: dumping contents of table "sales.invoices"`;

const PLAIN = `${READING}
pg_dump: creating SCHEMA "sales"
pg_dump: creating TABLE "public.customers"
pg_dump: creating TABLE "public.orders"
pg_dump: creating SEQUENCE "public.orders_id_seq"
pg_dump: creating DEFAULT "public.orders id"
pg_dump: processing data for table "public.customers"
pg_dump: dumping contents of table "public.customers"
pg_dump: processing data for table "public.orders"
pg_dump: dumping contents of table "public.orders"
pg_dump: processing data for table "sales.invoices"
pg_dump: dumping contents of table "sales.invoices"
pg_dump: executing SEQUENCE SET orders_id_seq
pg_dump: creating CONSTRAINT "public.customers customers_pkey"
pg_dump: creating FK CONSTRAINT "public.orders orders_customer_id_fkey"`;

// The tar format names every table again while it writes its restore script.
const TAR = `${CUSTOM}
pg_dump: creating SCHEMA "sales"
pg_dump: creating TABLE "public.customers"
pg_dump: processing data for table "public.customers"
pg_dump: processing data for table "public.orders"
pg_dump: processing data for table "sales.invoices"
pg_dump: creating CONSTRAINT "public.customers customers_pkey"`;

// Two workers of pg_dump -j 2 writing to one stderr, exactly as captured.
const PARALLEL = `${READING}
pg_dump:pg_dump: dumping contents of table "public.orders"
pg_dump: finished item 3383 TABLE DATA orders
pg_dump: dumping contents of table "sales.invoices"
 dumping contents of table "public.customers"
pg_dump: finished item 3385 TABLE DATA invoices
pg_dump: finished item 3381 TABLE DATA customers`;

function track(tables = shop, text: string): DumpProgress[] {
  const events: DumpProgress[] = [];
  const tracker = new DumpProgressTracker(tables, (p) => events.push(p));
  tracker.setPhase('starting');
  for (const line of text.split('\n')) tracker.onLine(line);
  tracker.complete('verifying');
  return events;
}

const starts = (events: DumpProgress[]) => events.filter((e) => e.current !== undefined).map((e) => `${e.tablesDone}/${e.tablesTotal} ${e.current}`);

test('custom format: reading, then one table at a time, then all done', () => {
  const events = track(shop, CUSTOM);
  assert.deepEqual(events[0], { phase: 'starting', tablesDone: 0, tablesTotal: 3 });
  assert.deepEqual(events[1], { phase: 'reading', tablesDone: 0, tablesTotal: 3 });
  assert.deepEqual(starts(events), ['0/3 public.customers', '1/3 public.orders', '2/3 sales.invoices']);
  assert.deepEqual(events.at(-1), { phase: 'verifying', tablesDone: 3, tablesTotal: 3 });
  assert.equal(events.length, 6, 'reading lines do not flood the listener');
});

test('plain format: definitions, data named twice but counted once, then post-data with every table done', () => {
  const events = track(shop, PLAIN);
  assert.deepEqual(
    events.map((e) => e.phase),
    ['starting', 'reading', 'schema', 'data', 'data', 'data', 'post-data', 'verifying'],
  );
  assert.deepEqual(starts(events), ['0/3 public.customers', '1/3 public.orders', '2/3 sales.invoices']);
  assert.deepEqual(events.find((e) => e.phase === 'post-data'), { phase: 'post-data', tablesDone: 3, tablesTotal: 3 });
});

test('tar format: the restore script pass does not restart the count', () => {
  const events = track(shop, TAR);
  assert.deepEqual(starts(events), ['0/3 public.customers', '1/3 public.orders', '2/3 sales.invoices']);
  assert.ok(events.every((e, i) => i === 0 || e.tablesDone >= (events[i - 1] as DumpProgress).tablesDone), 'never goes backwards');
});

test('parallel directory dump: interleaved worker lines are all found, and workers report what is done', () => {
  assert.deepEqual(parseDumpLine('pg_dump:pg_dump: dumping contents of table "public.orders"'), [{ kind: 'table-started', rawName: 'public.orders' }]);
  assert.deepEqual(parseDumpLine(' dumping contents of table "public.customers"'), [{ kind: 'table-started', rawName: 'public.customers' }]);
  assert.deepEqual(parseDumpLine('pg_dump: finished item 3385 TABLE DATA invoices'), [{ kind: 'table-finished', name: 'invoices' }]);
  const events = track(shop, PARALLEL);
  const done = events.map((e) => e.tablesDone);
  assert.deepEqual([...new Set(done)], [0, 1, 2, 3]);
  assert.deepEqual(
    events.filter((e) => e.current).map((e) => e.current),
    ['public.orders', 'public.orders', 'sales.invoices', 'public.customers', 'public.customers', 'public.customers'],
  );
});

test('hostile names come back in SQL syntax, matched against the dumped tables', () => {
  const tables = ['"MixedCase"', '"Order""s"', '"a.b"', 'public.dup', '"x*y"', 'xay', '"ÜberTable"', 'public2.dup'].map((n) => parseQualifiedName(n));
  const lines = [
    'pg_dump: dumping contents of table "public.MixedCase"',
    'pg_dump: dumping contents of table "public.Order"s"',
    'pg_dump: dumping contents of table "public.a.b"',
    'pg_dump: dumping contents of table "public.dup"',
    'pg_dump: dumping contents of table "public.x*y"',
    'pg_dump: dumping contents of table "public.xay"',
    'pg_dump: dumping contents of table "public.ÜberTable"',
    'pg_dump: dumping contents of table "public2.dup"',
  ].join('\n');
  const events = track(tables, lines);
  assert.deepEqual(
    events.filter((e) => e.current).map((e) => e.current),
    ['public."MixedCase"', 'public."Order""s"', 'public."a.b"', 'public.dup', 'public."x*y"', 'public.xay', 'public."ÜberTable"', 'public2.dup'],
  );
  assert.equal(events.at(-1)?.tablesDone, 8);
});

test('parallel workers name tables without schema: the same name in two schemas counts twice, an unknown one never', () => {
  const tables = ['public.dup', 'public2.dup'].map((n) => parseQualifiedName(n));
  const events: DumpProgress[] = [];
  const tracker = new DumpProgressTracker(tables, (p) => events.push(p));
  for (const line of [
    'pg_dump: dumping contents of table "public2.dup"',
    'pg_dump: finished item 3377 TABLE DATA dup',
    'pg_dump: finished item 3999 TABLE DATA extension_config',
    'pg_dump: dumping contents of table "public.dup"',
    'pg_dump: finished item 3378 TABLE DATA dup',
    'pg_dump: finished item 3378 TABLE DATA dup',
  ]) {
    tracker.onLine(line);
  }
  assert.equal(tracker.progress.tablesDone, 2);
  assert.ok(events.every((e) => e.tablesDone <= 2));
});

test('a table outside the counted set (extension data) is shown but never pushes the count past the total', () => {
  const events = track([parseQualifiedName('orders')], 'pg_dump: dumping contents of table "public.orders"\npg_dump: dumping contents of table "ext.config"');
  assert.equal(events.find((e) => e.current === 'ext.config')?.tablesDone, 1);
  assert.ok(events.every((e) => e.tablesDone <= 1));
});

test('lines that carry nothing give nothing', () => {
  assert.deepEqual(parseDumpLine(''), []);
  assert.deepEqual(parseDumpLine('pg_dump: warning: there are circular foreign-key constraints on this table:'), []);
  assert.deepEqual(parseDumpLine('pg_dump: reading schemas'), [{ kind: 'phase', phase: 'reading' }]);
  assert.deepEqual(parseDumpLine('pg_dump: creating TABLE "public.orders"'), [{ kind: 'phase', phase: 'definitions' }]);
});

test('tool messages are asked for untranslated, without touching character handling', () => {
  assert.deepEqual(untranslatedMessagesEnv({ LC_ALL: 'de_DE.UTF-8', LANGUAGE: 'de' }), {
    LC_ALL: undefined,
    LANGUAGE: undefined,
    LC_MESSAGES: 'C',
    LC_CTYPE: 'de_DE.UTF-8',
  });
  assert.deepEqual(untranslatedMessagesEnv({}), { LC_ALL: undefined, LANGUAGE: undefined, LC_MESSAGES: 'C' });
});

test('with table sizes: the estimate weighs each table by its size, and bytes written move while one table is dumped', () => {
  const sizes = [
    { schema: 'public', name: 'customers', bytes: 8192 },
    { schema: 'public', name: 'orders', bytes: 600 * 1024 * 1024 },
    { schema: 'sales', name: 'invoices', bytes: 1024 * 1024 },
  ];
  const events: DumpProgress[] = [];
  const tracker = new DumpProgressTracker(shop, (p) => events.push(p), sizes);
  tracker.setPhase('starting');
  assert.equal(events[0]?.tableBytesTotal, 8192 + 601 * 1024 * 1024);
  tracker.onLine('pg_dump: dumping contents of table "public.customers"');
  tracker.onLine('pg_dump: dumping contents of table "public.orders"');
  const orders = events.at(-1) as DumpProgress;
  assert.equal(orders.current, 'public.orders');
  assert.equal(orders.currentTableBytes, 600 * 1024 * 1024);
  assert.equal(orders.tableBytesDone, 8192, 'customers is done when orders starts');
  // The same table for a while: only the bytes written change, and each change is reported once.
  for (const bytes of [10, 5_000_000, 5_000_000, 90_000_000]) tracker.setBytesWritten(bytes);
  const during = events.slice(events.indexOf(orders) + 1);
  assert.deepEqual(during.map((e) => e.bytesWritten), [10, 5_000_000, 90_000_000]);
  assert.ok(during.every((e) => e.current === 'public.orders' && e.tablesDone === 1));
  assert.equal(describeDumpProgress(during.at(-1) as DumpProgress), 'table 2 of 3: public.orders (600 MB in the database) · 86 MB written');
  assert.ok(dumpFraction(orders) < 0.001, 'a small table done is a small part of the whole');
  tracker.onLine('pg_dump: dumping contents of table "sales.invoices"');
  const invoices = events.at(-1) as DumpProgress;
  assert.ok(dumpFraction(invoices) > 0.99 && dumpFraction(invoices) < 1);
  tracker.complete('verifying');
  assert.equal(events.at(-1)?.tableBytesDone, events.at(-1)?.tableBytesTotal);
  assert.equal(dumpFraction(events.at(-1) as DumpProgress), 1);
});

test('progress words without sizes or before the data: the phase and what is written, counts as a fallback', () => {
  assert.equal(describeDumpProgress({ phase: 'reading', tablesDone: 0, tablesTotal: 4 }), 'reading the catalog');
  assert.equal(describeDumpProgress({ phase: 'post-data', tablesDone: 4, tablesTotal: 4, bytesWritten: 2048 }), 'writing indexes and constraints · 2.0 kB written');
  assert.equal(describeDumpProgress({ phase: 'data', tablesDone: 0, tablesTotal: 1, current: 'public."a b"' }), 'table 1 of 1: public."a b"');
  assert.equal(dumpFraction({ phase: 'data', tablesDone: 1, tablesTotal: 4 }), 0.25);
  assert.equal(dumpFraction({ phase: 'data', tablesDone: 0, tablesTotal: 0 }), 0);
  assert.equal(dumpFraction({ phase: 'data', tablesDone: 1, tablesTotal: 2, tableBytesTotal: 0, tableBytesDone: 0 }), 0.5, 'empty tables: by count');
});

test('the size of a dump being written: a file, or every file of a directory dump', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'outsize-'));
  try {
    await fs.writeFile(path.join(dir, 'one.dump.partial'), Buffer.alloc(1000));
    assert.equal(await outputBytes(path.join(dir, 'one.dump.partial')), 1000);
    await fs.mkdir(path.join(dir, 'd.partial'));
    await fs.writeFile(path.join(dir, 'd.partial', 'toc.dat'), Buffer.alloc(300));
    await fs.writeFile(path.join(dir, 'd.partial', '3001.dat.gz'), Buffer.alloc(700));
    assert.equal(await outputBytes(path.join(dir, 'd.partial')), 1000);
    assert.equal(await outputBytes(path.join(dir, 'gone')), 0);
    const seen: number[] = [];
    const watcher = watchOutputSize(path.join(dir, 'one.dump.partial'), (b) => seen.push(b), 5);
    await fs.appendFile(path.join(dir, 'one.dump.partial'), Buffer.alloc(500));
    await watcher.stop();
    assert.equal(seen.at(-1), 1500, 'the last reading after stop is the final size');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
